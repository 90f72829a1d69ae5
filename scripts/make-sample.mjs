// Writes the first-run sample study into dist/sample-data/<id>/ (a DICOM series, sample.json, LICENSE.txt)
// with the compiled generator (run after `tsc`). ../shared/data has no redistributable head series on
// this project's machines, so the sample is Delineate's own synthetic T1-weighted head (CC0-1.0); a
// sample whose sample.json carries the current build stamp is left alone, --force rewrites it.
// Usage: node scripts/make-sample.mjs [--force] [--dist DIR] [--out DIR]   (DIR: tsc output, default dist)
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 && args[at + 1] ? args[at + 1] : fallback;
};
const dist = path.resolve(root, option('--dist', 'dist'));
const out = path.resolve(root, option('--out', path.join('dist', 'sample-data')));
const { writeSyntheticHeadSample } = await import(pathToFileURL(path.join(dist, 'src', 'main', 'samples', 'write-sample.js')).href);

const started = performance.now();
const result = writeSyntheticHeadSample(out, { force: args.includes('--force') });
const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(result.written ? `make-sample: wrote ${path.relative(root, result.dir)} (${result.manifest.title}, ${result.manifest.license}) in ${seconds} s` : `make-sample: ${result.manifest.id} is up to date`);
