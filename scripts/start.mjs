// `npm start [-- ARGS]`: the desktop app when Electron's binary is installed; otherwise say so in one
// sentence and start the browser host with `serve --open ARGS` (it opens a browser only when there is a
// display and DELINEATE_NO_OPEN is not 1). ARGS (e.g. --data-dir DIR, --port N) go to either.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
if (!existsSync(path.join(root, 'dist/src/main/cli/main.js')) || !existsSync(path.join(root, 'dist/renderer/index.html'))) {
  console.error('Delineate is not built yet: run `npm run setup` (or `npm run build`) first.');
  process.exit(1);
}
const { electronStatus } = await import(pathToFileURL(path.join(root, 'dist/src/main/cli/doctor.js')).href);
const electron = electronStatus();
const extra = process.argv.slice(2);

const child = electron.installed
  ? spawn(electron.detail, ['.', ...extra], { stdio: 'inherit', cwd: root })
  : (console.log(`Electron is not installed on this machine: ${electron.detail}. Delineate is starting its browser host instead; open the URL below in a browser.`),
    spawn(process.execPath, [path.join(root, 'bin/delineate.js'), 'serve', '--open', ...extra], { stdio: 'inherit', cwd: root }));

for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
