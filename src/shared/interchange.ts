/**
 * What travels with a mask when it leaves or enters the app (DICOM SEG, RTSTRUCT, NIfTI + labels
 * JSON): per label value its name, colour, coded terminology and how it was made.
 */
import { z } from 'zod';
import { CodeSchema } from './segmentation.js';

/** DICOM Segment Algorithm Type (PS3.3 C.8.20.2.3). */
export const ALGORITHM_TYPES = ['MANUAL', 'SEMIAUTOMATIC', 'AUTOMATIC'] as const;
export type AlgorithmType = (typeof ALGORITHM_TYPES)[number];

const Rgb = z.tuple([z.number().int().min(0).max(255), z.number().int().min(0).max(255), z.number().int().min(0).max(255)]);

/** One label of a mask as SEG/RTSTRUCT/NIfTI sidecars describe it. */
export const MaskLabelSchema = z
  .object({
    value: z.number().int().min(1).max(65535),
    name: z.string().min(1).max(64),
    color: Rgb,
    category: CodeSchema.optional(),
    type: CodeSchema.optional(),
    algorithmType: z.enum(ALGORITHM_TYPES).default('MANUAL'),
    /** required by DICOM when the type is not MANUAL: the model name and version */
    algorithmName: z.string().max(64).optional(),
  })
  .strict();
export type MaskLabel = z.infer<typeof MaskLabelSchema>;
export type MaskLabelInput = z.input<typeof MaskLabelSchema>;

/**
 * LABELS.json for one-shot conversions and NIfTI sidecars: { "labels": [ … ] }. Values are unique.
 * Our NIfTI export writes the same shape, so an export can be fed back to `export seg --labels`.
 */
export const LabelsFileSchema = z
  .object({
    labels: z
      .array(MaskLabelSchema)
      .min(1)
      .refine((l) => new Set(l.map((x) => x.value)).size === l.length, { message: 'two labels have the same value' }),
  })
  .passthrough();
export type LabelsFile = z.infer<typeof LabelsFileSchema>;

/** A mask read from a SEG, RTSTRUCT or NIfTI file, on the grid of the series it refers to. */
export interface ImportedMask {
  /** voxel order of the series volume (i fastest, then j, then k) */
  labels: Uint8Array | Uint16Array;
  /** one entry per label value present or declared */
  segments: MaskLabel[];
  /** things the user should know that did not stop the import (e.g. overlapping segments merged) */
  warnings: string[];
}

const HostPath = z.string().min(1).max(4096);

/** De-identification of exported DICOM (PS3.15 Basic Profile; see src/shared/interchange/deidentify.ts). */
export const DeidentifyOptionsSchema = z
  .object({
    /** Retain Longitudinal Temporal Information with Modified Dates: shift dates by this many days */
    shiftDays: z.number().int().min(-36500).max(36500).optional(),
    /** new PatientName/PatientID (default: a random pseudonym) */
    pseudonym: z.string().min(1).max(64).optional(),
    /** write the original ↔ new identifiers here (only when asked; never beside the export) */
    mappingFile: HostPath.optional(),
  })
  .strict();
export type DeidentifyOptions = z.infer<typeof DeidentifyOptionsSchema>;

export const MASK_EXPORT_FORMATS = ['seg', 'rtstruct', 'nifti'] as const;
export type MaskExportFormat = (typeof MASK_EXPORT_FORMATS)[number];

export const ExportMaskParamsSchema = z
  .object({
    segmentationId: z.number().int().positive(),
    /** default: the segmentation's head (latest saved) version */
    versionId: z.number().int().positive().optional(),
    format: z.enum(MASK_EXPORT_FORMATS),
    /** the file to write (.dcm for SEG/RTSTRUCT, .nii or .nii.gz for NIfTI) */
    out: HostPath,
    /** NIfTI: also write the image volume here */
    imageOut: HostPath.optional(),
    /** SEG/RTSTRUCT: de-identify the written object */
    deidentify: DeidentifyOptionsSchema.optional(),
  })
  .strict();
export type ExportMaskParams = z.infer<typeof ExportMaskParamsSchema>;

export const ExportMaskResultSchema = z.object({
  format: z.enum(MASK_EXPORT_FORMATS),
  segmentationId: z.number().int(),
  versionId: z.number().int(),
  versionNumber: z.number().int(),
  files: z.array(z.object({ path: z.string(), bytes: z.number().int() })),
  /** labels written (SEG segments, RTSTRUCT ROIs, NIfTI label values) */
  labels: z.number().int(),
  /** SEG: frames; RTSTRUCT: contours */
  items: z.number().int().optional(),
  deidentified: z.boolean(),
  elapsedMs: z.number(),
});
export type ExportMaskResult = z.infer<typeof ExportMaskResultSchema>;

export const ExportDatasetParamsSchema = z
  .object({
    outDir: HostPath,
    /** nnU-Net dataset name, DatasetXXX_Name */
    name: z.string().regex(/^Dataset(?!000)\d{3}_[A-Za-z0-9][A-Za-z0-9_-]*$/, 'must look like Dataset501_Liver'),
    /** default: every accepted segmentation, at its head version */
    segmentationIds: z.array(z.number().int().positive()).max(100_000).optional(),
    folds: z.number().int().min(2).max(20).default(5),
    /** one dataset-wide label table by segment name, instead of refusing cases that disagree */
    remapLabels: z.boolean().default(false),
    /** case id ↔ patient/study/series identifiers, written only when asked, outside outDir */
    mappingFile: HostPath.optional(),
    /** the image channel's name in dataset.json (default: "CT" for CT, else the modality; needed for NIfTI imports) */
    channelName: z.string().min(1).max(64).optional(),
  })
  .strict();
export type ExportDatasetParams = z.infer<typeof ExportDatasetParamsSchema>;

export const MASK_IMPORT_FORMATS = ['seg', 'rtstruct', 'nifti'] as const;

export const ImportMaskParamsSchema = z
  .object({
    seriesId: z.number().int().positive(),
    /** a DICOM SEG, RTSTRUCT or NIfTI label map on the host */
    path: HostPath,
    /** NIfTI: a labels JSON ({ labels: [...] }) naming the values */
    labelsPath: HostPath.optional(),
    /** resample a mask whose grid is not the series' (nearest neighbour) instead of refusing it */
    resample: z.boolean().default(false),
  })
  .strict();
export type ImportMaskParams = z.infer<typeof ImportMaskParamsSchema>;

export const ImportMaskResultSchema = z.object({
  format: z.enum(MASK_IMPORT_FORMATS),
  segmentationId: z.number().int(),
  versionId: z.number().int(),
  versionNumber: z.number().int(),
  labels: z.number().int(),
  voxelCounts: z.record(z.string(), z.number().int()),
  resampled: z.boolean(),
  warnings: z.array(z.string()),
});
export type ImportMaskResult = z.infer<typeof ImportMaskResultSchema>;

export const DatasetExportResultSchema = z.object({
  outDir: z.string(),
  name: z.string(),
  numTraining: z.number().int(),
  channelNames: z.record(z.string(), z.string()),
  labels: z.record(z.string(), z.number().int()),
  cases: z.array(z.object({ caseId: z.string(), segmentationId: z.number().int(), versionId: z.number().int(), fold: z.number().int() })),
  mappingFile: z.string().optional(),
  warnings: z.array(z.string()),
});
export type DatasetExportResult = z.infer<typeof DatasetExportResultSchema>;
