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
