/**
 * Errors cross every boundary (IPC, WebSocket, CLI) as this envelope, never as thrown strings.
 */
export const ERROR_CODES = [
  'bad_request', // the message itself is malformed (not JSON, no id, wrong shape)
  'unknown_method',
  'invalid_params',
  'too_large',
  'not_found',
  'conflict',
  'cancelled',
  'unavailable', // a capability this host or machine does not have
  'invalid_input', // user data (a file, a model) is wrong; details say what and where
  'storage', // the data directory cannot take the write (disk full, read-only, I/O error); nothing saved is lost
  'internal',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorEnvelope {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

/** Throw this from services; hosts turn it into an ErrorEnvelope unchanged. */
export class DelineateError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'DelineateError';
    this.code = code;
    this.details = details;
  }

  toEnvelope(): ErrorEnvelope {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

/** Any thrown value to an envelope; unknown errors become 'internal' with their message. */
export function toErrorEnvelope(err: unknown): ErrorEnvelope {
  if (err instanceof DelineateError) return err.toEnvelope();
  if (err instanceof Error) {
    if (err.name === 'AbortError') return { code: 'cancelled', message: 'Cancelled' };
    return { code: 'internal', message: err.message || err.name };
  }
  return { code: 'internal', message: String(err) };
}

/** Rebuild a throwable error from an envelope received over the wire. */
export function fromErrorEnvelope(envelope: ErrorEnvelope): DelineateError {
  return new DelineateError(envelope.code, envelope.message, envelope.details);
}
