/**
 * The inference process: holds the ONNX Runtime sessions and runs the pipeline, so neither IPC nor
 * the UI waits on a model. A child process rather than a worker thread because cancelling must stop
 * session.run, which cannot be interrupted: killing a process is clean, while terminating a worker
 * thread mid-run crashes the whole app when ORT's native run later completes.
 * Started by a Node fork, or in the desktop app by Electron's utilityProcess (inference-launcher.ts).
 */
import { peakRssBytes } from '../compute/memory.js';
import { readVolumeFile } from '../studies/volume-cache.js';
import { runPipeline } from './pipeline.js';
import { SessionCache } from './session-cache.js';
import type { RunRequest, ChildMessage } from './inference-protocol.js';

/** Electron's utility process (the packaged desktop app, see electron/utility-launcher.ts) talks over process.parentPort. */
interface ParentPort {
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}
const parentPort = (process as { parentPort?: ParentPort }).parentPort;

/** The parent's channel: Node's fork IPC (process.send / 'message'), or the utility process's port. */
function connect(onRequest: (request: RunRequest) => void): (message: ChildMessage) => void {
  if (parentPort) {
    // Electron kills a utility process when its parent goes
    parentPort.on('message', (event) => onRequest(event.data as RunRequest));
    return (message) => parentPort.postMessage(message);
  }
  if (!process.send) throw new Error('inference-child.js runs only as a child process (fork or Electron utility process)');
  process.on('disconnect', () => process.exit(0)); // the app went away: so does this process
  process.on('message', (request: RunRequest) => onRequest(request));
  return (message) => process.send!(message);
}

const sessions = new SessionCache();
const post = connect((request) => {
  void run(request).catch((err: unknown) => {
    const e = err as Error & { code?: string };
    post({ type: 'error', runId: request.runId, code: typeof e.code === 'string' ? e.code : 'internal', message: e.message ?? String(err) });
  });
});

async function run(request: RunRequest): Promise<void> {
  const started = performance.now();
  const { runId, model } = request;
  const progress = (stage: string, fraction: number | null, message: string) => post({ type: 'progress', runId, stage, fraction, message });
  progress('session', null, 'Loading the model');
  const { session, choice } = await sessions.open(model.onnxPath, model.sha256, request.provider, request.allowGpu, request.cpuThreads);
  const sessionMs = performance.now() - started;
  progress('session', null, choice.reason);
  const { dims, spacing, affineLps, voxelType } = request.volume;
  const { source } = request.volume;
  const data = source.kind === 'inline' ? source.data : readVolumeFile(source.dataDir, source.volumeFile, voxelType, source.bytes);
  const volume = { dims, spacing, affineLps, voxelType, components: 1 as const, data };
  const out = await runPipeline(session, model, volume, progress);
  post({
    type: 'result',
    runId,
    labels: out.labels,
    choice,
    timings: { sessionMs, ...out.timings, totalMs: performance.now() - started },
    uncertainty: out.uncertainty,
    modelGrid: out.modelGrid,
    peakRssBytes: peakRssBytes(),
  });
}
