import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';

export interface ServeProcess {
  url: string;
  origin: string;
  token: string;
  port: number;
  dataDir: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

const LISTENING = /^Delineate listening on (http:\/\/127\.0\.0\.1:(\d+)\/\?token=(\S+))$/m;

/** Start the real `delineate serve` as a child process and wait for its listening line. */
export async function startServe(options: { env?: Record<string, string>; dataDir?: string; args?: string[] } = {}): Promise<ServeProcess> {
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'delineate-e2e-'));
  const child = spawn(process.execPath, ['bin/delineate.js', 'serve', '--port', '0', '--data-dir', dataDir, ...(options.args ?? [])], {
    // settings.json beside the store unless a test names one: tests never read or write the user's own settings
    env: { ...process.env, DELINEATE_SETTINGS_FILE: path.join(dataDir, 'settings.json'), ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const match = await new Promise<RegExpMatchArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start in 20 s; output:\n${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = LISTENING.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}; output:\n${output}`));
    });
  });
  const port = Number(match[2]);
  return {
    url: match[1]!,
    origin: `http://127.0.0.1:${port}`,
    token: match[3]!,
    port,
    dataDir,
    child,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
      if (!options.dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
