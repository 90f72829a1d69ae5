/**
 * The annotation store on a 512×512×600 series: autosave cost per brush dab through the contract
 * handler the UI calls, "save version" cost, the load time of the 100th version, and the store's growth
 * after 1,000 dabs (a version saved every 10) relative to one compressed full mask.
 * Goals (issue 7): ≤ 5 ms per dab, any version loads ≤ 300 ms, 1,000 small edits ≤ 2× one mask.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SegmentationStore } from '../src/main/segmentation/segmentation-store.js';
import { createServices, type AppServices } from '../src/main/services/app-services.js';
import { dispatch } from '../src/main/services/dispatch.js';
import { AuditLog } from '../src/main/store/audit-log.js';
import { DATABASE_FILE } from '../src/main/store/database.js';
import type { ImportReport } from '../src/shared/studies.js';
import type { Benchmark } from './harness.js';
import { syntheticCtDir } from './import.js';

const [NX, NY, NZ] = [512, 512, 600];
const SLICE = NX * NY;

async function call(services: AppServices, method: string, params: unknown): Promise<Record<string, unknown>> {
  const outcome = await dispatch(services.handlers, method, params, { host: 'test' });
  if (!outcome.ok) throw new Error(`${method}: ${outcome.error.message}`);
  return outcome.result as Record<string, unknown>;
}

/** Two organ-like ellipsoids: the "AI result" every dab then corrects. */
function organs(): Uint8Array {
  const labels = new Uint8Array(SLICE * NZ);
  for (let k = 150; k < 450; k++) {
    for (let j = 100; j < 412; j++) {
      for (let i = 60; i < 452; i++) {
        const liver = ((i - 200) / 140) ** 2 + ((j - 256) / 120) ** 2 + ((k - 300) / 150) ** 2 < 1;
        const kidney = ((i - 380) / 50) ** 2 + ((j - 300) / 40) ** 2 + ((k - 320) / 70) ** 2 < 1;
        if (liver) labels[k * SLICE + j * NX + i] = 1;
        else if (kidney) labels[k * SLICE + j * NX + i] = 2;
      }
    }
  }
  return labels;
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};

function storeBytes(services: AppServices, dataDir: string): number {
  services.db.pragma('wal_checkpoint(TRUNCATE)');
  return fs.statSync(path.join(dataDir, DATABASE_FILE)).size;
}

export const storeBenchmark: Benchmark = {
  name: 'store',
  description: 'Annotation store: autosave per dab, save version, 100th version load, size after 1,000 edits (512×512×600)',
  async run() {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'delineate-bench-store-'));
    const services = createServices({ dataDir, host: 'test', author: 'bench' });
    try {
      const job = services.jobs.start('studies.import', { paths: [syntheticCtDir()] });
      const seriesId = ((await services.jobs.wait(job.id)).result as ImportReport).series[0]!.id;
      const opened = await call(services, 'segmentation.open', { seriesId });
      const id = opened.id as number;
      const grid = { dims: [NX, NY, NZ] as [number, number, number] };
      const labels = organs();
      const store = new SegmentationStore(services.db, dataDir, new AuditLog(services.db, 'bench'), 'bench');
      const first = store.addVersion(id, labels, { name: 'AI result', source: 'ai', provenance: { modelId: 'bench' } }, grid);
      const fullMaskBytes = first.version.payloadBytes;
      const sizeBefore = storeBytes(services, dataDir);

      // 1,000 dabs (a 10-voxel-radius disc of label 1 near the liver's edge), a version every 10
      let revision = first.info.revision;
      let seed = 1;
      const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
      const dabMs: number[] = [];
      const saveMs: number[] = [];
      const versionIds: number[] = [];
      for (let v = 0; v < 100; v++) {
        for (let d = 0; d < 10; d++) {
          const k = 200 + Math.floor(rand() * 200);
          const angle = rand() * 2 * Math.PI;
          const ci = Math.round(200 + 140 * Math.cos(angle)), cj = Math.round(256 + 120 * Math.sin(angle));
          for (let j = cj - 10; j <= cj + 10; j++) for (let i = ci - 10; i <= ci + 10; i++) if ((i - ci) ** 2 + (j - cj) ** 2 <= 100) labels[k * SLICE + j * NX + i] = 1;
          const data = labels.subarray(k * SLICE, (k + 1) * SLICE);
          const t0 = performance.now();
          revision = (await call(services, 'segmentation.writeSlices', { id, baseRevision: revision, slices: [k], data })).revision as number;
          dabMs.push(performance.now() - t0);
        }
        const t0 = performance.now();
        const saved = (await call(services, 'segmentation.saveVersion', { id, baseRevision: revision, name: `v${v}` })) as { info: { revision: number }; version: { id: number } };
        saveMs.push(performance.now() - t0);
        revision = saved.info.revision;
        versionIds.push(saved.version.id);
      }
      const sizeAfter = storeBytes(services, dataDir);
      const versions = store.listVersions(id);
      const deltaPayload = versions.slice(1).reduce((n, v) => n + v.payloadBytes, 0);

      const last = versionIds.at(-1)!;
      const loadMs: number[] = [];
      const loadContractMs: number[] = [];
      for (let r = 0; r < 5; r++) {
        let t0 = performance.now();
        const loaded = store.loadVersion(id, last, grid).labels;
        loadMs.push(performance.now() - t0);
        if (r === 0 && !Buffer.from(loaded).equals(labels)) throw new Error('the 100th version does not load back as saved');
        t0 = performance.now();
        await call(services, 'segmentation.loadVersion', { id, versionId: last });
        loadContractMs.push(performance.now() - t0);
      }
      const openStart = performance.now();
      await call(services, 'segmentation.open', { seriesId });
      const openMs = performance.now() - openStart;

      return {
        autosave_dab_p50_ms: percentile(dabMs, 50),
        autosave_dab_p95_ms: percentile(dabMs, 95),
        save_version_p50_ms: percentile(saveMs, 50),
        save_version_p95_ms: percentile(saveMs, 95),
        load_version_100_ms: Math.min(...loadMs),
        load_version_100_contract_ms: Math.min(...loadContractMs),
        open_working_state_ms: openMs,
        full_mask_compressed_kib: fullMaskBytes / 1024,
        edits_1000_store_growth_x_mask: (sizeAfter - sizeBefore) / fullMaskBytes,
        edits_1000_payload_x_mask: deltaPayload / fullMaskBytes,
        snapshots_in_101_versions: versions.filter((v) => v.snapshot).length,
      };
    } finally {
      await services.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  },
};
