/** The last step for every frame, whatever decoded it: stored values, or interleaved RGB. */
import { planarToInterleaved, ybrFull422ToRgb, ybrFullToRgb } from './colour.js';
import { PixelDataError } from './errors.js';
import { pixelCount, type PixelFormat, type StoredFrame } from './format.js';
import { toStoredValues, type IntegerSamples, type SampleLayout } from './stored-values.js';

/**
 * Turns one frame's raw grey sample words into the frame the caller gets. The default gives stored
 * values; the volume assembly passes one that also rescales (fused, see samplesToVoxels). `samples`
 * may be a view into the file's bytes: read it, never keep or write it.
 */
export type GreyFinish = (samples: IntegerSamples, layout: SampleLayout, signedValues: boolean, frame: number) => StoredFrame;

export const storedValues: GreyFinish = (samples, layout, signedValues) => toStoredValues(samples, layout, signedValues);

/** How a colour frame's samples are laid out and what they mean. */
export interface ColourLayout {
  planar: boolean;
  space: 'rgb' | 'ybr-full' | 'ybr-full-422-packed';
}

/**
 * The colour space of decoded colour samples. `codecMadeRgb`: the codec already converted its
 * YCbCr (libjpeg for JPEG DCT, OpenJPEG/OpenJPH for the YBR_RCT/YBR_ICT component transforms).
 */
export function colourSpace(format: PixelFormat, codecMadeRgb: boolean, native: boolean, source: string): ColourLayout['space'] {
  const photometric = format.photometricInterpretation;
  if (codecMadeRgb || photometric === 'RGB' || photometric === 'YBR_RCT' || photometric === 'YBR_ICT') return 'rgb';
  if (photometric === 'YBR_FULL') return 'ybr-full';
  // Only native data is chroma-subsampled in the file; RLE and lossless codecs carry full-size planes.
  if (photometric === 'YBR_FULL_422') return native ? 'ybr-full-422-packed' : 'ybr-full';
  throw new PixelDataError(source, `unsupported Photometric Interpretation ${photometric} for colour data`);
}

function asBytes(samples: IntegerSamples): Uint8Array {
  if (samples instanceof Uint8Array) return samples;
  if (samples.BYTES_PER_ELEMENT === 1) return new Uint8Array(samples.buffer, samples.byteOffset, samples.length);
  return Uint8Array.from(samples); // a wider array holding 8-bit values
}

function colourFrame(samples: IntegerSamples, layout: ColourLayout, format: PixelFormat, source: string): StoredFrame {
  const pixels = pixelCount(format);
  if (format.bitsAllocated !== 8) {
    if (layout.space !== 'rgb') throw new PixelDataError(source, `${format.bitsAllocated}-bit ${format.photometricInterpretation} is not supported`);
    const values = toStoredValues(samples, format);
    return layout.planar ? planarToInterleaved(values, pixels) : values;
  }
  const bytes = asBytes(samples);
  if (layout.space === 'ybr-full-422-packed') return ybrFull422ToRgb(bytes, pixels);
  const rgb = layout.planar ? planarToInterleaved(bytes, pixels) : bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : Uint8Array.prototype.slice.call(bytes);
  return layout.space === 'ybr-full' ? ybrFullToRgb(rgb) : rgb;
}

/**
 * Grey frames go through `finish` (frame index `frame`); colour frames become interleaved RGB stored
 * values. `samples` may be a view into the file (copied before anything writes it);
 * `signedValues`: see toStoredValues.
 */
export function finishFrame(
  samples: IntegerSamples,
  layout: ColourLayout | null,
  format: PixelFormat,
  source: string,
  signedValues = false,
  finish: GreyFinish = storedValues,
  frame = 0,
): StoredFrame {
  if (format.samplesPerPixel === 1 || !layout) return finish(samples, format, signedValues, frame);
  return colourFrame(samples, layout, format, source);
}
