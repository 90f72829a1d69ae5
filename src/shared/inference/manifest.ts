/**
 * Model packages: what a segmentation model needs around its ONNX graph (input space, intensity
 * normalisation, tiling, output meaning, labels) so that one pipeline runs shipped and user models.
 * native-models/manifest.schema.json is generated from this schema.
 */
import { z } from 'zod';
import { CodeSchema } from '../segmentation.js';

const Vec3Schema = z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]);
const Int3Schema = z.tuple([z.number().int().positive(), z.number().int().positive(), z.number().int().positive()]);

/** Three letters, one per tensor axis D, H, W (slowest first): the direction the index grows towards. */
export const ORIENTATION_PATTERN = /^(?=.*[LR])(?=.*[PA])(?=.*[IS])[LRPAIS]{3}$/;

export const ConformSchema = z
  .object({
    /**
     * 'native': the series' own voxel axes (D = slice, H = row, W = column), as nnU-Net and MONAI
     * exports expect; or a code such as 'LIA' (FreeSurfer's conformed space, which brainchop uses).
     */
    orientation: z.union([z.literal('native'), z.string().regex(ORIENTATION_PATTERN, 'three letters from L/R, P/A, I/S, one of each pair')]),
    /** voxel size along D, H, W in mm; null keeps the series' spacing */
    spacingMm: Vec3Schema.nullable(),
    /** a fixed grid D×H×W centred on the volume (FreeSurfer conform: 256³); null covers the whole volume */
    shape: Int3Schema.nullable(),
    interpolation: z.enum(['linear', 'nearest']).default('linear'),
  })
  .strict();

export const NormalisationStepSchema = z.discriminatedUnion('kind', [
  /** scale to [0, 1] by the volume's min and max */
  z.object({ kind: z.literal('min-max') }).strict(),
  /** clip to the given percentiles of the volume (0–100) */
  z.object({ kind: z.literal('percentile-clip'), lower: z.number().min(0).max(100), upper: z.number().min(0).max(100) }).strict(),
  /** subtract the mean, divide by the standard deviation (of the non-zero voxels when `nonZero`) */
  z.object({ kind: z.literal('z-score'), nonZero: z.boolean().default(false) }).strict(),
  /** fixed z-score with dataset statistics (nnU-Net CT normalisation) */
  z.object({ kind: z.literal('fixed-z-score'), mean: z.number(), std: z.number().positive() }).strict(),
  /** clip to a CT window (HU) and scale to [0, 1] */
  z.object({ kind: z.literal('ct-window'), center: z.number(), width: z.number().positive() }).strict(),
  /** FreeSurfer/FastSurfer conform scaling to 0–255 (robust range from 0 to the `upperQuantile` of the histogram), rounded */
  z.object({ kind: z.literal('robust-uint8'), upperQuantile: z.number().gt(0).max(1).default(0.999) }).strict(),
]);

export const InferenceSchema = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('whole') }).strict(),
  z
    .object({
      mode: z.literal('sliding-window'),
      patchSize: Int3Schema,
      /** fraction of a patch shared with its neighbour, per axis (nnU-Net: 0.5) */
      overlap: z.number().min(0).max(0.9).default(0.5),
      blending: z.enum(['gaussian', 'constant']).default('gaussian'),
      /** Gaussian sigma as a fraction of the patch size (nnU-Net: 1/8) */
      sigmaScale: z.number().positive().max(1).default(0.125),
      /** test-time augmentation: also run mirrored along these tensor axes (0 = D, 1 = H, 2 = W) and average */
      mirrorAxes: z.array(z.union([z.literal(0), z.literal(1), z.literal(2)])).max(3).default([]),
    })
    .strict(),
]);

export const ModelLabelSchema = z
  .object({
    value: z.number().int().min(1).max(65535),
    name: z.string().min(1).max(128),
    color: z.tuple([z.number().int().min(0).max(255), z.number().int().min(0).max(255), z.number().int().min(0).max(255)]),
    /** SNOMED CT (DICOM CID 7150/7151) codes, carried into the segments and DICOM SEG */
    category: CodeSchema.optional(),
    type: CodeSchema.optional(),
  })
  .strict();

