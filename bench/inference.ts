/**
 * AI segmentation: for each shipped model, the whole pipeline (inference process, conform, normalise,
 * crop, run, argmax, post-process, resample back) on a synthetic 1 mm T1-like head, against a raw
 * session.run on the same tensor (same conform, normalisation and crop) in this process with the same
 * session options; plus the
 * raw run on a full 256³ tensor, and the inference process's peak memory.
 * Goals (issue 8): pipeline overhead ≤ 10 % of session.run; report 256³ CPU time per model.
 * DELINEATE_BENCH_MODELS=id,id limits the models; DELINEATE_BENCH_PROVIDER=cuda runs on the GPU.
 */
import os from 'node:os';
import type { InferenceSession } from 'onnxruntime-node';
import { loadOrt } from '../src/main/compute/providers.js';
import { InferenceEngine } from '../src/main/inference/inference-engine.js';
import { ModelRegistry, shippedModelsDir } from '../src/main/inference/model-registry.js';
import { prepareInput } from '../src/main/inference/pipeline.js';
import type { Volume } from '../src/shared/volume.js';
import type { Benchmark } from './harness.js';
import path from 'node:path';

/** 176×240×256 sagittal-ish head at 1 mm: skull shell, grey-matter shell, white-matter core, noise. */
export function syntheticHead(): Volume {
  const dims: [number, number, number] = [176, 240, 256];
  const data = new Int16Array(dims[0] * dims[1] * dims[2]);
  let seed = 12345;
  const noise = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff - 0.5) * 40;
  for (let k = 0, v = 0; k < dims[2]; k++) for (let j = 0; j < dims[1]; j++) for (let i = 0; i < dims[0]; i++, v++) {
    const r = Math.hypot((i - 88) / 70, (j - 120) / 95, (k - 128) / 80);
    const value = r < 0.7 ? 420 : r < 0.85 ? 300 : r < 0.92 ? 80 : r < 1 ? 500 : 0;
    data[v] = Math.max(0, Math.round(value + (value ? noise() : 0)));
  }
  // voxel axes like a sagittal MPRAGE: i towards P, j towards I, k towards L
  return { dims, spacing: [1, 1, 1], affineLps: [0, 0, 1, -128, 1, 0, 0, -88, 0, -1, 0, 120, 0, 0, 0, 1], voxelType: 'int16', components: 1, data };
}

async function rawRunMs(session: InferenceSession, inputName: string, dims: [number, number, number], data?: Float32Array): Promise<number> {
  const ort = await loadOrt();
  const input = new ort.Tensor('float32', data ?? new Float32Array(dims[0] * dims[1] * dims[2]).fill(0.5), [1, 1, ...dims]);
  const t = performance.now();
  await session.run({ [inputName]: input });
  return performance.now() - t;
}

export const inferenceBenchmark: Benchmark = {
  name: 'inference',
  description: 'AI pipeline vs raw session.run on the same tensor size, 256³ run time, peak memory, per shipped model',
  async run() {
    const provider = (process.env.DELINEATE_BENCH_PROVIDER ?? 'cpu') as 'cpu' | 'cuda';
    const wanted = process.env.DELINEATE_BENCH_MODELS?.split(',');
    const registry = new ModelRegistry({ shippedDir: shippedModelsDir(), userDir: path.join(os.tmpdir(), 'delineate-bench-no-user-models') });
    const models = (await registry.list()).filter((m) => m.available && m.origin === 'shipped' && (!wanted || wanted.includes(m.id)));
    const head = syntheticHead();
    const ort = await loadOrt();
    const metrics: Record<string, number> = {};
    for (const summary of models) {
      const engine = new InferenceEngine(); // a fresh inference process per model: its peak memory is that model's
      try {
        const pkg = await registry.get(summary.id);
        const id = summary.id.replace(/^brainchop-/, '');
        console.error(`  ${summary.id}`);
        await engine.run(pkg, head, { provider, allowGpu: provider === 'cuda' }); // loads the session in the inference process
        const result = await engine.run(pkg, head, { provider, allowGpu: provider === 'cuda' });
        const session = await ort.InferenceSession.create(pkg.onnxPath, {
          executionProviders: [result.choice.provider],
          graphOptimizationLevel: 'all',
          intraOpNumThreads: os.availableParallelism(),
          interOpNumThreads: 1,
          executionMode: 'sequential',
        });
        // the very tensor the pipeline fed the model: the same conform, normalisation and crop
        const { work, workDims: cropped } = prepareInput(session, pkg, head, () => undefined);
        await rawRunMs(session, pkg.inputName, cropped, work); // warm-up
        const raw = await rawRunMs(session, pkg.inputName, cropped, work);
        const pipeline = result.timings.totalMs;
        metrics[`${id}_pipeline_ms`] = Math.round(pipeline);
        metrics[`${id}_pipeline_session_run_ms`] = Math.round(result.timings.sessionRunMs);
        metrics[`${id}_raw_session_run_ms`] = Math.round(raw);
        metrics[`${id}_pipeline_over_raw`] = pipeline / raw;
        metrics[`${id}_crop_voxels_fraction`] = (cropped[0] * cropped[1] * cropped[2]) / 256 ** 3;
        metrics[`${id}_conform_ms`] = Math.round(result.timings.conformMs);
        metrics[`${id}_normalise_crop_ms`] = Math.round(result.timings.normaliseMs);
        metrics[`${id}_postprocess_ms`] = Math.round(result.timings.postprocessMs + result.timings.resampleBackMs);
        metrics[`${id}_peak_rss_mib`] = Math.round(result.peakRssBytes / 2 ** 20);
        metrics[`${id}_full_256_session_run_ms`] = Math.round(await rawRunMs(session, pkg.inputName, [256, 256, 256]));
        await session.release();
      } finally {
        await engine.close();
      }
    }
    return metrics;
  },
};
