/**
 * Run as a child process by tests/main/package-config.test.ts (and `npm run check:package`): does what
 * the packaged app does at run time and reports the files that needed, so the packaging check works
 * from measurements, not from a hand-written list. It opens a real store (createServices over a temp
 * data dir), imports DICOM files (compressed ones are decoded on the decode worker threads), runs a
 * shipped model through the segment job (the inference child process and ONNX Runtime), and then
 * writes {mapped, children, models, ...} to the report file: `mapped` are the files mapped into this
 * process and every descendant (/proc/<pid>/maps: native modules and their shared libraries), `models`
 * the model package files the registry resolved. The caller may run it under strace for every open.
 * Usage: node runtime-files-probe.js REPORT.json DATA_DIR DICOM_DIR [--decode-only | --baseline]
 *   --decode-only: only start the decode worker pool on DICOM_DIR (what the worker threads open)
 *   --baseline:    the same, without starting the pool (subtract from --decode-only)
 */
import fs from 'node:fs';
import path from 'node:path';

const args = process.argv.slice(2);
if (args.length < 3) throw new Error('usage: runtime-files-probe.js REPORT.json DATA_DIR DICOM_DIR [--decode-only|--baseline]');
const [reportFile, dataDir, dicomDir, mode] = args as [string, string, string, string | undefined];

/** Files (not anonymous or pseudo mappings) mapped into a process. */
function mappedFiles(pid: number): string[] {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/maps`, 'utf8');
  } catch {
    return [];
  }
  const files = new Set<string>();
  for (const line of text.split('\n')) {
    const file = line.split(/\s+/).slice(5).join(' ');
    if (file.startsWith('/') && !file.endsWith(' (deleted)')) files.add(file);
  }
  return [...files];
}

/** Every live descendant of a process, from the parent ids in /proc/<pid>/stat. */
function descendants(root: number): number[] {
  const parents = new Map<number, number>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(Number(name), ppid);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const queue = [root];
  while (queue.length) {
    const pid = queue.shift()!;
    for (const [child, parent] of parents) if (parent === pid) (out.push(child), queue.push(child));
  }
  return out;
}

const dicomFiles = (dir: string): string[] =>
  fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
    .sort();

async function decodeOnly(start: boolean): Promise<void> {
  const { DecodePool } = await import('../../src/main/studies/dicom/pixels/decode-pool.js');
  const pool = start ? new DecodePool() : null;
  let decoded = 0;
  if (pool) {
    for (const file of dicomFiles(dicomDir)) {
      await pool.readHeader(file);
      await pool.decodeFile(file);
      decoded++;
    }
    await pool.close();
  }
  fs.writeFileSync(reportFile, JSON.stringify({ pid: process.pid, decoded }));
}

async function full(): Promise<void> {
  const { createServices } = await import('../../src/main/services/app-services.js');
  const services = createServices({ dataDir, host: 'test', settingsFile: path.join(dataDir, 'settings.json'), allowGpu: false });
  try {
    const imported = await services.jobs.wait(services.jobs.start('studies.import', { paths: [dicomDir] }).id);
    if (imported.state !== 'succeeded') throw new Error(`import ${imported.state}: ${JSON.stringify(imported.error)}`);
    const report = imported.result as { series: { id: number; transferSyntaxes: string[] }[]; skipped: unknown[] };
    const series = report.series[0];
    if (!series || report.skipped.length) throw new Error(`import: ${JSON.stringify(report)}`);
    const modelId = 'brainchop-tissue-gwm';
    const pkg = await services.models.get(modelId);
    const run = await services.jobs.wait(services.jobs.start('inference.segment', { seriesId: series.id, modelId, provider: 'cpu' }).id);
    if (run.state !== 'succeeded') throw new Error(`segment ${run.state}: ${JSON.stringify(run.error)}`);
    // the engine keeps its child process for the next run: read the maps while everyone is alive
    const children = descendants(process.pid);
    const mapped = new Set(mappedFiles(process.pid));
    for (const pid of children) for (const f of mappedFiles(pid)) mapped.add(f);
    const modelDir = path.dirname(pkg.onnxPath);
    fs.writeFileSync(
      reportFile,
      JSON.stringify({
        pid: process.pid,
        children,
        mapped: [...mapped].sort(),
        models: [pkg.onnxPath, path.join(modelDir, 'manifest.json'), path.join(modelDir, 'LICENSE')],
        transferSyntaxes: series.transferSyntaxes,
        segmented: run.result,
      }),
    );
  } finally {
    await services.close();
  }
}

await (mode === '--decode-only' ? decodeOnly(true) : mode === '--baseline' ? decodeOnly(false) : full());
