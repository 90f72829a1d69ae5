/**
 * The bundled sample studies (first run): listed from <samples dir>/<id>/sample.json, each marked as
 * imported when the store holds its Series Instance UID; opening one starts an ordinary import job of
 * its images folder, once (a second open while it runs returns the same job; after it, the imported ids).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { SampleInfo } from '../../shared/desktop.js';
import { DelineateError } from '../../shared/errors.js';
import type { JobInfo } from '../../shared/jobs.js';
import { isTerminal } from '../../shared/jobs.js';
import type { JobManager } from '../jobs/job-manager.js';
import { sampleDataDir } from '../paths.js';
import type { StudiesRepo } from '../store/studies-repo.js';
import { IMPORT_JOB } from '../studies/import-job.js';
import { SAMPLE_FILE, SampleManifestSchema, type SampleManifest } from './sample-manifest.js';

export interface SampleOpenResult {
  /** the import job started (or still running) for it; null when it was already imported */
  job: JobInfo | null;
  imported: { studyId: number; seriesId: number } | null;
}

export class SampleService {
  private readonly running = new Map<string, string>();

  constructor(
    private readonly deps: { studies: StudiesRepo; jobs: JobManager },
    readonly dir: string = sampleDataDir(),
  ) {}

  /** Every sample with a readable sample.json, sorted by id; a broken one is left out. */
  manifests(): { manifest: SampleManifest; dir: string }[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir).filter((n) => !n.startsWith('.')).sort();
    } catch {
      return [];
    }
    const out: { manifest: SampleManifest; dir: string }[] = [];
    for (const name of names) {
      const dir = path.join(this.dir, name);
      try {
        const manifest = SampleManifestSchema.parse(JSON.parse(fs.readFileSync(path.join(dir, SAMPLE_FILE), 'utf8')));
        if (manifest.id === name) out.push({ manifest, dir });
      } catch {
        // not a sample folder (or a damaged one): nothing to offer
      }
    }
    return out;
  }

  list(): SampleInfo[] {
    return this.manifests().map(({ manifest }) => ({
      id: manifest.id,
      title: manifest.title,
      description: manifest.description,
      modality: manifest.modality,
      license: manifest.license,
      synthetic: manifest.synthetic,
      suggestedModelId: manifest.suggestedModelId,
      imported: this.imported(manifest),
    }));
  }

  open(id: string): SampleOpenResult {
    const found = this.manifests().find((s) => s.manifest.id === id);
    if (!found) throw new DelineateError('not_found', `no sample study "${id}" in ${this.dir} (have: ${this.manifests().map((s) => s.manifest.id).join(', ') || 'none; run npm run build:node'})`, { id });
    const imported = this.imported(found.manifest);
    if (imported) return { job: null, imported };
    const runningId = this.running.get(id);
    const running = runningId ? this.deps.jobs.list().find((j) => j.id === runningId) : undefined;
    if (running && !isTerminal(running.state)) return { job: running, imported: null };
    const job = this.deps.jobs.start(IMPORT_JOB, { paths: [path.join(found.dir, found.manifest.imagesDir)] }, { label: `Import sample: ${found.manifest.title}` });
    this.running.set(id, job.id);
    return { job, imported: null };
  }

  private imported(manifest: SampleManifest): SampleInfo['imported'] {
    const seriesId = this.deps.studies.findSeriesId(manifest.seriesInstanceUid);
    if (seriesId === null) return null;
    const studyId = this.deps.studies.listStudies().find((st) => st.series.some((s) => s.id === seriesId))?.id;
    return studyId === undefined ? null : { studyId, seriesId };
  }
}
