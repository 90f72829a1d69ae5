/** decodeDicomFile: a DICOM Part 10 file in memory → its format and one stored-value array per frame. */
import { decodeHtj2k, decodeJpeg2000 } from './codecs/jpeg-2000.js';
import { decodeJpeg8, decodeJpegExtended, decodeJpegLossless } from './codecs/jpeg.js';
import { decodeJpegLs } from './codecs/jpeg-ls.js';
import type { DecodedImage } from './codecs/types.js';
import { parseDataset, type ParsedDataset, type PixelItem } from './dicom-dataset.js';
import { describeThrown, PixelDataError } from './errors.js';
import { outputFormat, readPixelFormat, type DecodedFile, type PixelFormat, type StoredFrame } from './format.js';
import { colourSpace, finishFrame, storedValues, type GreyFinish } from './frame-output.js';
import { FrameSplitError, splitFrames } from './frames.js';
import { decodeNative } from './native.js';
import { decodeRle } from './rle.js';
import { lookupTransferSyntax, type DecoderKind, type TransferSyntax } from './transfer-syntaxes.js';

export type { DecodedFile, PixelFormat, StoredFrame } from './format.js';

type FrameDecoder = (bytes: Uint8Array, format: PixelFormat) => DecodedImage | Promise<DecodedImage>;

const CODECS: Record<Exclude<DecoderKind, 'native'>, { label: string; decode: FrameDecoder }> = {
  rle: {
    label: 'RLE',
    decode: (bytes, f) => {
      const samples = decodeRle(bytes, f.rows * f.columns, f.samplesPerPixel, f.bitsAllocated);
      return { width: f.columns, height: f.rows, components: f.samplesPerPixel, samples, planar: false, madeRgb: false, signedValues: false };
    },
  },
  'jpeg-baseline': { label: 'JPEG baseline', decode: decodeJpeg8 },
  'jpeg-extended': { label: 'JPEG extended', decode: decodeJpegExtended },
  'jpeg-lossless': { label: 'JPEG lossless', decode: decodeJpegLossless },
  'jpeg-ls': { label: 'JPEG-LS', decode: decodeJpegLs },
  'jpeg-2000': { label: 'JPEG 2000', decode: decodeJpeg2000 },
  htj2k: { label: 'HTJ2K', decode: decodeHtj2k },
};

const isEncapsulated = (uid: string): boolean => {
  const syntax = lookupTransferSyntax(uid);
  return typeof syntax === 'string' || syntax.decoder !== 'native';
};

function parse(bytes: Uint8Array, source: string): ParsedDataset {
  try {
    return parseDataset(bytes, isEncapsulated);
  } catch (thrown) {
    throw new PixelDataError(source, `not a readable DICOM file: ${describeThrown(thrown)}`, { cause: thrown });
  }
}

function checkImage(image: DecodedImage, format: PixelFormat, label: string, source: string, where: string): void {
  if (image.width !== format.columns || image.height !== format.rows || image.components !== format.samplesPerPixel) {
    throw new PixelDataError(
      source,
      `${label} stream${where} is ${image.width}×${image.height} with ${image.components} component(s) but the header says ${format.columns}×${format.rows} with ${format.samplesPerPixel}`,
    );
  }
}

async function decodeEncapsulated(ds: ParsedDataset, items: PixelItem[], format: PixelFormat, syntax: TransferSyntax, source: string, finish: GreyFinish): Promise<StoredFrame[]> {
  const codec = CODECS[syntax.decoder as Exclude<DecoderKind, 'native'>];
  let codestreams: Uint8Array[];
  try {
    codestreams = splitFrames(items, format.numberOfFrames, ds.bytes('7FE00001'), syntax.decoder !== 'rle');
  } catch (thrown) {
    if (thrown instanceof FrameSplitError) throw new PixelDataError(source, thrown.message);
    throw thrown;
  }
  const frames: StoredFrame[] = [];
  for (const [index, bytes] of codestreams.entries()) {
    const where = codestreams.length > 1 ? ` (frame ${index + 1} of ${codestreams.length})` : '';
    let image: DecodedImage;
    try {
      image = await codec.decode(bytes, format);
    } catch (thrown) {
      throw new PixelDataError(source, `${codec.label} decoder failed${where}: ${describeThrown(thrown)}`, { cause: thrown });
    }
    checkImage(image, format, codec.label, source, where);
    const layout = format.samplesPerPixel === 3 ? { planar: image.planar, space: colourSpace(format, image.madeRgb, false, source) } : null;
    frames.push(finishFrame(image.samples, layout, format, source, image.signedValues, finish, index));
  }
  return frames;
}

/**
 * Decode every frame of a DICOM file. `source` names the file in error messages. Frames hold stored
 * values (apply Rescale Slope/Intercept and MONOCHROME1 inversion yourself); colour is interleaved
 * RGB and the returned format says so (photometric "RGB", planar configuration 0). 1-bit data comes
 * back as one byte (0 or 1) per sample. `finish` replaces the stored-value step for grey frames (the
 * returned frames are then whatever it made).
 */
export async function decodeDicomFile(bytes: Uint8Array, source: string, finish: GreyFinish = storedValues): Promise<DecodedFile> {
  const ds = parse(bytes, source);
  if (!ds.transferSyntaxUid) throw new PixelDataError(source, 'file meta information has no Transfer Syntax UID');
  const syntax = lookupTransferSyntax(ds.transferSyntaxUid);
  if (typeof syntax === 'string') throw new PixelDataError(source, syntax);
  const pixels = ds.pixels;
  if (!pixels) throw new PixelDataError(source, 'no Pixel Data element');
  const format = readPixelFormat(ds, pixels.tag, source);
  const frames = pixels.encapsulated
    ? await decodeEncapsulated(ds, pixels.items, format, syntax, source, finish)
    : decodeNative(pixels.bytes, pixels.vr, format, syntax.littleEndian, source, finish);
  return { format: { ...outputFormat(format), numberOfFrames: frames.length }, frames };
}
