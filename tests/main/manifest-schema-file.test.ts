// native-models/manifest.schema.json is generated from ModelManifestSchema: the committed file must be
// what the schema generates today (regenerate: node scripts/write-manifest-schema.mjs after a build).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { manifestJsonSchema, manifestJsonSchemaText } from '../../src/shared/inference/manifest-json-schema.js';
import { tempDir } from '../helpers/dicom-fixtures.js';

/** <dist>/tests/main/this.test.js -> <dist> and the repository root */
const distDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const repoRoot = path.resolve(distDir, '..');
const committed = path.join(repoRoot, 'native-models', 'manifest.schema.json');
const tmp = tempDir('manifest-schema');
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('the committed native-models/manifest.schema.json equals what ModelManifestSchema generates', () => {
  assert.equal(
    fs.readFileSync(committed, 'utf8'),
    manifestJsonSchemaText(),
    'native-models/manifest.schema.json is stale: run `npm run build:node && node scripts/write-manifest-schema.mjs`',
  );
});

test('the schema is a draft 2020-12 JSON Schema of a strict object with the manifest fields', () => {
  const schema = manifestJsonSchema() as { $schema: string; type: string; additionalProperties: boolean; required: string[]; properties: Record<string, unknown> };
  assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
  assert.equal(schema.type, 'object');
  assert.equal(schema.additionalProperties, false);
  assert.deepEqual(schema.required, ['id', 'name', 'version', 'license', 'task', 'modality', 'bodyPart', 'file', 'input', 'inference', 'output', 'labels']);
  assert.ok('postprocess' in schema.properties && 'description' in schema.properties, 'fields with defaults are described, not required');
});

test('scripts/write-manifest-schema.mjs writes exactly that text', { timeout: 60_000 }, async () => {
  const out = path.join(tmp, 'schema.json');
  await new Promise<void>((resolve, reject) => {
    execFile(process.execPath, ['scripts/write-manifest-schema.mjs', distDir, '--out', out], { cwd: repoRoot, timeout: 30_000 }, (err, _stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve()));
  });
  assert.equal(fs.readFileSync(out, 'utf8'), manifestJsonSchemaText());
});
