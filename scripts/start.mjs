// `npm start`: the desktop app when Electron's binary is installed; otherwise say so in one sentence
// and start the browser host (opening the browser when there is a display).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

if (!existsSync('dist/src/main/cli/main.js') || !existsSync('dist/renderer/index.html')) {
  console.error('Delineate is not built yet: run `npm run setup` (or `npm run build`) first.');
  process.exit(1);
}
const { electronBinary } = await import('../dist/src/main/cli/doctor.js');
const binary = electronBinary();
const extra = process.argv.slice(2);

const child = binary
  ? spawn(binary, ['.', ...extra], { stdio: 'inherit' })
  : (console.log('Electron is not installed on this machine (its binary was not downloaded), so Delineate is starting its browser host instead.'),
    spawn(process.execPath, ['bin/delineate.js', 'serve', '--open', ...extra], { stdio: 'inherit' }));

for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code) => process.exit(code ?? 0));
