// `node dist/bench/vtk-bare/run.js`: the 3D rotate benchmark on its own (our module vs bare vtk.js);
// prints a table and writes bench/vtk-bare/results/volume3d-rotate.json. bench/run.ts can list
// volume3dRotateBenchmark (from ./rotate.js) beside the others.
import { benchEnv, formatTable, writeResult, type BenchResult } from '../harness.js';
import { volume3dRotateBenchmark } from './rotate.js';

console.error(`running ${volume3dRotateBenchmark.name}: ${volume3dRotateBenchmark.description}`);
const result: BenchResult = { name: volume3dRotateBenchmark.name, metrics: await volume3dRotateBenchmark.run(), env: benchEnv() };
console.error(`  wrote ${writeResult(result, 'bench/vtk-bare/results')}`);
console.log(formatTable([result]));
