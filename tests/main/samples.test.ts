// The bundled first-run sample study through the real services: the generator writes a real DICOM MR
// series (deterministic, skipped when up to date), samples.list / samples.open import it with an
// ordinary import job (once), the stored geometry and voxels are what the generator made, and the
// shipped white/grey matter model gives a plausible two-tissue mask on it (real ONNX Runtime run).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sampleDataDir } from '../../src/main/paths.js';
import { SampleManifestSchema } from '../../src/main/samples/sample-manifest.js';
import { SYNTHETIC_HEAD_DEFAULTS, syntheticHead } from '../../src/main/samples/synthetic-head.js';
import { SYNTHETIC_HEAD_SAMPLE_ID, writeSyntheticHeadSample } from '../../src/main/samples/write-sample.js';
import { createServices, type AppServices } from '../../src/main/services/app-services.js';
import { dispatch } from '../../src/main/services/dispatch.js';
import type { Result } from '../../src/shared/contract.js';
import { decodeRuns } from '../../src/shared/editing/label-runs.js';
import { DelineateError } from '../../src/shared/errors.js';
import type { SegmentResult } from '../../src/shared/inference/segment-result.js';
import type { JobInfo } from '../../src/shared/jobs.js';
import { viewVoxels, type VoxelType } from '../../src/shared/volume.js';
import { tempDir } from '../helpers/dicom-fixtures.js';

const root = tempDir('samples');
after(() => fs.rmSync(root, { recursive: true, force: true }));
const samplesDir = path.join(root, 'samples');
const sha = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

describe('sample study writer', () => {
  test('writes a DICOM series with sample.json and LICENSE.txt, deterministically, and skips an up-to-date copy', { timeout: 60_000 }, () => {
    const first = writeSyntheticHeadSample(samplesDir);
    assert.equal(first.written, true);
    const dir = path.join(samplesDir, SYNTHETIC_HEAD_SAMPLE_ID);
    assert.equal(first.dir, dir);
    const files = fs.readdirSync(path.join(dir, 'dicom')).sort();
    assert.equal(files.length, SYNTHETIC_HEAD_DEFAULTS.dims[2]);
    const manifest = SampleManifestSchema.parse(JSON.parse(fs.readFileSync(path.join(dir, 'sample.json'), 'utf8')));
    assert.equal(manifest.license, 'CC0-1.0');
    assert.equal(manifest.synthetic, true);
    assert.equal(manifest.modality, 'MR');
    assert.match(manifest.seriesInstanceUid, /^2\.25\.[1-9]\d{0,38}$/);
    assert.match(manifest.studyInstanceUid, /^2\.25\.[1-9]\d{0,38}$/);
    assert.notEqual(manifest.seriesInstanceUid, manifest.studyInstanceUid);
    const license = fs.readFileSync(path.join(dir, 'LICENSE.txt'), 'utf8');
    assert.match(license, /^License: CC0-1\.0 /m);
    assert.match(license, /not derived from any scan or any\s+real person/);
    // a Part 10 file: preamble, DICM, MR Image Storage, our patient name and no real person's
    const middle = fs.readFileSync(path.join(dir, 'dicom', files[72]!));
    assert.equal(middle.subarray(128, 132).toString('latin1'), 'DICM');
    const text = middle.toString('latin1');
    assert.ok(text.includes('1.2.840.10008.5.1.4.1.1.4\0'), 'MR Image Storage');
    assert.ok(text.includes('Sample^Synthetic Head'), 'patient name');
    assert.ok(middle.byteLength > 168 * 200 * 2, 'pixel data is in the file');

    const hashes = files.map((f) => sha(path.join(dir, 'dicom', f)));
    const mtime = fs.statSync(path.join(dir, 'sample.json')).mtimeMs;
    const again = writeSyntheticHeadSample(samplesDir);
    assert.equal(again.written, false, 'an up-to-date sample is left alone');
    assert.equal(fs.statSync(path.join(dir, 'sample.json')).mtimeMs, mtime);
    const forced = writeSyntheticHeadSample(samplesDir, { force: true });
    assert.equal(forced.written, true);
    assert.deepEqual(files.map((f) => sha(path.join(dir, 'dicom', f))), hashes, 'the same bytes on every build');
    assert.deepEqual(forced.manifest, first.manifest);
    assert.deepEqual(fs.readdirSync(samplesDir), [SYNTHETIC_HEAD_SAMPLE_ID], 'no staging folder left behind');
  });

  test('the build put the current sample where the app looks for it (sampleDataDir)', () => {
    const file = path.join(sampleDataDir(), SYNTHETIC_HEAD_SAMPLE_ID, 'sample.json');
    assert.ok(fs.existsSync(file), `${file} is missing: npm run build:node runs scripts/make-sample.mjs`);
    const built = SampleManifestSchema.parse(JSON.parse(fs.readFileSync(file, 'utf8')));
    const ours = SampleManifestSchema.parse(JSON.parse(fs.readFileSync(path.join(samplesDir, SYNTHETIC_HEAD_SAMPLE_ID, 'sample.json'), 'utf8')));
    assert.deepEqual(built, ours, 'the built sample is the one this code writes (stale dist/sample-data?)');
  });
});

