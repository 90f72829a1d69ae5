/**
 * What the registry says about one model package (`delineate models list`, the model picker): enough
 * to choose a model and to explain why one cannot be used. Pure TypeScript, shared with the UI.
 */
import { z } from 'zod';
import { ModelLabelSchema } from './manifest.js';

export const ModelOriginSchema = z.enum(['shipped', 'user']);

export const ModelSummarySchema = z
  .object({
    /** the manifest id; the folder name when the manifest cannot be read */
    id: z.string().min(1),
    /** the manifest name; the folder name when the manifest cannot be read */
    name: z.string(),
    /** the fields below are '' or [] when the manifest cannot be read */
    version: z.string(),
    license: z.string(),
    task: z.string(),
    modality: z.array(z.string()),
    bodyPart: z.string(),
    description: z.string(),
    origin: ModelOriginSchema,
    /** the package folder */
    dir: z.string(),
    /** the package passed every check (manifest, files, ONNX graph against the manifest) */
    available: z.boolean(),
    /** why it is not available: the file and what is wrong with it */
    problem: z.string().optional(),
    labels: z.array(ModelLabelSchema.pick({ value: true, name: true, color: true })),
    /** null when the manifest cannot be read */
    inferenceMode: z.enum(['whole', 'sliding-window']).nullable(),
    /** hex SHA-256 of the .onnx file, once it has been checked */
    sha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  })
  .strict();

export type ModelOrigin = z.infer<typeof ModelOriginSchema>;
export type ModelSummary = z.infer<typeof ModelSummarySchema>;
