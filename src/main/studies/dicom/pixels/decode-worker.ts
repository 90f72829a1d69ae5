/**
 * Worker thread body for DecodePool: reads the file itself, parses its header, or decodes it (and
 * optionally rescales the frames a volume needs), transferring frame buffers back (moved, not copied). Codec modules start lazily once in each worker.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { readHeaderResult } from '../read-header.js';
import { decodeDicomFile } from './decode.js';
import { PixelDataError } from './errors.js';
import { rescaleFrame } from './rescale.js';
import { serializeError, type DecodeReply, type DecodeRequest, type OutputSpec, type RescaledFile, type TaskResult } from './worker-protocol.js';

// Blocking reads are right on a worker: no thread-pool round trips, and the worker has nothing else to do.
function read(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (thrown) {
    const error = thrown as NodeJS.ErrnoException;
    throw new PixelDataError(path, `cannot read the file (${error.code ?? error.message})`);
  }
}

/** Decode, then rescale only the frames the volume uses; hash the bytes already in memory. */
async function rescaled(path: string, output: OutputSpec): Promise<RescaledFile> {
  const bytes = read(path);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const decoded = await decodeDicomFile(bytes, path);
  let min = Infinity;
  let max = -Infinity;
  let overflow = false;
  const frames = decoded.frames.map((frame, index) => {
    const spec = output.rescale[index];
    if (!spec) return null;
    const r = rescaleFrame(frame, output.voxelType, spec[0], spec[1]);
    min = Math.min(min, r.min);
    max = Math.max(max, r.max);
    overflow ||= r.overflow;
    return r.data;
  });
  return { frames, min, max, overflow, sha256 };
}

async function run(request: DecodeRequest): Promise<TaskResult> {
  if (request.task === 'header') return readHeaderResult(request.path);
  if (request.task === 'rescale') return rescaled(request.path, request.output);
  return decodeDicomFile(read(request.path), request.path);
}

async function handle(port: NonNullable<typeof parentPort>, request: DecodeRequest): Promise<void> {
  const { id, path } = request;
  let reply: DecodeReply;
  let transfer: ArrayBuffer[] = [];
  try {
    const result = await run(request);
    // Every frame owns its buffer (decoders never return views into the file or WASM memory).
    const frames = 'frames' in result ? (result.frames as ({ buffer: ArrayBufferLike } | null)[]) : [];
    transfer = [...new Set(frames.flatMap((frame) => (frame ? [frame.buffer as ArrayBuffer] : [])))];
    reply = { id, ok: true, result };
  } catch (thrown) {
    reply = { id, ok: false, error: serializeError(thrown, path) };
  }
  port.postMessage(reply, transfer);
}

if (!parentPort) throw new Error('decode-worker.js runs only as a worker thread (see DecodePool)');
const port = parentPort;
port.on('message', (request: DecodeRequest) => void handle(port, request));
