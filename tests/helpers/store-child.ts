/**
 * A child process that edits a segmentation through the same contract handlers the UI calls.
 *   node store-child.js autosave DATA_DIR SERIES_ID SEED   stream edits (and a version every 25)
 *     until killed; prints "ack N" once edit N is acknowledged.
 *   node store-child.js conflict DATA_DIR SERIES_ID SEED AUTHOR   open, print "ready", wait for "go"
 *     on stdin, write one edit; on a conflict keep its own as a version; print the outcome as JSON.
 */
import readline from 'node:readline';
import { createServices } from '../../src/main/services/app-services.js';
import { dispatch } from '../../src/main/services/dispatch.js';
import { decodeRuns, encodeRuns } from '../../src/shared/editing/label-runs.js';
import { EditStream, slicePayload, type Dims } from './edit-stream.js';

const [mode, dataDir, seriesArg, seedArg, author] = process.argv.slice(2);
const services = createServices({ dataDir: dataDir!, host: 'test', author: author ?? 'crash test' });
const seriesId = Number(seriesArg);

async function call(method: string, params: unknown): Promise<Record<string, unknown>> {
  const outcome = await dispatch(services.handlers, method, params, { host: 'test' });
  if (!outcome.ok) throw Object.assign(new Error(outcome.error.message), { code: outcome.error.code });
  return outcome.result as Record<string, unknown>;
}

const opened = await call('segmentation.open', { seriesId });
const dims = (await call('series.get', { seriesId })).dims as unknown as Dims;
const voxels = dims[0] * dims[1] * dims[2];
const labels = opened.encoding === 'runs' ? (decodeRuns(opened.data as Uint32Array, new Uint8Array(voxels)) as Uint8Array) : (opened.data as Uint8Array).slice();
const id = opened.id as number;
let revision = opened.revision as number;
const edits = new EditStream(Number(seedArg), dims);

if (mode === 'autosave') {
  process.stdout.write('ready\n');
  for (let n = 1; ; n++) {
    const { slices } = edits.next(labels);
    revision = (await call('segmentation.writeSlices', { id, baseRevision: revision, slices, data: slicePayload(labels, dims, slices) })).revision as number;
    process.stdout.write(`ack ${n}\n`); // pipes are synchronous on Linux: written before the next edit
    if (n % 25 === 0) revision = ((await call('segmentation.saveVersion', { id, baseRevision: revision, name: `autosave test ${n}` })).info as { revision: number }).revision;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
} else if (mode === 'conflict') {
  const { slices } = edits.next(labels);
  process.stdout.write('ready\n');
  const go = readline.createInterface({ input: process.stdin });
  await new Promise<void>((resolve) => go.once('line', () => resolve()));
  go.close();
  process.stdin.destroy(); // or the open pipe keeps this process alive
  let outcome: Record<string, unknown>;
  try {
    await call('segmentation.writeSlices', { id, baseRevision: revision, slices, data: slicePayload(labels, dims, slices) });
    outcome = { wrote: true };
  } catch (err) {
    if ((err as { code?: string }).code !== 'conflict') throw err;
    const runs = encodeRuns(labels);
    const kept = await call('segmentation.keepMine', { id, name: `kept by ${author}`, segments: opened.segments, ...(runs ? { encoding: 'runs', data: runs } : { encoding: 'raw', data: labels }) });
    outcome = { wrote: false, conflict: (err as Error).message, keptVersion: (kept.version as { id: number }).id };
  }
  process.stdout.write(`${JSON.stringify({ ...outcome, labels: Buffer.from(labels).toString('base64') })}\n`);
  await services.close();
} else {
  throw new Error(`unknown mode ${mode}`);
}
