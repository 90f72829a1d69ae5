// AI segmentation end to end through the services, the inference worker and the CLI, with real
// ONNX sessions: a run becomes an AI version with provenance; asking for CUDA on a machine without
// it runs on CPU and says why; cancel stops within a second and stores nothing; an unknown model is refused.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../../src/main/cli/main.js';
import { probeProvider } from '../../src/main/compute/providers.js';
import { InferenceEngine } from '../../src/main/inference/inference-engine.js';
import { readModelPackage } from '../../src/main/inference/model-package.js';
import { createServices, type AppServices } from '../../src/main/services/app-services.js';
import { dispatch } from '../../src/main/services/dispatch.js';
import { readNiftiFile, writeNiftiFile } from '../../src/main/studies/nifti-file.js';
import { DelineateError } from '../../src/shared/errors.js';
import type { SegmentResult } from '../../src/shared/inference/segment-result.js';
import type { JobInfo } from '../../src/shared/jobs.js';
import type { VersionInfo } from '../../src/shared/segmentation.js';
import type { ImportReport } from '../../src/shared/studies.js';
import type { Vec3, Volume } from '../../src/shared/volume.js';
import { tempDir } from '../helpers/dicom-fixtures.js';
import { slowModel, testManifest, thresholdModel, writeModelPackage } from '../helpers/model-packages.js';
import { random } from '../helpers/random.js';

const T = { timeout: 120_000 };
const root = tempDir('inference-jobs');
after(() => fs.rmSync(root, { recursive: true, force: true }));

const dims: Vec3 = [24, 20, 12];
function testVolume(): Volume {
  const rand = random(11);
  const data = Float32Array.from({ length: dims[0] * dims[1] * dims[2] }, () => Math.round(rand() * 1000) / 10);
  return { dims, spacing: [0.9, 0.9, 2.5], affineLps: [0.9, 0, 0, -10, 0, 0.9, 0, -9, 0, 0, 2.5, 0, 0, 0, 0, 1], voxelType: 'float32', components: 1, data };
}

const packages = {
  threshold: writeModelPackage(path.join(root, 'pkg-threshold'), testManifest('threshold-50'), thresholdModel(50)),
  slow: writeModelPackage(path.join(root, 'pkg-slow'), testManifest('slow'), slowModel()),
};

describe('inference engine (child process)', () => {
  const engine = new InferenceEngine();
  after(() => engine.close());

  test('asking for CUDA on a machine without it runs on CPU and says why', T, async () => {
    const cuda = await probeProvider('cuda');
    const pkg = await readModelPackage(packages.threshold);
    const volume = testVolume();
    const result = await engine.run(pkg, volume, { provider: 'cuda', allowGpu: true });
    if (cuda.available) {
      assert.equal(result.choice.provider, 'cuda');
    } else {
      assert.equal(result.choice.provider, 'cpu');
      assert.match(result.choice.reason, /^CPU \(\d+ threads?\): the CUDA execution provider could not be used \(.+\)\.$/);
    }
    for (let v = 0; v < volume.data.length; v++) assert.equal(result.labels[v], volume.data[v]! > 50 ? 1 : 0);
    assert.ok(result.timings.sessionRunMs > 0 && result.timings.totalMs >= result.timings.sessionRunMs);
    const cpu = await engine.run(pkg, volume, { provider: 'auto', allowGpu: false });
    assert.equal(cpu.choice.provider, 'cpu');
    assert.match(cpu.choice.reason, /GPU use is turned off/);
  });

  test('cancel stops a run inside session.run within a second, the app process survives it, and the next run works', T, async () => {
    const slow = await readModelPackage(packages.slow);
    const big: Volume = { ...testVolume(), dims: [96, 96, 96], data: new Float32Array(96 ** 3).fill(1) };
    const controller = new AbortController();
    let abortedAt = 0;
    const running = engine.run(slow, big, {
      provider: 'cpu',
      allowGpu: false,
      signal: controller.signal,
      onProgress: (stage) => {
        if (stage === 'normalise' && !abortedAt) setTimeout(() => ((abortedAt = performance.now()), controller.abort()), 300);
      },
    });
    const error = await running.then(() => null, (e: unknown) => e);
    const stoppedAfter = performance.now() - abortedAt;
    assert.ok(error instanceof DelineateError && error.code === 'cancelled', String(error));
    assert.ok(abortedAt > 0 && stoppedAfter < 1000, `stopped ${stoppedAfter.toFixed(0)} ms after cancel`);
    // long enough for the abandoned session.run to have ended, had it been left running in this process
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const again = await engine.run(await readModelPackage(packages.threshold), testVolume(), { provider: 'cpu', allowGpu: false });
    assert.equal(again.choice.provider, 'cpu');
  });
});

