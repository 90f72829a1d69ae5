// Writes native-models/manifest.schema.json from ModelManifestSchema (zod's z.toJSONSchema), using
// the compiled sources: node scripts/write-manifest-schema.mjs [DIST_DIR] [--out FILE]
// DIST_DIR defaults to dist (after `npm run build:node`); --out writes elsewhere (tests compare).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const outIndex = args.indexOf('--out');
const out = outIndex >= 0 ? path.resolve(args[outIndex + 1] ?? '') : path.join(root, 'native-models', 'manifest.schema.json');
const positional = outIndex >= 0 ? args.filter((_, i) => i !== outIndex && i !== outIndex + 1) : args;
const distDir = path.resolve(root, positional[0] ?? 'dist');

const modulePath = path.join(distDir, 'src', 'shared', 'inference', 'manifest-json-schema.js');
if (!fs.existsSync(modulePath)) {
  console.error(`write-manifest-schema: ${modulePath} not found; compile first (npm run build:node)`);
  process.exit(1);
}
const { manifestJsonSchemaText } = await import(pathToFileURL(modulePath).href);
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, manifestJsonSchemaText());
console.log(`wrote ${path.relative(process.cwd(), out) || out}`);
