// Child process of the import benchmark: imports the given folder into a fresh data dir and prints
// wall time and memory as JSON. Run in its own process so peak RSS belongs to the import alone.
import fs from 'node:fs';
import { createServices } from '../src/main/services/app-services.js';

const [dataDir, ...paths] = process.argv.slice(2);
const services = createServices({ dataDir: dataDir!, host: 'cli' });
/**
 * Peak RSS of this process image. Linux keeps getrusage's maxRSS across exec (a child of a big parent
 * starts with the parent's figure), so read VmHWM, which belongs to this address space; elsewhere fall
 * back to maxRSS. Sampling would miss spikes and cost CPU.
 */
function highWaterBytes(): number {
  try {
    const kib = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'))?.[1];
    if (kib) return Number(kib) * 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS * 1024;
}

const baselineRss = highWaterBytes();
const t0 = performance.now();
const job = services.jobs.start('studies.import', { paths });
const done = await services.jobs.wait(job.id);
const wallMs = performance.now() - t0;
const peakRss = highWaterBytes();
await services.close();
if (done.state !== 'succeeded') {
  console.error(JSON.stringify(done.error));
  process.exit(1);
}
const report = done.result as { series: { dims: number[]; voxelType: string }[] };
console.log(JSON.stringify({ wallMs, baselineRss, peakRss, series: report.series.map((s) => ({ dims: s.dims, voxelType: s.voxelType })) }));
