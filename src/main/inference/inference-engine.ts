/**
 * Runs models in a child process (inference-child.js), one run at a time. Cancel kills the process
 * within milliseconds (ONNX Runtime cannot interrupt session.run); the next run starts a fresh one,
 * which costs only the session load again.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DelineateError, isErrorCode, type ErrorCode } from '../../shared/errors.js';
import type { VolumeGeometry, VoxelArray, VoxelType } from '../../shared/volume.js';
import type { ModelPackage } from './model-package.js';
import type { ProviderPreference, RunRequest, RunResult, VolumeSource, ChildMessage } from './inference-protocol.js';

export interface RunOptions {
  provider: ProviderPreference;
  allowGpu: boolean;
  signal?: AbortSignal;
  onProgress?: (stage: string, fraction: number | null, message: string) => void;
}

export type EngineResult = Omit<RunResult, 'type' | 'runId'>;

/** A scalar series: its voxels in memory, or the volume cache file that holds them (read by the child). */
export type EngineVolume = VolumeGeometry & { voxelType: VoxelType; components?: 1 | 3 } & ({ data: VoxelArray } | { stored: { dataDir: string; volumeFile: string; bytes: number } });

/** Whether the child (and its IPC channel) keeps this process alive: only while a run is in flight. */
function hold(child: ChildProcess, running: boolean): void {
  if (running) {
    child.ref();
    child.channel?.ref();
  } else {
    child.unref();
    child.channel?.unref();
  }
}

const asCode = (code: string): ErrorCode => (isErrorCode(code) ? code : 'internal');

export class InferenceEngine {
  private child: ChildProcess | null = null;
  private nextRunId = 1;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly childPath: string = fileURLToPath(new URL('./inference-child.js', import.meta.url))) {}

  /** Run one model on one volume (runs queue: one model in memory at a time). */
  run(pkg: ModelPackage, volume: EngineVolume, options: RunOptions): Promise<EngineResult> {
    const next = this.queue.then(() => this.runNow(pkg, volume, options));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private runNow(pkg: ModelPackage, volume: EngineVolume, options: RunOptions): Promise<EngineResult> {
    if (options.signal?.aborted) return Promise.reject(new DelineateError('cancelled', 'Segmentation cancelled'));
    if (volume.components === 3) return Promise.reject(new DelineateError('invalid_params', 'Segmentation needs a scalar (not RGB) series'));
    const child = (this.child ??= this.spawn());
    const runId = this.nextRunId++;
    const source: VolumeSource = 'stored' in volume ? { kind: 'file', ...volume.stored } : { kind: 'inline', data: volume.data };
    const request: RunRequest = {
      type: 'run',
      runId,
      model: { onnxPath: pkg.onnxPath, sha256: pkg.sha256, inputName: pkg.inputName, outputName: pkg.outputName, manifest: pkg.manifest },
      provider: options.provider,
      allowGpu: options.allowGpu,
      volume: { dims: volume.dims, spacing: volume.spacing, affineLps: volume.affineLps, voxelType: volume.voxelType, source },
    };
    return new Promise<EngineResult>((resolve, reject) => {
      const finish = () => {
        child.off('message', onMessage);
        child.off('exit', onExit);
        options.signal?.removeEventListener('abort', onAbort);
        if (this.child === child) hold(child, false);
      };
      const onMessage = (m: ChildMessage) => {
        if (m.runId !== runId) return;
        if (m.type === 'progress') return options.onProgress?.(m.stage, m.fraction, m.message);
        finish();
        if (m.type === 'error') return reject(new DelineateError(asCode(m.code), `${pkg.manifest.name}: ${m.message}`));
        const { type: _type, runId: _runId, ...result } = m;
        resolve(result);
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
        finish();
        if (this.child === child) this.child = null;
        reject(new DelineateError('internal', `The inference process stopped (${signal ?? `exit code ${code}`}) while running ${pkg.manifest.name}`));
      };
      const onAbort = () => {
        finish();
        if (this.child === child) this.child = null;
        child.kill('SIGKILL');
        reject(new DelineateError('cancelled', 'Segmentation cancelled'));
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      hold(child, true); // a run in flight keeps the app process alive (the CLI awaits nothing else)
      child.send(request);
    });
  }

  private spawn(): ChildProcess {
    // structured clone carries the typed arrays; stdout/stderr stay the app's
    const child = fork(this.childPath, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.on('error', () => undefined); // reported through 'exit'
    hold(child, false);
    return child;
  }

  async close(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    hold(child, true);
    child.kill('SIGKILL');
    await exited;
  }
}
