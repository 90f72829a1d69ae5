/** DICOM pixel-data decoding: in-thread (decodeDicomFile) or on worker threads (DecodePool). */
export { decodeDicomFile } from './decode.js';
export { DecodePool, type DecodePoolOptions, type DecodePoolStats } from './decode-pool.js';
export { PixelDataError } from './errors.js';
export type { DecodedFile, PixelFormat, StoredFrame } from './format.js';
export { lookupTransferSyntax, TRANSFER_SYNTAXES, type DecoderKind, type TransferSyntax } from './transfer-syntaxes.js';
