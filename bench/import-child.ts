// Child process of the import benchmark: imports the given folder into a fresh data dir and prints
// wall time and memory as JSON. Run in its own process so peak RSS belongs to the import alone.
import { createServices } from '../src/main/services/app-services.js';
import { peakRssBytes } from '../src/main/compute/memory.js';

const [dataDir, ...paths] = process.argv.slice(2);
const services = createServices({ dataDir: dataDir!, host: 'cli' });
const baselineRss = peakRssBytes();
const t0 = performance.now();
const job = services.jobs.start('studies.import', { paths });
const done = await services.jobs.wait(job.id);
const wallMs = performance.now() - t0;
const peakRss = peakRssBytes();
await services.close();
if (done.state !== 'succeeded') {
  console.error(JSON.stringify(done.error));
  process.exit(1);
}
const report = done.result as { series: { dims: number[]; voxelType: string }[] };
console.log(JSON.stringify({ wallMs, baselineRss, peakRss, series: report.series.map((s) => ({ dims: s.dims, voxelType: s.voxelType })) }));
