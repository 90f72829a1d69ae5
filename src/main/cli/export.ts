/**
 * `delineate export seg|rtstruct|nifti|dataset …`: a stored version to DICOM SEG/RTSTRUCT/NIfTI, the
 * accepted segmentations to a training dataset, or (seg/rtstruct with --input and --mask) a one-shot
 * conversion of a NIfTI label map on a DICOM folder, with no store involved.
 */
import path from 'node:path';
import { DelineateError } from '../../shared/errors.js';
import type { DatasetExportResult, ExportMaskResult } from '../../shared/interchange.js';
import { resolveDataDir } from '../data-dir.js';
import { EXPORT_DATASET_JOB, EXPORT_MASK_JOB } from '../interchange/job-names.js';
import { writeFileAtomically } from '../interchange/atomic-file.js';
import { readNiftiMask } from '../interchange/nifti-mask.js';
import { buildRtstruct } from '../interchange/rtstruct-export.js';
import { buildSeg } from '../interchange/seg-export.js';
import { createServices, type AppServices } from '../services/app-services.js';
import { DATA_DIR_OPTION, type Command, type ParsedArgs } from './command.js';
import { runJobToEnd } from './run-job.js';
import { sourceSeriesFromDir } from './source-from-dir.js';

const FORMATS = ['seg', 'rtstruct', 'nifti', 'dataset'] as const;
type Format = (typeof FORMATS)[number];

const str = (args: ParsedArgs, name: string) => args.values[name] as string | undefined;

function intOption(args: ParsedArgs, name: string): number | undefined {
  const raw = str(args, name);
  if (raw === undefined) return undefined;
  if (!/^-?\d+$/.test(raw)) throw new DelineateError('invalid_params', `--${name} must be a whole number, not ${JSON.stringify(raw)}`);
  return Number(raw);
}

/** --segmentation ID, or --series ID|UID (its segmentation). */
function segmentationOf(services: AppServices, args: ParsedArgs): number {
  const direct = intOption(args, 'segmentation');
  if (direct !== undefined) return direct;
  const series = str(args, 'series');
  if (!series) throw new DelineateError('invalid_params', '--series ID|UID or --segmentation ID is required (or --input and --mask for a one-shot conversion)');
  const seriesId = /^\d+$/.test(series) ? Number(series) : services.studies.findSeriesId(series);
  if (seriesId === null) throw new DelineateError('not_found', `No series ${series} in the store`);
  const id = services.segmentations.segmentationOfSeries(seriesId);
  if (id === null) throw new DelineateError('not_found', `Series ${series} has no segmentation`);
  return id;
}

/** --version N (its number within the segmentation) → version id; none: the head. */
function versionIdOf(services: AppServices, segmentationId: number, args: ParsedArgs): number | undefined {
  const number = intOption(args, 'version');
  if (number === undefined) return undefined;
  const version = services.segmentations.listVersions(segmentationId).find((v) => v.number === number);
  if (!version) throw new DelineateError('not_found', `Segmentation ${segmentationId} has no version ${number}`);
  return version.id;
}

function deidentifyOf(args: ParsedArgs): Record<string, unknown> | undefined {
  const shiftDays = intOption(args, 'shift-days');
  const pseudonym = str(args, 'pseudonym');
  const mappingFile = str(args, 'mapping');
  if (!args.values.deidentify) {
    if (shiftDays !== undefined || pseudonym || mappingFile) throw new DelineateError('invalid_params', '--shift-days, --pseudonym and --mapping go with --deidentify');
    return undefined;
  }
  return { ...(shiftDays === undefined ? {} : { shiftDays }), ...(pseudonym ? { pseudonym } : {}), ...(mappingFile ? { mappingFile: path.resolve(mappingFile) } : {}) };
}

async function oneShot(format: 'seg' | 'rtstruct', args: ParsedArgs, out: string, io: Parameters<Command['run']>[1]): Promise<unknown> {
  const started = performance.now();
  const mask = str(args, 'mask');
  if (!mask) throw new DelineateError('invalid_params', '--mask LABELS.nii.gz is required with --input');
  const source = await sourceSeriesFromDir(str(args, 'input')!, str(args, 'series'), io);
  const labelsPath = str(args, 'labels');
  const read = await readNiftiMask(path.resolve(mask), source.geometry, { resample: args.values.resample === true, ...(labelsPath ? { labelsPath: path.resolve(labelsPath) } : {}) });
  const input = { source, labels: read.labels, segments: read.segments };
  const built = format === 'seg' ? buildSeg(input) : buildRtstruct(input);
  writeFileAtomically(out, built.bytes);
  return { format, out, bytes: built.bytes.byteLength, series: source.seriesInstanceUid, labels: read.segments.length, warnings: read.warnings, elapsedMs: Math.round(performance.now() - started) };
}

