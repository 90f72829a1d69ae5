// Segmentations in the store, through the contract handlers (with their validation): created empty
// on first open, edited slices written and read back, bad writes refused with nothing changed.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { createServices, type AppServices } from '../../src/main/services/app-services.js';
import { dispatch } from '../../src/main/services/dispatch.js';
import { integrityCheck } from '../../src/main/store/database.js';
import { decodeRuns } from '../../src/shared/editing/label-runs.js';
import type { ImportReport } from '../../src/shared/studies.js';
import { makeSeries, tempDir } from '../helpers/dicom-fixtures.js';

describe('segmentation store', () => {
  let services: AppServices;
  let dataDir: string;
  let seriesId: number;
  const dims = [24, 20, 6];
  const call = async (method: string, params: unknown) => {
    const outcome = await dispatch(services.handlers, method, params, { host: 'test' });
    if (!outcome.ok) throw Object.assign(new Error(outcome.error.message), { code: outcome.error.code });
    const result = outcome.result as Record<string, unknown> & { id: number; encoding?: 'raw' | 'runs'; data: Uint8Array | Uint32Array };
    // the label map as voxels, whichever way it travelled
    const voxels = dims[0]! * dims[1]! * dims[2]!;
    const data = result.encoding === 'runs' ? (decodeRuns(result.data as Uint32Array, new Uint8Array(voxels)) as Uint8Array) : (result.data as Uint8Array);
    return { ...result, data } as Record<string, unknown> & { id: number; data: Uint8Array };
  };

  before(async () => {
    dataDir = tempDir('seg-store');
    const input = makeSeries(tempDir('seg-in'), [{ name: 'ct', slices: dims[2]!, rows: dims[1]!, cols: dims[0]! }]);
    services = createServices({ dataDir, host: 'test' });
    const job = services.jobs.start('studies.import', { paths: [input] });
    seriesId = ((await services.jobs.wait(job.id)).result as ImportReport).series[0]!.id;
  });

  after(async () => {
    await services.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test('the first open creates an empty label map on the series grid with one segment', async () => {
    const seg = await call('segmentation.open', { seriesId });
    assert.equal(seg.labelType, 'uint8');
    assert.equal(seg.encoding, 'runs', 'an empty label map travels as one run');
    assert.equal(seg.data.byteLength, dims[0]! * dims[1]! * dims[2]!);
    assert.ok(seg.data.every((v) => v === 0));
    assert.deepEqual((seg.segments as { value: number }[]).map((s) => s.value), [1]);
    assert.equal((await call('segmentation.open', { seriesId })).id, seg.id, 'opening again finds the same one');
  });

  test('edited slices are stored and read back; other slices keep their voxels', async () => {
    const { id, revision } = await call('segmentation.open', { seriesId });
    const slice = dims[0]! * dims[1]!;
    const data = new Uint8Array(2 * slice);
    data.fill(1, 10, 50);
    data.fill(2, slice + 100, slice + 130);
    const events: unknown[] = [];
    const off = services.bus.subscribe((name, payload) => name === 'store.changed' && events.push(payload));
    const result = await call('segmentation.writeSlices', { id, baseRevision: revision, slices: [1, 4], data });
    off();
    assert.equal(result.revision, (revision as number) + 1);
    assert.equal(result.unsavedSlices, 2);
    assert.deepEqual(events, [{ entity: 'segmentation', ids: [String(id)] }]);
    const back = (await call('segmentation.open', { seriesId })).data;
    assert.deepEqual(back.subarray(slice, 2 * slice), data.subarray(0, slice));
    assert.deepEqual(back.subarray(4 * slice, 5 * slice), data.subarray(slice));
    assert.equal(back.reduce((n, v) => n + (v ? 1 : 0), 0), 70);
  });

  test('a write of the wrong size or outside the grid is refused and changes nothing', async () => {
    const { id, revision: baseRevision } = await call('segmentation.open', { seriesId });
    const before = (await call('segmentation.open', { seriesId })).data.slice();
    await assert.rejects(call('segmentation.writeSlices', { id, baseRevision, slices: [0], data: new Uint8Array(7).fill(3) }), /1 slice\(s\) need 480 bytes, got 7/);
    await assert.rejects(call('segmentation.writeSlices', { id, baseRevision, slices: [6], data: new Uint8Array(480).fill(3) }), /slice 6 is outside 0\.\.5/);
    await assert.rejects(call('segmentation.writeSlices', { id: 999, baseRevision, slices: [0], data: new Uint8Array(480) }), /No segmentation 999/);
    assert.equal((await call('segmentation.open', { seriesId })).revision, baseRevision, 'a refused write does not bump the revision');
    assert.deepEqual((await call('segmentation.open', { seriesId })).data, before);
    assert.equal(integrityCheck(services.db).ok, true);
  });

  test('segments are replaced as a list; duplicate values and values beyond uint8 are refused', async () => {
    const { id, revision } = await call('segmentation.open', { seriesId });
    const segments = [
      { value: 1, name: 'Liver', color: [200, 100, 50], visible: true, locked: false, category: { scheme: 'SCT', value: '91723000', meaning: 'Anatomical Structure' }, type: { scheme: 'SCT', value: '10200004', meaning: 'Liver' } },
      { value: 2, name: 'Tumour', color: [255, 0, 0], visible: false, locked: true },
    ];
    const info = await call('segmentation.setSegments', { id, baseRevision: revision, segments });
    assert.deepEqual(info.segments, segments);
    assert.deepEqual((await call('segmentation.open', { seriesId })).segments, segments);
    await assert.rejects(call('segmentation.setSegments', { id, baseRevision: info.revision, segments: [segments[0], { ...segments[1], value: 1 }] }), /same label value/);
    await assert.rejects(call('segmentation.setSegments', { id, baseRevision: info.revision, segments: [{ ...segments[1], value: 300 }] }), /at most 255/);
    await assert.rejects(call('segmentation.setSegments', { id, baseRevision: revision, segments }), /was changed by .* after you loaded it/, 'a stale revision is a conflict');
  });
});
