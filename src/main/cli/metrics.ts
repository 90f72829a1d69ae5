/** `delineate metrics A B`: agreement between two label maps on one grid, per label. */
import path from 'node:path';
import type { LabelGrid } from '../../shared/editing/grid.js';
import { labelArrayOf } from '../../shared/editing/label-runs.js';
import { DelineateError } from '../../shared/errors.js';
import { sameGrid } from '../../shared/labels.js';
import { compareLabelMaps, type LabelAgreement } from '../../shared/metrics/agreement.js';
import type { Volume } from '../../shared/volume.js';
import { SegmentationStore } from '../segmentation/segmentation-store.js';
import { resolveDataDir } from '../data-dir.js';
import { AuditLog } from '../store/audit-log.js';
import { openDatabase } from '../store/database.js';
import { StudiesRepo } from '../store/studies-repo.js';
import { readNiftiFile } from '../studies/nifti-file.js';
import { DATA_DIR_OPTION, type Command } from './command.js';

const STORE_REF = /^(version|working):(\d+)$/;

/** Label maps from the store: `version:ID` (a saved version) or `working:ID` (a segmentation's autosaved state). */
function readStoreLabels(dataDir: string, refs: string[]): { grids: LabelGrid[]; seriesIds: number[] } {
  const { db } = openDatabase(dataDir);
  try {
    const store = new SegmentationStore(db, dataDir, new AuditLog(db, ''), '');
    const studies = new StudiesRepo(db);
    const grids: LabelGrid[] = [];
    const seriesIds: number[] = [];
    for (const ref of refs) {
      const [, kind, idText] = STORE_REF.exec(ref)!;
      const id = Number(idText);
      const segmentationId = kind === 'version' ? (db.prepare('SELECT segmentation_id AS s FROM segmentation_versions WHERE id = ?').get(id) as { s: number } | undefined)?.s : id;
      if (segmentationId === undefined) throw new DelineateError('not_found', `${ref}: there is no version ${id} in ${dataDir}`);
      const seriesId = store.seriesOf(segmentationId);
      const series = studies.getSeries(seriesId)!;
      const grid = { dims: series.dims };
      const bytes = kind === 'version' ? store.loadVersion(segmentationId, id, grid).labels : store.openForSeries(seriesId, grid).labels;
      grids.push({ dims: series.dims, spacing: series.spacing, data: labelArrayOf(bytes, store.labelTypeOf(segmentationId)) });
      seriesIds.push(seriesId);
    }
    return { grids, seriesIds };
  } finally {
    db.close();
  }
}

/** A label map from a NIfTI file: one integer component with values 0…65535. */
async function readLabels(file: string): Promise<{ volume: Volume; grid: LabelGrid }> {
  let volume: Volume;
  try {
    volume = await readNiftiFile(file);
  } catch (err) {
    throw new DelineateError('invalid_input', (err as Error).message);
  }
  const name = path.basename(file);
  if (volume.components !== 1) throw new DelineateError('invalid_input', `${name}: a label map has one component, this file has ${volume.components}`);
  if (volume.data instanceof Uint8Array) return { volume, grid: { dims: volume.dims, spacing: volume.spacing, data: volume.data } };
  const data = new Uint16Array(volume.data.length);
  for (let i = 0; i < data.length; i++) {
    const v = volume.data[i]!;
    if (!Number.isInteger(v) || v < 0 || v > 65535) throw new DelineateError('invalid_input', `${name}: voxel ${i} holds ${v}; label values are whole numbers 0–65535`);
    data[i] = v;
  }
  return { volume, grid: { dims: volume.dims, spacing: volume.spacing, data } };
}

const fixed = (v: number, digits: number) => (Number.isFinite(v) ? v.toFixed(digits) : '—');

export const metricsCommand: Command = {
  name: 'metrics',
  summary: 'Agreement of two label maps on one grid per label: Dice, IoU, sensitivity, specificity, HD95, ASD (mm), volumes (ml).',
  usage: 'delineate metrics A B [--labels 1,2,…] [--data-dir DIR] [--json]   A, B: NIfTI label files, or version:ID / working:SEGMENTATION_ID from the store (A is the reference)',
  allowPositionals: true,
  options: {
    labels: { type: 'string', valueName: '1,2,…', description: 'only these label values (default: every label in either map)' },
    'data-dir': DATA_DIR_OPTION,
  },
  async run(args, io) {
    const [a, b, ...extra] = args.positionals;
    if (!a || !b || extra.length) throw new DelineateError('invalid_params', 'metrics needs exactly two label files, A (reference) and B (see: delineate metrics --help)');
    const labelsArg = args.values.labels as string | undefined;
    const labels = labelsArg?.split(',').map((v) => Number(v.trim()));
    if (labels?.some((v) => !Number.isInteger(v) || v < 1)) throw new DelineateError('invalid_params', `--labels takes whole numbers ≥ 1, got ${labelsArg}`);
    const fromStore = [a, b].filter((r) => STORE_REF.test(r)).length;
    if (fromStore === 1) throw new DelineateError('invalid_params', 'compare two store versions, or two NIfTI files (export the version as NIfTI to compare it with a file)');
    if (fromStore === 2) {
      const { grids, seriesIds } = readStoreLabels(resolveDataDir(args.values['data-dir'] as string | undefined, io.env), [a, b]);
      if (seriesIds[0] !== seriesIds[1]) throw new DelineateError('invalid_input', `${a} and ${b} segment different series (${seriesIds[0]} and ${seriesIds[1]}): not the same grid`);
      const results = compareLabelMaps(grids[0]!, grids[1]!, labels ? { labels } : {});
      return { a, b, dims: grids[0]!.dims, spacing: grids[0]!.spacing, labels: results };
    }
    const [left, right] = await Promise.all([readLabels(path.resolve(a)), readLabels(path.resolve(b))]);
    if (!sameGrid(left.volume, right.volume)) {
      throw new DelineateError('invalid_input', `${path.basename(a)} (${left.volume.dims.join('×')}) and ${path.basename(b)} (${right.volume.dims.join('×')}) are not on the same grid (dims and affine within 1e-3 mm)`);
    }
    const results = compareLabelMaps(left.grid, right.grid, labels ? { labels } : {});
    return { a: path.resolve(a), b: path.resolve(b), dims: left.volume.dims, spacing: left.volume.spacing, labels: results };
  },
  human(result) {
    const { labels } = result as { labels: LabelAgreement[] };
    if (labels.length === 0) return 'no labels in either map';
    const header = 'label   dice    iou   sens   spec  HD95 mm  ASD mm  vol A ml  vol B ml';
    const rows = labels.map((l) =>
      [String(l.label).padStart(5), fixed(l.dice, 4), fixed(l.iou, 4), fixed(l.sensitivity, 4), fixed(l.specificity, 4), fixed(l.hausdorff95Mm, 2).padStart(8), fixed(l.averageSurfaceDistanceMm, 2).padStart(7), fixed(l.volumeAMl, 3).padStart(9), fixed(l.volumeBMl, 3).padStart(9)].join('  '),
    );
    return [header, ...rows].join('\n');
  },
};
