import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface BenchResult {
  name: string;
  metrics: Record<string, number>;
  env: Record<string, string | number>;
}

export interface Benchmark {
  name: string;
  description: string;
  run(): Promise<Record<string, number>>;
}

export function benchEnv(): BenchResult['env'] {
  return {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    date: new Date().toISOString(),
  };
}

export function writeResult(result: BenchResult, dir = path.join('bench', 'results')): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${result.name}.json`);
  fs.writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}

export function formatTable(results: BenchResult[]): string {
  const rows = results.flatMap((r) => Object.entries(r.metrics).map(([k, v]) => [r.name, k, formatNumber(v)] as const));
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((row) => row[i]!.length), ['benchmark', 'metric', 'value'][i]!.length));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  return [line(['benchmark', 'metric', 'value']), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function formatNumber(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(1) : v.toPrecision(4);
}

/** Median of timings (ms) of fn run `runs` times after `warmup` untimed runs. */
export async function medianMs(fn: () => Promise<unknown>, runs: number, warmup = 3): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}
