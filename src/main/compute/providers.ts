import os from 'node:os';
import { createRequire } from 'node:module';
import type { ComputeStatus } from '../../shared/contract.js';
import { identityModel } from './probe-model.js';

type Ort = typeof import('onnxruntime-node');

export interface ProviderProbe {
  provider: 'cpu' | 'cuda';
  available: boolean;
  /** the error text when not available, or a short confirmation */
  detail: string;
}

let ortModule: Promise<Ort> | null = null;
export function loadOrt(): Promise<Ort> {
  ortModule ??= import('onnxruntime-node').then((ort) => {
    // Every ORT failure reaches us as an exception we report with context; its own stderr log would
    // only repeat it (e.g. the missing CUDA library on every CPU-only machine).
    ort.env.logLevel = 'fatal';
    return ort;
  });
  return ortModule;
}

export function onnxruntimeVersion(): string {
  const require = createRequire(import.meta.url);
  return (require('onnxruntime-node/package.json') as { version: string }).version;
}

/** Really create a session on the provider (nothing else tells whether CUDA libraries load). */
export async function probeProvider(provider: 'cpu' | 'cuda'): Promise<ProviderProbe> {
  try {
    const ort = await loadOrt();
    const session = await ort.InferenceSession.create(identityModel(), {
      executionProviders: [provider],
      logSeverityLevel: 4, // the failure is reported through our result, not ORT's stderr log
    });
    const x = new ort.Tensor('float32', Float32Array.from([1, 2, 3, 4]), [4]);
    const { y } = await session.run({ x });
    await session.release();
    const ok = y !== undefined && (y.data as Float32Array)[3] === 4;
    return { provider, available: ok, detail: ok ? `${provider} session ran` : `${provider} session returned a wrong result` };
  } catch (err) {
    return { provider, available: false, detail: firstLine((err as Error).message) };
  }
}

let cudaProbe: Promise<ProviderProbe> | null = null;

/**
 * Which provider inference will use. CUDA is probed once per process; the choice follows the
 * allowGpu of each call (caching the whole status would pin the first caller's setting).
 */
export async function computeStatus(options: { allowGpu: boolean; cpuThreads?: number } = { allowGpu: true }): Promise<ComputeStatus> {
  cudaProbe ??= probeProvider('cuda');
  const cuda = await cudaProbe;
  const useCuda = options.allowGpu && cuda.available;
  return {
    active: useCuda ? 'cuda' : 'cpu',
    reason: useCuda
      ? 'CUDA execution provider loaded.'
      : options.allowGpu
        ? `CPU: the CUDA execution provider is not available (${cuda.detail}).`
        : 'CPU: GPU use is turned off in settings.',
    cpuThreads: options.cpuThreads && options.cpuThreads > 0 ? options.cpuThreads : os.availableParallelism(),
    cuda: { available: cuda.available, detail: cuda.detail },
    onnxruntimeVersion: onnxruntimeVersion(),
  };
}

function firstLine(text: string): string {
  const line = text.split('\n').find((l) => l.trim()) ?? text;
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}
