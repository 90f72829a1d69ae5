import path from 'node:path';
import { DelineateError } from '../../shared/errors.js';
import { flipAxis } from '../../shared/reorient.js';
import type { ImportReport } from '../../shared/studies.js';
import type { Volume } from '../../shared/volume.js';
import { resolveDataDir } from '../data-dir.js';
import { createServices } from '../services/app-services.js';
import { assembleVolume } from '../studies/dicom/assemble-volume.js';
import { planVolumes } from '../studies/dicom/series-builder.js';
import { createDecoder, type Decoder } from '../studies/decoder.js';
import { readNiftiFile, writeNiftiFile } from '../studies/nifti-file.js';
import { scanInputs } from '../studies/scan.js';
import { DATA_DIR_OPTION, type CliIo, type Command } from './command.js';
import { runJobToEnd } from './run-job.js';
import { chooseSeries } from './choose-series.js';

export const importCommand: Command = {
  name: 'import',
  summary: 'Import DICOM or NIfTI files, folders (recursive) or .zip archives into the store.',
  usage: 'delineate import PATH... [--data-dir DIR] [--json]',
  allowPositionals: true,
  options: { 'data-dir': DATA_DIR_OPTION },
  async run(args, io) {
    if (args.positionals.length === 0) throw new DelineateError('invalid_params', 'import needs at least one PATH (see: delineate import --help)');
    const services = createServices({ dataDir: resolveDataDir(args.values['data-dir'] as string | undefined, io.env), host: 'cli' });
    try {
      return (await runJobToEnd(services, 'studies.import', { paths: args.positionals.map((p) => path.resolve(p)) }, io, args.json)) as ImportReport;
    } finally {
      await services.close();
    }
  },
  human(result) {
    const r = result as ImportReport;
    const lines = r.series.map(
      (s, i) =>
        `#${i + 1} ${s.status.padEnd(10)} ${s.modality.padEnd(3)} ${s.dims.join('×')} @ ${s.spacing.map((v) => v.toFixed(3)).join('×')} mm  ${s.description}  ${s.key}` +
        (s.splitReason ? `\n      split: ${s.splitReason}` : '') +
        s.warnings.map((w) => `\n      warning: ${w}`).join('') +
        s.sourceChanges.map((c) => `\n      source ${c.change}: ${c.path}`).join(''),
    );
    return [
      `${r.series.length} series`,
      ...lines,
      ...r.failed.map((f) => `failed: ${f.description}: ${f.reason}`),
      ...(r.skipped.length ? [`${r.skipped.length} file(s) skipped:`, ...r.skipped.map((s) => `  ${s.path}: ${s.reason}`)] : []),
    ].join('\n');
  },
};

export const convertCommand: Command = {
  name: 'convert',
  summary: 'Write one series as NIfTI (RAS sform/qform, the same layout dcm2niix writes). Does not touch the store.',
  usage: 'delineate convert PATH --series UID_OR_NUMBER --out FILE.nii[.gz] [--json]',
  allowPositionals: true,
  options: {
    series: { type: 'string', valueName: 'UID_OR_NUMBER', description: 'SeriesInstanceUID (or UID#N for a split stack), or its number (1, 2, …) in the order `import` lists' },
    out: { type: 'string', valueName: 'FILE', description: 'output .nii or .nii.gz' },
  },
  async run(args, io) {
    const [input, ...extra] = args.positionals;
    const out = args.values.out as string | undefined;
    const wanted = args.values.series as string | undefined;
    if (!input || extra.length) throw new DelineateError('invalid_params', 'convert needs exactly one PATH (see: delineate convert --help)');
    if (!out || !/\.nii(\.gz)?$/i.test(out)) throw new DelineateError('invalid_params', '--out FILE.nii or FILE.nii.gz is required');
    const volume = await loadOneVolume(path.resolve(input), wanted, io);
    const layout = volume.fromDicom ? flipAxis(volume.volume, 1) : volume.volume;
    await writeNiftiFile(path.resolve(out), layout, { description: 'Delineate convert' });
    return { out: path.resolve(out), key: volume.key, dims: layout.dims, spacing: layout.spacing, affineLps: layout.affineLps, voxelType: layout.voxelType };
  },
  human: (r) => `wrote ${(r as { out: string }).out}`,
};

async function loadOneVolume(input: string, wanted: string | undefined, io: CliIo): Promise<{ key: string; volume: Volume; fromDicom: boolean }> {
  const decoder = createDecoder();
  try {
    return await loadWith(decoder, input, wanted, io);
  } finally {
    await decoder.close();
  }
}

async function loadWith(decoder: Decoder, input: string, wanted: string | undefined, io: CliIo): Promise<{ key: string; volume: Volume; fromDicom: boolean }> {
  const scan = await scanInputs([input], { extractDir: path.join(resolveDataDir(undefined, io.env), 'extracted'), readHeader: decoder.readHeader });
  const planned = planVolumes(scan.dicom);
  const candidates = [...planned.map((p) => ({ key: p.key, uid: p.series.seriesInstanceUid, dicom: p, nifti: null as string | null })), ...scan.nifti.map((f) => ({ key: f, uid: f, dicom: null, nifti: f }))];
  if (candidates.length === 0) {
    const why = scan.skipped.slice(0, 3).map((s) => `${s.path}: ${s.reason}`).join('; ');
    throw new DelineateError('invalid_input', `No image series found in ${input}${why ? ` (${why})` : ''}`);
  }
  const chosen = chooseSeries(candidates, wanted, (c, uid) => c.uid === uid);
  if (chosen.nifti) return { key: chosen.key, volume: await readNiftiFile(chosen.nifti), fromDicom: false };
  return { key: chosen.key, volume: await assembleVolume(chosen.dicom!, decoder.decode, { concurrency: decoder.concurrency }), fromDicom: true };
}