describe('inference.segment job and CLI', () => {
  let services: AppServices;
  let seriesId = 0;
  const niftiPath = path.join(root, 'input.nii.gz');
  const dataDir = path.join(root, 'data');
  const call = async (method: string, params: unknown) => {
    const outcome = await dispatch(services.handlers, method, params, { host: 'test' });
    if (!outcome.ok) throw new DelineateError(outcome.error.code, outcome.error.message);
    return outcome.result;
  };
  const versionsOf = async (segmentationId: number) => (await call('segmentation.versions', { id: segmentationId })) as VersionInfo[];

  before(async () => {
    await writeNiftiFile(niftiPath, testVolume(), { description: 'test' });
    services = createServices({ dataDir, host: 'test', author: 'Ann', progressIntervalMs: 0 });
    const job = services.jobs.start('studies.import', { paths: [niftiPath] });
    seriesId = ((await services.jobs.wait(job.id)).result as ImportReport).series[0]!.id;
    for (const dir of Object.values(packages)) await call('models.add', { path: dir });
  });
  after(() => services.close());

  test('a run becomes an AI version with provenance, and the working label map is its result', T, async () => {
    const job = (await call('inference.segment', { seriesId, modelId: 'threshold-50', provider: 'cuda' })) as JobInfo;
    const done = await services.jobs.wait(job.id);
    assert.equal(done.state, 'succeeded', JSON.stringify(done.error));
    const result = done.result as SegmentResult;
    const versions = await versionsOf(result.segmentationId);
    const version = versions.find((v) => v.id === result.versionId)!;
    assert.equal(version.source, 'ai');
    assert.equal(version.author, 'Ann');
    assert.equal(version.provenance.modelId, 'threshold-50');
    assert.equal(version.provenance.modelSha256, (await readModelPackage(packages.threshold)).sha256);
    assert.equal(version.provenance.executionProvider, result.provider);
    assert.equal(version.provenance.providerReason, result.providerReason);
    assert.ok(version.provenance.runTimeMs! > 0);
    assert.deepEqual(version.segments.map((s) => s.name), ['Above']);
    const opened = (await call('segmentation.open', { seriesId })) as { headVersion: VersionInfo | null };
    assert.equal(opened.headVersion?.id, result.versionId);
    const volume = testVolume();
    const expected = volume.data.filter((v) => v > 50).length;
    assert.equal(result.voxelCounts['1'], expected);
  });

  test('a cancelled job ends cancelled and adds no version', T, async () => {
    const { segmentationId } = ((await services.jobs.wait(((await call('inference.segment', { seriesId, modelId: 'threshold-50' })) as JobInfo).id)).result as SegmentResult);
    const before = (await versionsOf(segmentationId)).length;
    const job = (await call('inference.segment', { seriesId, modelId: 'slow', provider: 'cpu' })) as JobInfo;
    await new Promise<void>((resolve) => {
      const off = services.bus.subscribe((name, payload) => {
        if (name === 'job.progress' && (payload as JobInfo).id === job.id && (payload as JobInfo).stage === 'normalise') (off(), resolve());
      });
    });
    services.jobs.cancel(job.id);
    const done = await services.jobs.wait(job.id);
    assert.equal(done.state, 'cancelled');
    assert.equal((await versionsOf(segmentationId)).length, before);
  });

  test('an unknown model id is refused before anything runs', T, async () => {
    const job = (await call('inference.segment', { seriesId, modelId: 'no-such-model' })) as JobInfo;
    const done = await services.jobs.wait(job.id);
    assert.equal(done.state, 'failed');
    assert.equal(done.error!.code, 'not_found');
  });

  test('delineate segment INPUT --model ID --provider cuda --out FILE writes the labels and reports the provider', T, async () => {
    const cliData = path.join(root, 'cli-data');
    const io = () => {
      const out = { stdout: '', stderr: '' };
      return { out, io: { stdout: (t: string) => (out.stdout += t), stderr: (t: string) => (out.stderr += t), env: {} } };
    };
    const add = io();
    assert.equal(await runCli(['models', 'add', packages.threshold, '--data-dir', cliData, '--json'], add.io), 0, add.out.stderr);
    const run = io();
    const outFile = path.join(root, 'labels.nii.gz');
    const code = await runCli(['segment', niftiPath, '--model', 'threshold-50', '--provider', 'cuda', '--out', outFile, '--data-dir', cliData, '--json'], run.io);
    assert.equal(code, 0, run.out.stderr);
    const report = JSON.parse(run.out.stdout) as SegmentResult & { out: string };
    assert.equal(report.out, outFile);
    if (report.provider === 'cpu') assert.match(report.providerReason, /CUDA/);
    const labels = await readNiftiFile(outFile);
    const input = await readNiftiFile(niftiPath);
    assert.deepEqual(labels.dims, input.dims);
    assert.deepEqual(labels.affineLps.map((v) => v.toFixed(4)), input.affineLps.map((v) => v.toFixed(4)));
    for (let v = 0; v < input.data.length; v++) assert.equal(labels.data[v], input.data[v]! > 50 ? 1 : 0, `voxel ${v}`);
    const bad = io();
    assert.equal(await runCli(['segment', niftiPath, '--model', 'threshold-50', '--provider', 'tpu', '--data-dir', cliData], bad.io), 2);
    assert.match(bad.out.stderr, /--provider must be one of auto, cpu, cuda/);
  });
});