describe('samples.list / samples.open through the services', () => {
  let services: AppServices;
  const dataDir = path.join(root, 'data');
  async function call<M extends 'samples.list' | 'samples.open' | 'studies.list' | 'series.get' | 'series.slab' | 'models.list' | 'inference.segment' | 'segmentation.open'>(
    method: M,
    params: unknown,
  ): Promise<Result<M>> {
    const outcome = await dispatch(services.handlers, method, params, { host: 'test' });
    if (!outcome.ok) throw new DelineateError(outcome.error.code, outcome.error.message);
    return outcome.result as Result<M>;
  }

  before(() => {
    writeSyntheticHeadSample(samplesDir);
    services = createServices({ dataDir, host: 'test', samplesDir, settingsFile: path.join(root, 'settings.json'), allowGpu: false, progressIntervalMs: 0 });
  });
  after(() => services.close());

  let seriesId = 0;

  test('an empty store lists the sample, not imported, with a shipped model suggested', async () => {
    const samples = await call('samples.list', {});
    assert.equal(samples.length, 1);
    const [sample] = samples;
    assert.equal(sample!.id, SYNTHETIC_HEAD_SAMPLE_ID);
    assert.equal(sample!.imported, null);
    assert.equal(sample!.license, 'CC0-1.0');
    assert.equal(sample!.synthetic, true);
    assert.equal(sample!.modality, 'MR');
    const models = await call('models.list', {});
    const suggested = models.find((m) => m.id === sample!.suggestedModelId);
    assert.ok(suggested?.available, `suggested model ${sample!.suggestedModelId} is shipped and usable`);
    assert.deepEqual(suggested.modality, ['MR']);
    await assert.rejects(call('samples.open', { id: 'no-such-sample' }), /no sample study "no-such-sample"/);
  });

  test('opening it imports it with an ordinary import job; a second open (during and after) imports nothing more', { timeout: 120_000 }, async () => {
    const opened = await call('samples.open', { id: SYNTHETIC_HEAD_SAMPLE_ID });
    assert.equal(opened.imported, null);
    const job = opened.job as JobInfo;
    assert.equal(job.type, 'studies.import');
    const during = await call('samples.open', { id: SYNTHETIC_HEAD_SAMPLE_ID });
    assert.equal(during.job?.id, job.id, 'the running import, not a second one');
    const done = await services.jobs.wait(job.id);
    assert.equal(done.state, 'succeeded', JSON.stringify(done.error));

    const [listed] = await call('samples.list', {});
    assert.ok(listed!.imported, 'listed as imported');
    const studies = await call('studies.list', {});
    assert.equal(studies.length, 1);
    assert.equal(studies[0]!.patientName, 'Sample^Synthetic Head');
    assert.equal(studies[0]!.series.length, 1);
    assert.deepEqual(listed!.imported, { studyId: studies[0]!.id, seriesId: studies[0]!.series[0]!.id });
    seriesId = listed!.imported.seriesId;
    // the store reads its own copy of the images (the app's resources folder may move or be replaced)
    const sources = services.studies.sources(seriesId);
    assert.equal(sources.length, SYNTHETIC_HEAD_DEFAULTS.dims[2]);
    const copy = path.join(dataDir, 'samples', SYNTHETIC_HEAD_SAMPLE_ID) + path.sep;
    assert.ok(sources.every((f) => f.path.startsWith(copy)), `sources under ${copy}: ${sources[0]?.path}`);

    const jobsBefore = services.jobs.list().length;
    const again = await call('samples.open', { id: SYNTHETIC_HEAD_SAMPLE_ID });
    assert.deepEqual(again, { job: null, imported: listed!.imported });
    assert.equal(services.jobs.list().length, jobsBefore, 'no job started');
    assert.equal((await call('studies.list', {}))[0]!.series.length, 1);
  });

  test('the stored series has the geometry and voxels the generator wrote', { timeout: 60_000 }, async () => {
    assert.ok(seriesId > 0, 'imported by the previous test');
    const head = syntheticHead();
    const series = await call('series.get', { seriesId });
    assert.equal(series.modality, 'MR');
    assert.deepEqual(series.dims, head.dims);
    series.spacing.forEach((s, i) => assert.ok(Math.abs(s - head.spacing[i]!) < 1e-6, `spacing ${series.spacing} vs ${head.spacing}`));
    series.affineLps.forEach((a, i) => assert.ok(Math.abs(a - head.affineLps[i]!) < 1e-4, `affine ${series.affineLps} vs ${head.affineLps}`));
    assert.deepEqual(series.warnings, []);
    const [nx, ny, nz] = head.dims;
    const slab = await call('series.slab', { seriesId, start: 0, count: nz });
    const bytes = slab.data as Uint8Array;
    const voxels = viewVoxels(series.voxelType as VoxelType, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    assert.equal(voxels.length, nx * ny * nz);
    let differ = 0;
    for (let v = 0; v < voxels.length; v++) if (voxels[v] !== head.data[v]) differ++;
    assert.equal(differ, 0, `${differ} voxels differ from the generator's`);
  });

  test('the suggested model segments it into white and grey matter where the phantom has them', { timeout: 600_000 }, async (t) => {
    assert.ok(seriesId > 0, 'imported by an earlier test');
    const [sample] = await call('samples.list', {});
    const job = await call('inference.segment', { seriesId, modelId: sample!.suggestedModelId!, provider: 'cpu' });
    const done = await services.jobs.wait(job.id);
    assert.equal(done.state, 'succeeded', JSON.stringify(done.error));
    const result = done.result as SegmentResult;
    const opened = await call('segmentation.open', { seriesId });
    const head = syntheticHead({ truth: true });
    const labels = opened.encoding === 'runs' ? decodeRuns(opened.data as Uint32Array, new Uint8Array(head.data.length)) : (opened.data as Uint8Array);
    const present = new Map<number, number>();
    for (const l of labels) present.set(l, (present.get(l) ?? 0) + 1);
    const brain = head.tissue!.reduce((n, c) => n + (c ? 1 : 0), 0);
    t.diagnostic(`labels ${JSON.stringify(Object.fromEntries(present))}, run ${((result.timings.totalMs ?? 0) / 1000).toFixed(1)} s on ${result.provider}`);
    for (const label of [1, 2]) assert.ok((present.get(label) ?? 0) >= 0.1 * brain, `label ${label}: ${present.get(label) ?? 0} voxels of a ${brain}-voxel brain`);
    // agreement with the phantom's own tissue map: not a trivial or misplaced mask
    for (const [label, minimum] of [[1, 0.6], [2, 0.45]] as const) {
      let a = 0;
      let b = 0;
      let both = 0;
      for (let v = 0; v < labels.length; v++) {
        const x = labels[v] === label;
        const y = head.tissue![v] === label;
        if (x) a++;
        if (y) b++;
        if (x && y) both++;
      }
      const dice = (2 * both) / (a + b);
      t.diagnostic(`label ${label}: Dice ${dice.toFixed(3)} against the phantom's tissue map`);
      assert.ok(dice >= minimum, `label ${label}: Dice ${dice.toFixed(3)} < ${minimum}`);
    }
    assert.deepEqual(Object.keys(result.voxelCounts).sort(), ['1', '2']);
  });
});
