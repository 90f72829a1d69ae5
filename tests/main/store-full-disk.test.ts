// A full or read-only disk under the data directory: writes fail with a clear 'storage' error, the
// store stays intact, and every edit acknowledged before is still there. On a real small tmpfs when
// this process may mount one (root, as on CI), and always with SQLite's own limit on the file size.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createServices, type AppServices } from '../../src/main/services/app-services.js';
import { dispatch } from '../../src/main/services/dispatch.js';
import { integrityCheck } from '../../src/main/store/database.js';
import { decodeRuns } from '../../src/shared/editing/label-runs.js';
import type { ImportReport } from '../../src/shared/studies.js';
import { makeSeries, tempDir } from '../helpers/dicom-fixtures.js';
import { random } from '../helpers/random.js';

const dims = [64, 64, 10] as const;
const sliceLength = dims[0] * dims[1];

async function call(services: AppServices, method: string, params: unknown): Promise<Record<string, unknown>> {
  const outcome = await dispatch(services.handlers, method, params, { host: 'test' });
  if (!outcome.ok) throw Object.assign(new Error(outcome.error.message), { code: outcome.error.code, details: outcome.error.details });
  return outcome.result as Record<string, unknown>;
}

async function importSeries(dataDir: string, inputDir: string): Promise<number> {
  const services = createServices({ dataDir, host: 'test' });
  try {
    const job = services.jobs.start('studies.import', { paths: [inputDir] });
    return ((await services.jobs.wait(job.id)).result as ImportReport).series[0]!.id;
  } finally {
    await services.close();
  }
}

/** Write noisy slices (they compress badly, so the disk fills fast) until a write fails; returns the last stored labels and the error. */
async function writeUntilRefused(services: AppServices, seriesId: number, seed: number, limit = 10_000) {
  const opened = await call(services, 'segmentation.open', { seriesId });
  const voxels = sliceLength * dims[2];
  const labels = opened.encoding === 'runs' ? (decodeRuns(opened.data as Uint32Array, new Uint8Array(voxels)) as Uint8Array) : (opened.data as Uint8Array).slice();
  let revision = opened.revision as number;
  const rand = random(seed);
  for (let n = 0; n < limit; n++) {
    const k = Math.floor(rand() * dims[2]);
    const slice = new Uint8Array(sliceLength).map(() => (rand() < 0.5 ? 1 + Math.floor(rand() * 200) : 0));
    try {
      revision = (await call(services, 'segmentation.writeSlices', { id: opened.id, baseRevision: revision, slices: [k], data: slice })).revision as number;
      labels.set(slice, k * sliceLength);
    } catch (err) {
      return { labels, error: err as Error & { code?: string; details?: { reason?: string } }, writes: n };
    }
  }
  return { labels, error: null, writes: limit };
}

async function storedLabels(dataDir: string, seriesId: number): Promise<{ labels: Uint8Array; ok: boolean }> {
  const services = createServices({ dataDir, host: 'test' });
  try {
    const opened = await call(services, 'segmentation.open', { seriesId });
    const labels = opened.encoding === 'runs' ? (decodeRuns(opened.data as Uint32Array, new Uint8Array(sliceLength * dims[2])) as Uint8Array) : (opened.data as Uint8Array).slice();
    return { labels, ok: integrityCheck(services.db).ok };
  } finally {
    await services.close();
  }
}

describe('full and read-only disks', () => {
  let inputDir: string;
  before(() => {
    inputDir = makeSeries(tempDir('full-in'), [{ name: 'ct', slices: dims[2], rows: dims[1], cols: dims[0] }]);
  });
  after(() => fs.rmSync(inputDir, { recursive: true, force: true }));

  test('SQLite reports the store full (max_page_count): a clear error, and nothing acknowledged is lost', async () => {
    const dataDir = tempDir('full-pages');
    const seriesId = await importSeries(dataDir, inputDir);
    const services = createServices({ dataDir, host: 'test' });
    try {
      const pages = (services.db.pragma('page_count', { simple: true }) as number) + 40;
      services.db.pragma(`max_page_count = ${pages}`); // this connection may grow the file by 40 pages only
      const { labels, error, writes } = await writeUntilRefused(services, seriesId, 1);
      assert.ok(writes > 0, 'some writes fit');
      assert.equal(error?.code, 'storage', error?.message);
      assert.equal(error?.details?.reason, 'full');
      assert.match(error!.message, /is full\. This change was not saved; everything saved before it is intact/);
      assert.equal(integrityCheck(services.db).ok, true);
      await services.close();
      const stored = await storedLabels(dataDir, seriesId);
      assert.ok(stored.ok);
      assert.ok(Buffer.from(stored.labels).equals(labels), 'the store holds exactly the acknowledged edits');
    } finally {
      if (services.db.open) await services.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('a real full tmpfs, then the same mount read-only: clear errors, nothing lost, writes resume when there is room', async (t) => {
    const mountPoint = tempDir('full-tmpfs');
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mountPoint], { stdio: 'pipe' });
    } catch (err) {
      fs.rmSync(mountPoint, { recursive: true, force: true });
      t.skip(`cannot mount a tmpfs here (needs root): ${(err as Error).message.split('\n')[0]}; the max_page_count test covers SQLITE_FULL`);
      return;
    }
    try {
      const dataDir = path.join(mountPoint, 'data');
      const seriesId = await importSeries(dataDir, inputDir);
      // leave about 300 KiB free
      const free = () => fs.statfsSync(mountPoint).bavail * fs.statfsSync(mountPoint).bsize;
      const filler = path.join(mountPoint, 'filler');
      fs.writeFileSync(filler, Buffer.alloc(Math.max(0, free() - 300 * 1024)));
      const services = createServices({ dataDir, host: 'test' });
      const { labels, error, writes } = await writeUntilRefused(services, seriesId, 2);
      assert.ok(writes > 0, 'some writes fit');
      assert.equal(error?.code, 'storage', error?.message);
      assert.equal(error?.details?.reason, 'full', error?.message);
      assert.equal(integrityCheck(services.db).ok, true);
      await services.close();
      fs.rmSync(filler);
      const stored = await storedLabels(dataDir, seriesId);
      assert.ok(stored.ok, 'integrity_check passes after the disk filled');
      assert.ok(Buffer.from(stored.labels).equals(labels), 'every acknowledged edit survived the full disk');

      // read-only: the same store on the same disk, remounted read-only (a mount with files open for
      // writing cannot be remounted, so the store is closed first)
      const again = createServices({ dataDir, host: 'test' });
      const before = await writeUntilRefused(again, seriesId, 3, 3);
      assert.equal(before.error, null, 'with room again, writes go through');
      await again.close();
      execFileSync('mount', ['-o', 'remount,ro', mountPoint]);
      assert.throws(
        () => createServices({ dataDir, host: 'test' }),
        (err: Error & { code?: string }) => err.code === 'storage' && /cannot be written \(EROFS\)\. Nothing in it was changed/.test(err.message),
      );
      execFileSync('mount', ['-o', 'remount,rw', mountPoint]);
      const kept = await storedLabels(dataDir, seriesId);
      assert.ok(kept.ok);
      assert.ok(Buffer.from(kept.labels).equals(before.labels), 'the read-only spell lost nothing');
    } finally {
      execFileSync('umount', ['-l', mountPoint]);
      fs.rmSync(mountPoint, { recursive: true, force: true });
    }
  });
});
