// Converts every shipped tfjs model to ONNX: native-models/<id>/tfjs/model.json (+ its weight shards)
// -> native-models/<id>/model.onnx, with the compiled converter (run after `tsc`). A model.onnx newer
// than its sources (model.json and the shards) and written by this converter version (its ONNX metadata;
// bump TFJS_CONVERTER_VERSION when the output changes) is left alone; --force rewrites all.
// Usage: node scripts/convert-models.mjs [--force] [--dist DIR]   (DIR: the tsc output, default dist)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const force = args.includes('--force');
const distArg = args.indexOf('--dist');
const dist = path.resolve(root, distArg >= 0 ? args[distArg + 1] ?? 'dist' : 'dist');
const converterPath = path.join(dist, 'src', 'main', 'inference', 'tfjs-converter.js');
const modelPath = path.join(dist, 'src', 'main', 'inference', 'tfjs-model.js');
const { convertTfjsLayersModel, TFJS_CONVERTER_VERSION } = await import(pathToFileURL(converterPath).href);
const { weightPaths } = await import(pathToFileURL(modelPath).href);

const modelsDir = path.join(root, 'native-models');
const mtime = (file) => fs.statSync(file).mtimeMs;
let failed = 0;

for (const id of fs.readdirSync(modelsDir).sort()) {
  const dir = path.join(modelsDir, id);
  const modelJsonPath = path.join(dir, 'tfjs', 'model.json');
  if (!fs.existsSync(modelJsonPath)) continue;
  const out = path.join(dir, 'model.onnx');
  try {
    const modelJson = JSON.parse(fs.readFileSync(modelJsonPath, 'utf8'));
    const shards = weightPaths(modelJson).map((p) => path.join(dir, 'tfjs', p));
    const stamp = `delineate tfjs-converter ${TFJS_CONVERTER_VERSION}`;
    const upToDate = () => [modelJsonPath, ...shards].every((s) => mtime(s) < mtime(out)) && fs.readFileSync(out).includes(stamp);
    if (!force && fs.existsSync(out) && upToDate()) {
      console.log(`convert-models: ${id}: model.onnx is up to date`);
      continue;
    }
    const weights = Buffer.concat(shards.map((s) => fs.readFileSync(s)));
    const manifestPath = path.join(dir, 'manifest.json');
    const manifest = fs.existsSync(manifestPath) ? JSON.parse(fs.readFileSync(manifestPath, 'utf8')) : {};
    const sourceName = manifest.source?.url ?? `${id}/tfjs/model.json`;
    const result = convertTfjsLayersModel(modelJson, new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength), {
      sourceName,
      metadata: { model_id: id },
    });
    const expected = manifest.output?.channels;
    if (expected !== undefined && expected !== result.outputChannels) {
      throw new Error(`the network has ${result.outputChannels} output channels, manifest.json says ${expected}`);
    }
    const tmp = `${out}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, result.onnx);
    fs.renameSync(tmp, out);
    const ops = result.summary.reduce((n, l) => n + l.ops.length, 0);
    console.log(`convert-models: ${id}: wrote model.onnx (${result.onnx.length} bytes, ${result.summary.length} layers, ${ops} ONNX nodes, ${result.outputChannels} output channels)`);
  } catch (err) {
    failed++;
    console.error(`convert-models: ${id}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
process.exit(failed ? 1 : 0);
