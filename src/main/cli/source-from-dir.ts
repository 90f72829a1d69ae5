/** A DICOM folder as the series a one-shot mask conversion refers to (no store involved). */
import path from 'node:path';
import { DelineateError } from '../../shared/errors.js';
import { resolveDataDir } from '../data-dir.js';
import { toSourceSeries, type SourceSeries } from '../interchange/source-series.js';
import { planVolumes } from '../studies/dicom/series-builder.js';
import { scanInputs } from '../studies/scan.js';
import { chooseSeries } from './choose-series.js';
import type { CliIo } from './command.js';

export async function sourceSeriesFromDir(input: string, wanted: string | undefined, io: CliIo): Promise<SourceSeries> {
  const dir = path.resolve(input);
  // the default header reader (this thread): SEG/RTSTRUCT objects and other non-images are skipped
  const scan = await scanInputs([dir], { extractDir: path.join(resolveDataDir(undefined, io.env), 'extracted') });
  const volumes = planVolumes(scan.dicom);
  if (volumes.length === 0) {
    const why = scan.skipped.slice(0, 3).map((s) => `${s.path}: ${s.reason}`).join('; ');
    throw new DelineateError('invalid_input', `No DICOM image series in ${dir}${why ? ` (${why})` : ''}`);
  }
  const volume = chooseSeries(volumes, wanted, (v, uid) => v.series.seriesInstanceUid === uid);
  return toSourceSeries(volume, scan.dicom);
}
