// `npm run bench [-- NAME ...]`: runs the benchmarks, prints a table, writes bench/results/NAME.json.
import { benchEnv, formatTable, writeResult, type BenchResult, type Benchmark } from './harness.js';
import { editingBenchmark } from './editing.js';
import { storeBenchmark } from './store.js';
import { inferenceBenchmark } from './inference.js';
import { interchangeBenchmark } from './interchange.js';
import { curationBenchmark } from './curation.js';
import { importBenchmark } from './import.js';
import { transportBenchmark } from './transport.js';
import { viewerBenchmark } from './viewer.js';
import { volume3dRotateBenchmark } from './vtk-bare/rotate.js';

const BENCHMARKS: Benchmark[] = [transportBenchmark, importBenchmark, viewerBenchmark, volume3dRotateBenchmark, editingBenchmark, storeBenchmark, inferenceBenchmark, interchangeBenchmark, curationBenchmark];

const names = process.argv.slice(2);
const unknown = names.filter((n) => !BENCHMARKS.some((b) => b.name === n));
if (unknown.length) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; available: ${BENCHMARKS.map((b) => b.name).join(', ')}`);
  process.exit(2);
}
const selected = names.length ? BENCHMARKS.filter((b) => names.includes(b.name)) : BENCHMARKS;
const results: BenchResult[] = [];
for (const bench of selected) {
  console.error(`running ${bench.name}: ${bench.description}`);
  const result: BenchResult = { name: bench.name, metrics: await bench.run(), env: benchEnv() };
  console.error(`  wrote ${writeResult(result)}`);
  results.push(result);
}
console.log(formatTable(results));
