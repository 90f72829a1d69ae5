/** The DICOM source of a stored series, checked to be exactly the grid the store holds its masks on. */
import { DelineateError } from '../../shared/errors.js';
import { sameGrid } from '../../shared/labels.js';
import type { StudiesRepo } from '../store/studies-repo.js';
import { readSourceSeries, type SourceSeries } from './source-series.js';

export function storedSourceSeries(studies: StudiesRepo, seriesId: number): SourceSeries {
  const series = studies.getSeries(seriesId);
  if (!series) throw new DelineateError('not_found', `No series ${seriesId}`);
  const label = series.description || `series ${seriesId}`;
  if (series.sourceKind !== 'dicom') throw new DelineateError('invalid_params', `${label} was imported from NIfTI: DICOM SEG and RTSTRUCT need the DICOM series they refer to`);
  const source = readSourceSeries(studies.sources(seriesId).map((s) => s.path), series.key);
  if (!sameGrid(source.geometry, series)) throw new DelineateError('invalid_input', `The source files of ${label} no longer give the grid it was imported with; re-import the series`);
  return source;
}