export const exportCommand: Command = {
  name: 'export',
  summary: 'Write a stored version as DICOM SEG, RTSTRUCT or NIfTI, or the accepted segmentations as an nnU-Net/MONAI dataset.',
  usage: [
    'delineate export seg|rtstruct|nifti (--series ID|UID | --segmentation ID) [--version N] --out FILE [--deidentify [--shift-days N] [--pseudonym NAME] [--mapping FILE]] [--image-out FILE.nii.gz]',
    '       delineate export seg|rtstruct --input DICOM_DIR --mask LABELS.nii.gz [--labels LABELS.json] [--series N|UID] [--resample] --out FILE.dcm',
    '       delineate export dataset --out DIR --name DatasetXXX_Name [--segmentations ID,ID] [--folds K] [--remap-labels] [--mapping FILE]',
  ].join('\n'),
  allowPositionals: true,
  options: {
    out: { type: 'string', valueName: 'PATH', description: 'the file (seg/rtstruct: .dcm, nifti: .nii or .nii.gz) or, for dataset, a new folder' },
    series: { type: 'string', valueName: 'ID|UID', description: 'the series whose segmentation to export (one-shot: which series of --input)' },
    segmentation: { type: 'string', valueName: 'ID', description: 'the segmentation to export' },
    version: { type: 'string', valueName: 'N', description: 'version number (default: the latest saved version)' },
    input: { type: 'string', valueName: 'DICOM_DIR', description: 'one-shot: the DICOM series the mask is drawn on' },
    mask: { type: 'string', valueName: 'FILE', description: 'one-shot: a NIfTI label map on that series' },
    labels: { type: 'string', valueName: 'FILE', description: 'one-shot: labels JSON ({"labels": [{value, name, color, category, type, algorithmType, algorithmName}]})' },
    resample: { type: 'boolean', description: 'one-shot: resample a mask whose grid is not the series\' (nearest neighbour) instead of refusing it' },
    deidentify: { type: 'boolean', description: 'seg/rtstruct: apply the DICOM PS3.15 Basic Application Level Confidentiality Profile' },
    'shift-days': { type: 'string', valueName: 'N', description: 'with --deidentify: keep dates, shifted by N days (Retain Longitudinal Temporal Information, Modified Dates)' },
    pseudonym: { type: 'string', valueName: 'NAME', description: 'with --deidentify: the new patient name and ID' },
    mapping: { type: 'string', valueName: 'FILE', description: 'write the original ↔ new identifiers here (kept apart from the export)' },
    'image-out': { type: 'string', valueName: 'FILE', description: 'nifti: also write the image volume' },
    name: { type: 'string', valueName: 'NAME', description: 'dataset: nnU-Net name, e.g. Dataset501_Liver' },
    segmentations: { type: 'string', valueName: 'ID,ID', description: 'dataset: these segmentations instead of every accepted one' },
    folds: { type: 'string', valueName: 'K', description: 'dataset: cross-validation folds in the MONAI datalist (default 5)' },
    'remap-labels': { type: 'boolean', description: 'dataset: one label table by segment name when cases number labels differently' },
    'data-dir': DATA_DIR_OPTION,
  },
  async run(args, io) {
    const [format, ...extra] = args.positionals as [Format | undefined, ...string[]];
    if (!format || !FORMATS.includes(format) || extra.length) throw new DelineateError('invalid_params', `export needs one of ${FORMATS.join(', ')} (see: delineate export --help)`);
    const outArg = str(args, 'out');
    if (!outArg) throw new DelineateError('invalid_params', '--out is required');
    const out = path.resolve(outArg);
    if ((format === 'seg' || format === 'rtstruct') && str(args, 'input') !== undefined) return oneShot(format, args, out, io);
    if (format === 'nifti' && !/\.nii(\.gz)?$/i.test(out)) throw new DelineateError('invalid_params', '--out must name a .nii or .nii.gz file');

    const services = createServices({ dataDir: resolveDataDir(str(args, 'data-dir'), io.env), host: 'cli' });
    try {
      if (format === 'dataset') {
        const name = str(args, 'name');
        if (!name) throw new DelineateError('invalid_params', '--name DatasetXXX_Name is required');
        const ids = str(args, 'segmentations')
          ?.split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        if (ids?.some((s) => !/^\d+$/.test(s))) throw new DelineateError('invalid_params', '--segmentations takes ids separated by commas');
        const folds = intOption(args, 'folds');
        const mapping = str(args, 'mapping');
        return await runJobToEnd(
          services,
          EXPORT_DATASET_JOB,
          {
            outDir: out,
            name,
            ...(ids ? { segmentationIds: ids.map(Number) } : {}),
            ...(folds === undefined ? {} : { folds }),
            ...(args.values['remap-labels'] ? { remapLabels: true } : {}),
            ...(mapping ? { mappingFile: path.resolve(mapping) } : {}),
          },
          io,
          args.json,
        );
      }
      const segmentationId = segmentationOf(services, args);
      const versionId = versionIdOf(services, segmentationId, args);
      const deidentify = deidentifyOf(args);
      const imageOut = str(args, 'image-out');
      const params = { segmentationId, format, out, ...(versionId === undefined ? {} : { versionId }), ...(deidentify ? { deidentify } : {}), ...(imageOut ? { imageOut: path.resolve(imageOut) } : {}) };
      return await runJobToEnd(services, EXPORT_MASK_JOB, params, io, args.json);
    } finally {
      await services.close();
    }
  },
  human(r) {
    const res = r as Partial<ExportMaskResult> & Partial<DatasetExportResult> & { out?: string };
    if (res.files) return res.files.map((f) => `wrote ${f.path} (${f.bytes} bytes)`).join('\n');
    if (res.outDir) return [`wrote ${res.numTraining} cases to ${res.outDir}`, ...(res.warnings ?? [])].join('\n');
    return [`wrote ${res.out}`, ...(res.warnings ?? [])].join('\n');
  },
};

