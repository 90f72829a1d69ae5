import { z } from 'zod';
import { ERROR_CODES } from './errors.js';

export const ErrorEnvelopeSchema = z.object({
  code: z.enum(ERROR_CODES),
  message: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
});

/** Binary payloads: raw bytes or a typed-array view. They travel as binary, never as JSON arrays. */
export const BinarySchema = z.custom<ArrayBuffer | ArrayBufferView>(
  (v) => v instanceof ArrayBuffer || ArrayBuffer.isView(v),
  { message: 'expected binary data (ArrayBuffer or typed array)' },
);
