/**
 * Runs models in a child process (inference-child.js), one run at a time. Cancel kills the process
 * within milliseconds (ONNX Runtime cannot interrupt session.run); the next run starts a fresh one,
 * which costs only the session load again.
 */
import { fileURLToPath } from 'node:url';
import { DelineateError, isErrorCode, type ErrorCode } from '../../shared/errors.js';
import type { VolumeGeometry, VoxelArray, VoxelType } from '../../shared/volume.js';
import type { ModelPackage } from './model-package.js';
import type { ProviderPreference, RunRequest, RunResult, VolumeSource, ChildMessage } from './inference-protocol.js';
import { forkLauncher, type InferenceLauncher, type InferenceProcess } from './inference-launcher.js';

export interface RunOptions {
  provider: ProviderPreference;
  allowGpu: boolean;
  /** ONNX Runtime CPU threads; 0 or absent = one per core (Settings) */
  cpuThreads?: number;
  signal?: AbortSignal;
  onProgress?: (stage: string, fraction: number | null, message: string) => void;
}

export type EngineResult = Omit<RunResult, 'type' | 'runId'>;

/** A scalar series: its voxels in memory, or the volume cache file that holds them (read by the child). */
export type EngineVolume = VolumeGeometry & { voxelType: VoxelType; components?: 1 | 3 } & ({ data: VoxelArray } | { stored: { dataDir: string; volumeFile: string; bytes: number } });

const asCode = (code: string): ErrorCode => (isErrorCode(code) ? code : 'internal');

export class InferenceEngine {
  private child: InferenceProcess | null = null;
  private nextRunId = 1;
  private queue: Promise<unknown> = Promise.resolve();

  /** launcher: how the process starts (default: a Node fork; the desktop app passes Electron's utility process) */
  constructor(
    private readonly childPath: string = fileURLToPath(new URL('./inference-child.js', import.meta.url)),
    private readonly launcher: InferenceLauncher = forkLauncher,
  ) {}

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
      cpuThreads: options.cpuThreads ?? 0,
      volume: { dims: volume.dims, spacing: volume.spacing, affineLps: volume.affineLps, voxelType: volume.voxelType, source },
    };
    return new Promise<EngineResult>((resolve, reject) => {
      const finish = () => {
        offMessage();
        offExit();
        options.signal?.removeEventListener('abort', onAbort);
        if (this.child === child) child.hold(false);
      };
      const onMessage = (m: ChildMessage) => {
        if (m.runId !== runId) return;
        if (m.type === 'progress') return options.onProgress?.(m.stage, m.fraction, m.message);
        finish();
        if (m.type === 'error') return reject(new DelineateError(asCode(m.code), `${pkg.manifest.name}: ${m.message}`));
        const { type: _type, runId: _runId, ...result } = m;
        resolve(result);
      };
      const onExit = (code: number | null, signal: string | null) => {
        finish();
        if (this.child === child) this.child = null;
        reject(new DelineateError('internal', `The inference process stopped (${signal ?? `exit code ${code}`}) while running ${pkg.manifest.name}`));
      };
      const onAbort = () => {
        finish();
        if (this.child === child) this.child = null;
        child.kill();
        reject(new DelineateError('cancelled', 'Segmentation cancelled'));
      };
      const offMessage = child.onMessage(onMessage);
      const offExit = child.onExit(onExit);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      child.hold(true); // a run in flight keeps the app process alive (the CLI awaits nothing else)
      child.send(request);
    });
  }

  private spawn(): InferenceProcess {
    const child = this.launcher(this.childPath);
    child.hold(false);
    return child;
  }

  async close(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exited) return;
    const exited = new Promise<void>((resolve) => child.onExit(() => resolve()));
    child.hold(true);
    child.kill();
    await exited;
  }
}
