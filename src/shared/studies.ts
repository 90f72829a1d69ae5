import { z } from 'zod';
import { VOXEL_TYPES } from './volume.js';

const Vec3Schema = z.tuple([z.number(), z.number(), z.number()]);

export const SeriesSummarySchema = z.object({
  id: z.number().int(),
  /** SeriesInstanceUID, "UID#N" for further stacks split from one series, "nifti:<sha256>" for NIfTI */
  key: z.string(),
  seriesInstanceUid: z.string(),
  sourceKind: z.enum(['dicom', 'nifti']),
  modality: z.string(),
  description: z.string(),
  seriesNumber: z.number().int().nullable(),
  splitReason: z.string().nullable(),
  dims: Vec3Schema,
  spacing: Vec3Schema,
  affineLps: z.array(z.number()).length(16),
  voxelType: z.enum(VOXEL_TYPES),
  components: z.union([z.literal(1), z.literal(3)]),
  transferSyntaxes: z.array(z.string()),
  warnings: z.array(z.string()),
  /** MONOCHROME1: values are kept as acquired; the viewer shows low values bright */
  displayInverted: z.boolean(),
  fileCount: z.number().int(),
  importedAt: z.string(),
});
export type SeriesSummary = z.infer<typeof SeriesSummarySchema>;

export const StudySummarySchema = z.object({
  id: z.number().int(),
  studyInstanceUid: z.string(),
  patientName: z.string(),
  patientId: z.string(),
  studyDate: z.string(),
  description: z.string(),
  modalities: z.array(z.string()),
  series: z.array(SeriesSummarySchema),
});
export type StudySummary = z.infer<typeof StudySummarySchema>;

export const SkippedFileSchema = z.object({ path: z.string(), reason: z.string() });

export const ImportedSeriesSchema = SeriesSummarySchema.extend({
  /** what this import did with it */
  status: z.enum(['imported', 'unchanged', 'reimported']),
  /** source files of an earlier import of this series that are gone or changed on disk */
  sourceChanges: z.array(z.object({ path: z.string(), change: z.enum(['vanished', 'changed']) })),
});
export type ImportedSeries = z.infer<typeof ImportedSeriesSchema>;

export const ImportReportSchema = z.object({
  series: z.array(ImportedSeriesSchema),
  skipped: z.array(SkippedFileSchema),
  /** series that could not be built (e.g. a file failed to decode): nothing of them was stored */
  failed: z.array(z.object({ key: z.string(), description: z.string(), reason: z.string() })),
});
export type ImportReport = z.infer<typeof ImportReportSchema>;

/** DICOM PersonName "Family^Given^Middle^Prefix^Suffix" as people read it: "Family, Given Middle". */
export function formatPersonName(pn: string): string {
  const [family = '', given = '', middle = '', prefix = '', suffix = ''] = pn.split('^').map((p) => p.trim());
  const rest = [prefix, given, middle].filter(Boolean).join(' ');
  const name = [family, rest].filter(Boolean).join(', ');
  return suffix ? `${name} ${suffix}` : name;
}
