/**
 * The bundled sample studies (first run): listed from <samples dir>/<id>/sample.json, each marked as
 * imported when the store holds its Series Instance UID; opening one starts an ordinary import job of
 * its images folder, once (a second open while it runs returns the same job; after it, the imported ids).
 * The images are first copied into <dataDir>/samples/<id>/: the store records source files and reads
 * them again (SEG/RTSTRUCT export), and the app's resources folder may move (AppImage mounts it at a
 * new path on every launch) or be replaced by an update.
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
    private readonly deps: { studies: StudiesRepo; jobs: JobManager; dataDir: string },
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
    const images = this.copyIntoStore(found.manifest.id, path.join(found.dir, found.manifest.imagesDir));
    const job = this.deps.jobs.start(IMPORT_JOB, { paths: [images] }, { label: `Import sample: ${found.manifest.title}` });
    this.running.set(id, job.id);
    return { job, imported: null };
  }

  /** The sample's images under <dataDir>/samples/<id>/ (copied once, through a temporary folder). */
  private copyIntoStore(id: string, from: string): string {
    const target = path.join(this.deps.dataDir, 'samples', id);
    if (fs.existsSync(target)) return target;
    const staging = `${target}.tmp-${process.pid}`;
    fs.rmSync(staging, { recursive: true, force: true });
    fs.cpSync(from, staging, { recursive: true });
    fs.renameSync(staging, target);
    return target;
  }

  private imported(manifest: SampleManifest): SampleInfo['imported'] {
    const seriesId = this.deps.studies.findSeriesId(manifest.seriesInstanceUid);
    if (seriesId === null) return null;
    const studyId = this.deps.studies.listStudies().find((st) => st.series.some((s) => s.id === seriesId))?.id;
    return studyId === undefined ? null : { studyId, seriesId };
  }
}
