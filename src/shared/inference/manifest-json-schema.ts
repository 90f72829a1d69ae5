/**
 * The JSON Schema of manifest.json, generated from ModelManifestSchema (zod's toJSONSchema, input
 * side: fields with defaults are optional). scripts/write-manifest-schema.mjs writes it to
 * native-models/manifest.schema.json; a test keeps the committed file equal to this.
 * Cross-field rules (unique label values, labels produced by an output channel, channelToLabel
 * length) are checked by Delineate only; JSON Schema cannot express them.
 */
import { z } from 'zod';
import { ModelManifestSchema } from './manifest.js';

export function manifestJsonSchema(): Record<string, unknown> {
  const { $schema, ...rest } = z.toJSONSchema(ModelManifestSchema, { target: 'draft-2020-12', io: 'input' }) as Record<string, unknown>;
  return {
    $schema,
    title: 'Delineate model package manifest',
    description:
      'manifest.json of a Delineate segmentation model package (a folder with manifest.json, the .onnx file it names and LICENSE). Generated from ModelManifestSchema in src/shared/inference/manifest.ts by scripts/write-manifest-schema.mjs; do not edit.',
    ...rest,
  };
}

/** The file's exact text: two-space JSON and a final newline. */
export function manifestJsonSchemaText(): string {
  return `${JSON.stringify(manifestJsonSchema(), null, 2)}\n`;
}