export const ModelManifestSchema = z
  .object({
    /** lets editors validate the file against native-models/manifest.schema.json */
    $schema: z.string().max(2000).optional(),
    id: z.string().regex(/^[a-z0-9][a-z0-9._-]{1,63}$/, 'lower-case letters, digits, dot, dash or underscore (2–64)'),
    name: z.string().min(1).max(200),
    version: z.string().min(1).max(64),
    /** SPDX identifier or licence name; the LICENSE file sits beside the manifest */
    license: z.string().min(1).max(200),
    description: z.string().max(2000).default(''),
    task: z.literal('segmentation'),
    /** DICOM modality codes the model was trained on, e.g. ['MR'] */
    modality: z.array(z.string().regex(/^[A-Z]{2,4}$/)).min(1),
    bodyPart: z.string().min(1).max(64),
    /** the .onnx file, relative to the package folder */
    file: z.string().regex(/^[^/\\]+\.onnx$/, 'a file name in the package folder ending in .onnx'),
    /** where the weights came from and how they were converted */
    source: z.object({ url: z.string().max(2000).optional(), citation: z.string().max(2000).optional(), conversion: z.string().max(2000).optional() }).strict().default({}),
    input: z
      .object({
        /** the ONNX input; the model's first input when left out */
        name: z.string().optional(),
        /** image channels (1 for a single series) */
        channels: z.literal(1),
        conform: ConformSchema,
        /** crop to the bounding box of voxels above `threshold` (after normalisation) plus a margin, to save time */
        crop: z.object({ threshold: z.number(), marginVoxels: z.number().int().min(0).max(64) }).strict().nullable().default(null),
        normalisation: z.array(NormalisationStepSchema).max(8),
      })
      .strict(),
    inference: InferenceSchema,
    output: z
      .object({
        name: z.string().optional(),
        /** what the output channels hold; 'labels' is one channel of label values */
        kind: z.enum(['logits', 'softmax', 'labels']),
        channels: z.number().int().min(1).max(1024),
        /** label value for each output channel (index = channel); channel index is the value when left out */
        channelToLabel: z.array(z.number().int().min(0).max(65535)).optional(),
      })
      .strict(),
    postprocess: z
      .object({
        /** keep only the largest connected component of these labels (or of the union when 'foreground') */
        keepLargestComponent: z.union([z.literal('foreground'), z.array(z.number().int().min(1))]).default([]),
        /** fill enclosed holes of these labels (background not 6-connected to the grid border) */
        fillHoles: z.array(z.number().int().min(1)).default([]),
      })
      .strict()
      .default({ keepLargestComponent: [], fillHoles: [] }),
    labels: z.array(ModelLabelSchema).min(1),
  })
  .strict()
  .superRefine((m, ctx) => {
    const values = m.labels.map((l) => l.value);
    if (new Set(values).size !== values.length) ctx.addIssue({ code: 'custom', path: ['labels'], message: 'label values must be unique' });
    const produced = new Set(m.output.channelToLabel ?? Array.from({ length: m.output.channels }, (_, c) => c));
    for (const [i, l] of m.labels.entries()) {
      if (m.output.kind !== 'labels' && !produced.has(l.value)) ctx.addIssue({ code: 'custom', path: ['labels', i, 'value'], message: `label ${l.value} is not produced by any output channel` });
    }
    if (m.output.channelToLabel && m.output.channelToLabel.length !== m.output.channels) {
      ctx.addIssue({ code: 'custom', path: ['output', 'channelToLabel'], message: `needs one entry per output channel (${m.output.channels})` });
    }
    if (m.output.kind === 'labels' && m.output.channels !== 1) ctx.addIssue({ code: 'custom', path: ['output', 'channels'], message: "a 'labels' output has one channel" });
  });

export type ModelManifest = z.infer<typeof ModelManifestSchema>;
export type ConformSpec = z.infer<typeof ConformSchema>;
export type NormalisationStep = z.infer<typeof NormalisationStepSchema>;
export type InferenceSpec = z.infer<typeof InferenceSchema>;
export type ModelLabel = z.infer<typeof ModelLabelSchema>;
