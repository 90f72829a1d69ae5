/** What every codec hands back for one frame, before Bits Stored and colour handling. */
import type { IntegerSamples } from '../stored-values.js';

export interface DecodedImage {
  width: number;
  height: number;
  components: number;
  /** owned by the caller, one element per sample */
  samples: IntegerSamples;
  /** components one plane after another (JPEG-LS with interleave mode "none") */
  planar: boolean;
  /** the codec converted YCbCr to RGB itself */
  madeRgb: boolean;
  /** samples are signed values (JPEG 2000 signed components), not two's complement bit patterns */
  signedValues: boolean;
}

/** A codec's own account of why it failed; decode.ts adds the file and codec names. */
export class CodecError extends Error {
  override name = 'CodecError';
}
