/**
 * ONNX Runtime sessions, cached per model file and provider, and the CUDA-or-CPU choice. Asking ORT
 * for ['cuda', 'cpu'] throws outright where the CUDA provider cannot load, so CUDA is tried alone
 * and CPU is the fallback; the reason travels with the result.
 */
import os from 'node:os';
import type { InferenceSession } from 'onnxruntime-node';
import { loadOrt } from '../compute/providers.js';
import type { ExecutionProvider, ProviderChoice, ProviderPreference } from './inference-protocol.js';

const firstLine = (text: string) => (text.split('\n').find((l) => l.trim()) ?? text).slice(0, 300);

export class SessionCache {
  private readonly sessions = new Map<string, Promise<InferenceSession>>();
  /** why CUDA failed for a model file, so it is not retried on every run */
  private readonly cudaFailures = new Map<string, string>();

  /** threads: ONNX Runtime intraOpNumThreads for CPU sessions; 0 = one per core */
  async open(onnxPath: string, sha256: string, preference: ProviderPreference, allowGpu: boolean, threads = 0): Promise<{ session: InferenceSession; choice: ProviderChoice }> {
    const cpuThreads = threads > 0 ? threads : os.availableParallelism();
    const cpu = `CPU (${cpuThreads} thread${cpuThreads === 1 ? '' : 's'})`;
    const wantCuda = preference === 'cuda' || (preference === 'auto' && allowGpu);
    if (wantCuda) {
      const failed = this.cudaFailures.get(sha256);
      if (failed === undefined) {
        try {
          return { session: await this.session(onnxPath, sha256, 'cuda', cpuThreads), choice: { provider: 'cuda', reason: 'CUDA execution provider.' } };
        } catch (err) {
          this.cudaFailures.set(sha256, firstLine((err as Error).message));
        }
      }
      const detail = this.cudaFailures.get(sha256)!;
      const session = await this.session(onnxPath, sha256, 'cpu', cpuThreads);
      return { session, choice: { provider: 'cpu', reason: `${cpu}: the CUDA execution provider could not be used (${detail}).` } };
    }
    const why = preference === 'cpu' ? 'CPU was requested' : 'GPU use is turned off in settings';
    return { session: await this.session(onnxPath, sha256, 'cpu', cpuThreads), choice: { provider: 'cpu', reason: `${cpu}: ${why}.` } };
  }

  private session(onnxPath: string, sha256: string, provider: ExecutionProvider, cpuThreads: number): Promise<InferenceSession> {
    const key = `${sha256}:${provider}:${cpuThreads}`;
    let cached = this.sessions.get(key);
    if (!cached) {
      cached = loadOrt().then((ort) =>
        ort.InferenceSession.create(onnxPath, {
          executionProviders: [provider],
          graphOptimizationLevel: 'all',
          intraOpNumThreads: cpuThreads,
          interOpNumThreads: 1,
          executionMode: 'sequential',
          logSeverityLevel: 4,
        }),
      );
      this.sessions.set(key, cached);
      cached.catch(() => this.sessions.delete(key));
    }
    return cached;
  }

  async release(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.allSettled(all.map(async (s) => (await s).release()));
  }
}
