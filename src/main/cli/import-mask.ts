/**
 * `delineate import-mask FILE …`: a DICOM SEG, RTSTRUCT or NIfTI mask onto a stored series as a new
 * version, or (with --input) converted to a NIfTI label map on a DICOM folder's grid, with no store.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DelineateError } from '../../shared/errors.js';
import type { ImportedMask, ImportMaskResult } from '../../shared/interchange.js';
import { flipAxis } from '../../shared/reorient.js';
import { voxelTypeOf } from '../../shared/volume.js';
import { resolveDataDir } from '../data-dir.js';
import { writeFileAtomically } from '../interchange/atomic-file.js';
import { IMPORT_MASK_JOB } from '../interchange/job-names.js';
import { maskFileFormat } from '../interchange/mask-format.js';
import { readNiftiMask, sidecarPathOf } from '../interchange/nifti-mask.js';
import { readRtstruct } from '../interchange/rtstruct-import.js';
import { readSeg } from '../interchange/seg-import.js';
import { createServices } from '../services/app-services.js';
import { writeNiftiFile } from '../studies/nifti-file.js';
import { DATA_DIR_OPTION, type Command } from './command.js';
import { runJobToEnd } from './run-job.js';
import { sourceSeriesFromDir } from './source-from-dir.js';

export const importMaskCommand: Command = {
  name: 'import-mask',
  summary: 'Import a DICOM SEG, RTSTRUCT or NIfTI mask onto a stored series, or convert one to NIfTI on a DICOM folder.',
  usage: [
    'delineate import-mask FILE --series ID|UID [--labels LABELS.json] [--resample] [--data-dir DIR] [--json]',
    '       delineate import-mask FILE --input DICOM_DIR [--series N|UID] [--labels LABELS.json] [--resample] --out LABELS.nii.gz [--json]',
  ].join('\n'),
  allowPositionals: true,
  options: {
    series: { type: 'string', valueName: 'ID|UID', description: 'the stored series to add the mask to (with --input: which series of the folder)' },
    input: { type: 'string', valueName: 'DICOM_DIR', description: 'convert without the store: the DICOM series the mask refers to' },
    out: { type: 'string', valueName: 'FILE', description: 'with --input: the label map to write (.nii or .nii.gz; a labels JSON is written beside it)' },
    labels: { type: 'string', valueName: 'FILE', description: 'NIfTI masks: labels JSON naming the values (default: NAME.json beside the mask)' },
    resample: { type: 'boolean', description: 'resample a NIfTI mask whose grid is not the series\' (nearest neighbour) instead of refusing it' },
    'data-dir': DATA_DIR_OPTION,
  },
  async run(args, io) {
    const [file, ...extra] = args.positionals;
    if (!file || extra.length) throw new DelineateError('invalid_params', 'import-mask needs exactly one FILE (see: delineate import-mask --help)');
    const maskPath = path.resolve(file);
    if (!fs.existsSync(maskPath)) throw new DelineateError('not_found', `No file ${maskPath}`);
    const labelsPath = args.values.labels as string | undefined;
    const resample = args.values.resample === true;
    const input = args.values.input as string | undefined;
    const series = args.values.series as string | undefined;

    if (input !== undefined) {
      const out = args.values.out as string | undefined;
      if (!out || !/\.nii(\.gz)?$/i.test(out)) throw new DelineateError('invalid_params', '--out LABELS.nii or LABELS.nii.gz is required with --input');
      const source = await sourceSeriesFromDir(input, series, io);
      const format = maskFileFormat(maskPath);
      const name = path.basename(maskPath);
      const mask: ImportedMask =
        format === 'nifti'
          ? await readNiftiMask(maskPath, source.geometry, { resample, ...(labelsPath ? { labelsPath: path.resolve(labelsPath) } : {}) })
          : format === 'seg'
            ? readSeg(new Uint8Array(fs.readFileSync(maskPath)), source, name)
            : readRtstruct(new Uint8Array(fs.readFileSync(maskPath)), source, name);
      const volume = { ...source.geometry, voxelType: voxelTypeOf(mask.labels), components: 1 as const, data: mask.labels };
      const written = path.resolve(out);
      // the layout `delineate convert` and dcm2niix write for the series, so the two overlay
      await writeNiftiFile(written, flipAxis(volume, 1), { description: `Delineate ${format} import` });
      writeFileAtomically(sidecarPathOf(written), `${JSON.stringify({ labels: mask.segments }, null, 2)}\n`);
      return { format, out: written, labelsFile: sidecarPathOf(written), labels: mask.segments.length, warnings: mask.warnings };
    }

    if (!series) throw new DelineateError('invalid_params', '--series ID|UID (a stored series) or --input DICOM_DIR is required');
    const services = createServices({ dataDir: resolveDataDir(args.values['data-dir'] as string | undefined, io.env), host: 'cli' });
    try {
      const seriesId = /^\d+$/.test(series) ? Number(series) : services.studies.findSeriesId(series);
      if (seriesId === null) throw new DelineateError('not_found', `No series ${series} in the store`);
      const params = { seriesId, path: maskPath, resample, ...(labelsPath ? { labelsPath: path.resolve(labelsPath) } : {}) };
      return await runJobToEnd(services, IMPORT_MASK_JOB, params, io, args.json);
    } finally {
      await services.close();
    }
  },
  human(r) {
    const res = r as Partial<ImportMaskResult> & { out?: string; warnings: string[] };
    const head = res.out ? `wrote ${res.out}` : `imported ${res.format?.toUpperCase()} as version ${res.versionNumber} of segmentation ${res.segmentationId}`;
    return [head, ...res.warnings].join('\n');
  },
};
