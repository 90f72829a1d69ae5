/** Every pixel-decoding failure: the message always starts with the source file it concerns. */
export class PixelDataError extends Error {
  override name = 'PixelDataError';

  constructor(
    readonly source: string,
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super(`${source}: ${problem}`, options);
  }
}

/** The message of anything thrown, including the bare numbers Emscripten throws for C++ exceptions. */
export function describeThrown(thrown: unknown): string {
  if (thrown instanceof Error) return thrown.message;
  // Emscripten builds without exception messages throw the C++ exception's address.
  if (typeof thrown === 'number') return 'the codec rejected the stream (C++ exception without a message)';
  return String(thrown);
}
