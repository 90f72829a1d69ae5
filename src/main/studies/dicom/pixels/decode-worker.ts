/**
 * Worker thread body for DecodePool: reads the file itself, parses its header, or decodes it (and
 * places its slices of a volume: see place-slices.ts), transferring buffers back (moved, not copied).
 * Codec modules start lazily once in each worker.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { readHeaderResult } from '../read-header.js';
import { decodeDicomFile } from './decode.js';
import { PixelDataError } from './errors.js';
import { fastRescale } from './native-fast-path.js';
import { decodeSlices } from './place-slices.js';
import { serializeError, type DecodeReply, type DecodeRequest, type OutputSpec, type RescaledFile, type TaskResult, type WorkerPost } from './worker-protocol.js';

// Blocking reads are right on a worker: no thread-pool round trips, and the worker has nothing else to do.
function read(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (thrown) {
    const error = thrown as NodeJS.ErrnoException;
    throw new PixelDataError(path, `cannot read the file (${error.code ?? error.message})`);
  }
}

/** The file's slices of a volume (see decodeSlices), hashed from the same read. */
async function rescaled(path: string, output: OutputSpec): Promise<RescaledFile> {
  const fast = fastRescale(path, output);
  if (fast) return fast;
  const bytes = read(path);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  return { ...(await decodeSlices(bytes, path, output)), sha256 };
}

async function run(request: DecodeRequest): Promise<TaskResult> {
  if (request.task === 'header') return readHeaderResult(request.path);
  if (request.task === 'rescale') return rescaled(request.path, request.output);
  return decodeDicomFile(read(request.path), request.path);
}

/** The reply to one request, with the buffers it moves (its result's frames or slices). */
async function answer(request: DecodeRequest, transfer: Set<ArrayBuffer>): Promise<DecodeReply> {
  const { id, path } = request;
  try {
    const result = await run(request);
    // Every frame and slice owns its buffer (never a view into the file or WASM memory).
    const arrays: { buffer: ArrayBufferLike }[] = 'frames' in result ? result.frames : 'slices' in result ? result.slices : [];
    for (const a of arrays) transfer.add(a.buffer as ArrayBuffer);
    return { id, ok: true, result };
  } catch (thrown) {
    return { id, ok: false, error: serializeError(thrown, path) };
  }
}

/** A batch (see DecodePool) is answered in one message, in request order. */
async function handle(port: NonNullable<typeof parentPort>, post: WorkerPost): Promise<void> {
  const transfer = new Set<ArrayBuffer>();
  if (!Array.isArray(post)) {
    const reply = await answer(post, transfer);
    port.postMessage(reply, [...transfer]);
    return;
  }
  const replies: DecodeReply[] = [];
  for (const request of post) replies.push(await answer(request, transfer));
  port.postMessage(replies, [...transfer]);
}

if (!parentPort) throw new Error('decode-worker.js runs only as a worker thread (see DecodePool)');
const port = parentPort;
// The pool posts several requests ahead; they are handled strictly in order, one at a time, so the
// pool knows which file a crash belongs to and a worker never holds two files' bytes at once.
let chain: Promise<void> = Promise.resolve();
port.on('message', (post: WorkerPost) => {
  chain = chain.then(() => handle(port, post));
});
