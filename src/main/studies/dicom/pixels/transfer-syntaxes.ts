/** Transfer syntaxes whose pixel data we decode, and the names of others we recognise but refuse. */

export type DecoderKind =
  | 'native'
  | 'rle'
  | 'jpeg-baseline' // libjpeg-turbo (8-bit DCT)
  | 'jpeg-extended' // 8-bit: libjpeg-turbo; 12-bit: our own sequential DCT decoder
  | 'jpeg-lossless' // jpeg-lossless-decoder-js
  | 'jpeg-ls' // CharLS
  | 'jpeg-2000' // OpenJPEG
  | 'htj2k'; // OpenJPH

export interface TransferSyntax {
  uid: string;
  name: string;
  decoder: DecoderKind;
  /** native only */
  littleEndian: boolean;
  lossy: boolean;
}

function syntax(uid: string, name: string, decoder: DecoderKind, lossy = false, littleEndian = true): TransferSyntax {
  return { uid, name, decoder, littleEndian, lossy };
}

export const TRANSFER_SYNTAXES: ReadonlyMap<string, TransferSyntax> = new Map(
  [
    syntax('1.2.840.10008.1.2', 'Implicit VR Little Endian', 'native'),
    syntax('1.2.840.10008.1.2.1', 'Explicit VR Little Endian', 'native'),
    syntax('1.2.840.10008.1.2.1.99', 'Deflated Explicit VR Little Endian', 'native'),
    syntax('1.2.840.10008.1.2.2', 'Explicit VR Big Endian', 'native', false, false),
    syntax('1.2.840.10008.1.2.5', 'RLE Lossless', 'rle'),
    syntax('1.2.840.10008.1.2.4.50', 'JPEG Baseline (Process 1)', 'jpeg-baseline', true),
    syntax('1.2.840.10008.1.2.4.51', 'JPEG Extended (Process 2 & 4)', 'jpeg-extended', true),
    syntax('1.2.840.10008.1.2.4.57', 'JPEG Lossless, Non-Hierarchical (Process 14)', 'jpeg-lossless'),
    syntax('1.2.840.10008.1.2.4.70', 'JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 [Selection Value 1])', 'jpeg-lossless'),
    syntax('1.2.840.10008.1.2.4.80', 'JPEG-LS Lossless', 'jpeg-ls'),
    syntax('1.2.840.10008.1.2.4.81', 'JPEG-LS Lossy (Near-Lossless)', 'jpeg-ls', true),
    syntax('1.2.840.10008.1.2.4.90', 'JPEG 2000 Image Compression (Lossless Only)', 'jpeg-2000'),
    syntax('1.2.840.10008.1.2.4.91', 'JPEG 2000 Image Compression', 'jpeg-2000', true),
    syntax('1.2.840.10008.1.2.4.201', 'High-Throughput JPEG 2000 Image Compression (Lossless Only)', 'htj2k'),
    syntax('1.2.840.10008.1.2.4.202', 'High-Throughput JPEG 2000 with RPCL Options Image Compression (Lossless Only)', 'htj2k'),
    syntax('1.2.840.10008.1.2.4.203', 'High-Throughput JPEG 2000 Image Compression', 'htj2k', true),
  ].map((ts) => [ts.uid, ts]),
);

/** Named so that an error can say what a refused file is. */
const UNSUPPORTED_NAMES: ReadonlyMap<string, string> = new Map([
  ['1.2.840.10008.1.2.1.98', 'Encapsulated Uncompressed Explicit VR Little Endian'],
  ['1.2.840.10008.1.2.4.52', 'JPEG Extended (Process 3 & 5) (retired)'],
  ['1.2.840.10008.1.2.4.53', 'JPEG Spectral Selection, Non-Hierarchical (Process 6 & 8) (retired)'],
  ['1.2.840.10008.1.2.4.55', 'JPEG Full Progression, Non-Hierarchical (Process 10 & 12) (retired)'],
  ['1.2.840.10008.1.2.4.58', 'JPEG Lossless, Non-Hierarchical (Process 15) (retired)'],
  ['1.2.840.10008.1.2.4.92', 'JPEG 2000 Part 2 Multi-component Image Compression (Lossless Only)'],
  ['1.2.840.10008.1.2.4.93', 'JPEG 2000 Part 2 Multi-component Image Compression'],
  ['1.2.840.10008.1.2.4.94', 'JPIP Referenced'],
  ['1.2.840.10008.1.2.4.95', 'JPIP Referenced Deflate'],
  ['1.2.840.10008.1.2.4.100', 'MPEG2 Main Profile / Main Level'],
  ['1.2.840.10008.1.2.4.101', 'MPEG2 Main Profile / High Level'],
  ['1.2.840.10008.1.2.4.102', 'MPEG-4 AVC/H.264 High Profile / Level 4.1'],
  ['1.2.840.10008.1.2.4.103', 'MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1'],
  ['1.2.840.10008.1.2.4.104', 'MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video'],
  ['1.2.840.10008.1.2.4.105', 'MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video'],
  ['1.2.840.10008.1.2.4.106', 'MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2'],
  ['1.2.840.10008.1.2.4.107', 'HEVC/H.265 Main Profile / Level 5.1'],
  ['1.2.840.10008.1.2.4.108', 'HEVC/H.265 Main 10 Profile / Level 5.1'],
  ['1.2.840.10008.1.2.4.110', 'JPEG XL Lossless'],
  ['1.2.840.10008.1.2.4.111', 'JPEG XL JPEG Recompression'],
  ['1.2.840.10008.1.2.4.112', 'JPEG XL'],
  ['1.2.840.10008.1.2.4.204', 'JPIP HTJ2K Referenced'],
  ['1.2.840.10008.1.2.4.205', 'JPIP HTJ2K Referenced Deflate'],
  ['1.2.840.10008.1.2.7.1', 'SMPTE ST 2110-20 Uncompressed Progressive Active Video'],
]);

/** The syntax for `uid`, or a sentence saying why it cannot be decoded (for PixelDataError). */
export function lookupTransferSyntax(uid: string): TransferSyntax | string {
  const known = TRANSFER_SYNTAXES.get(uid);
  if (known) return known;
  const name = UNSUPPORTED_NAMES.get(uid);
  return name ? `unsupported transfer syntax ${uid} (${name})` : `unsupported transfer syntax ${uid} (unknown UID)`;
}
