/**
 * Lazily started Emscripten codec modules, one instance per thread (each worker thread loads its
 * own). The packages' `*wasmjs` entries are CommonJS factories; locateFile points them at the .wasm
 * next to them in node_modules, and print/printErr capture what the C++ code logs, for our errors.
 */
import { createRequire } from 'node:module';
import { describeThrown } from '../errors.js';
import { CodecError } from './types.js';

const require = createRequire(import.meta.url);

interface FactoryOptions {
  locateFile(file: string): string;
  print(text: string): void;
  printErr(text: string): void;
}
type Factory = (options: FactoryOptions) => Promise<Record<string, unknown>>;

/** A C++ class bound with embind: instances must be delete()d to free their WASM memory. */
export interface EmbindObject {
  delete(): void;
}

export class CodecModule<M> {
  private instance: Promise<M> | null = null;
  private log: string[] = [];

  constructor(
    private readonly factoryId: string,
    private readonly wasmId: string,
  ) {}

  get(): Promise<M> {
    this.instance ??= this.load().catch((error: unknown) => {
      this.instance = null; // let a later call retry
      throw error;
    });
    return this.instance;
  }

  /**
   * Forget the instance after a failed decode: a C++ exception unwound through WASM may leave the
   * module's heap in a state we cannot trust. The next call starts a fresh one (a few ms).
   */
  reset(): void {
    this.instance = null;
  }

  /** Warnings and errors the codec printed since the last call, most recent last. */
  takeLog(): string[] {
    const log = this.log;
    this.log = [];
    return log;
  }

  private async load(): Promise<M> {
    const factory = require(this.factoryId) as Factory;
    const wasm = require.resolve(this.wasmId);
    const keep = (text: string): void => {
      if (/^\s*\[INFO\]/.test(text)) return; // OpenJPEG narrates every header it reads
      this.log.push(text.replace(/^\s*\[(ERROR|WARNING)\]\s*/, '').trim());
      if (this.log.length > 20) this.log.shift();
    };
    return (await factory({ locateFile: () => wasm, print: keep, printErr: keep })) as M;
  }
}

/** An owned copy of a WASM memory view, as integer samples of the given byte width. */
export function copySamples(view: Uint8Array | Uint8ClampedArray, bytesPerSample: number, signed: boolean): Uint8Array | Int8Array | Uint16Array | Int16Array {
  const copy = new Uint8Array(view.byteLength);
  copy.set(view);
  if (bytesPerSample === 1) return signed ? new Int8Array(copy.buffer) : copy;
  return signed ? new Int16Array(copy.buffer) : new Uint16Array(copy.buffer);
}

export interface FrameInfo {
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
  isSigned?: boolean;
}

/** The decode interface the cornerstone codecs share. */
export interface WasmDecoder extends EmbindObject {
  getEncodedBuffer(length: number): Uint8Array;
  decode(): void;
  getFrameInfo(): FrameInfo;
  getDecodedBuffer(): Uint8Array | Uint8ClampedArray;
}

interface WithExceptionMessage {
  /** CharLS only; depending on the Emscripten version a message or a [type, message] pair */
  getExceptionMessage?(thrown: unknown): string | string[];
}

function exceptionMessage(module: unknown, thrown: unknown): string | undefined {
  if (typeof thrown !== 'number') return undefined;
  try {
    const message = (module as WithExceptionMessage).getExceptionMessage?.(thrown);
    return Array.isArray(message) ? message.filter(Boolean).join(': ') : message;
  } catch {
    return undefined;
  }
}

export interface WasmResult<X> {
  info: FrameInfo;
  samples: Uint8Array | Int8Array | Uint16Array | Int16Array;
  extra: X;
}

function failure<M>(codec: CodecModule<M>, module: M, thrown: unknown): CodecError {
  const native = exceptionMessage(module, thrown);
  const printed = codec.takeLog();
  const parts = [native ?? describeThrown(thrown), ...printed.slice(-3)];
  return new CodecError(parts.join('; '));
}

/**
 * Decode one codestream: copy it into WASM memory, decode, copy the samples out, free the decoder.
 * `extra` reads anything else the caller needs before the decoder is deleted.
 */
export async function runWasmDecoder<M, X>(codec: CodecModule<M>, create: (module: M) => WasmDecoder, bytes: Uint8Array, extra: (decoder: WasmDecoder) => X): Promise<WasmResult<X>> {
  const module = await codec.get();
  codec.takeLog();
  const decoder = create(module);
  try {
    decoder.getEncodedBuffer(bytes.length).set(bytes);
    decoder.decode();
    const info = decoder.getFrameInfo();
    const decoded = decoder.getDecodedBuffer();
    if (info.width === 0 || info.height === 0 || decoded.length === 0) {
      const printed = codec.takeLog();
      throw new CodecError(printed.length > 0 ? printed.slice(-3).join('; ') : 'the codec produced no image');
    }
    const bytesPerSample = decoded.length / (info.width * info.height * info.componentCount);
    if (bytesPerSample !== 1 && bytesPerSample !== 2) throw new CodecError(`unexpected decoded size ${decoded.length} for ${info.width}×${info.height}×${info.componentCount}`);
    return { info, samples: copySamples(decoded, bytesPerSample, info.isSigned === true), extra: extra(decoder) };
  } catch (thrown) {
    if (thrown instanceof CodecError) throw thrown;
    const error = failure(codec, module, thrown);
    codec.reset();
    throw error;
  } finally {
    try {
      decoder.delete();
    } catch {
      // the module was reset after a failure; its memory goes with it
    }
  }
}
