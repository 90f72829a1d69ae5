// `npm run dist`: the installers for this platform (Linux: AppImage + deb, Windows: NSIS, macOS: dmg)
// into release/, from electron-builder.yml. Steps: build; check the packaging config against a measured
// run (npm run check:package); rebuild better-sqlite3 for Electron's ABI with @electron/rebuild
// (onnxruntime-node is N-API and needs none); electron-builder; then put Node's better-sqlite3 build
// back, so the CLI, the browser host and the tests keep working in this checkout.
// Where the Electron binary is missing (CI, offline machines) it says why no installer can be built,
// runs the config check and exits 1.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);
const bin = (name) => path.join(root, 'node_modules', '.bin', process.platform === 'win32' ? `${name}.cmd` : name);

function step(title, command, args) {
  console.log(`dist: ${title}`);
  const result = spawnSync(command, args, { stdio: 'inherit', shell: process.platform === 'win32' });
  if (result.status !== 0) {
    console.error(`dist: ${title} failed (${result.status ?? result.signal})`);
    process.exit(result.status || 1);
  }
}

function electronInstalled() {
  const doctor = path.join(root, 'dist', 'src', 'main', 'cli', 'doctor.js');
  if (fs.existsSync(doctor)) return import(doctor).then((m) => m.electronStatus());
  // not built yet: the same test as doctor's electronStatus()
  const pkgDir = path.join(root, 'node_modules', 'electron');
  const pathFile = path.join(pkgDir, 'path.txt');
  const binary = fs.existsSync(pathFile) ? path.join(pkgDir, 'dist', fs.readFileSync(pathFile, 'utf8').trim()) : null;
  return Promise.resolve(binary && fs.existsSync(binary) ? { installed: true, detail: binary } : { installed: false, detail: 'the Electron binary was not downloaded (node_modules/electron/dist is missing)' });
}

const electron = await electronInstalled();
if (!electron.installed) {
  console.error(
    `dist: installers cannot be built on this machine: ${electron.detail}. electron-builder packages the ` +
      `Electron binary itself (and flips its fuses), and better-sqlite3 has to be rebuilt against that binary's ` +
      `ABI, so without it there is nothing to package. Run \`node node_modules/electron/install.js\` (or ` +
      `\`npm run setup\`) on a machine that can download Electron, then \`npm run dist\` again. Checking ` +
      `electron-builder.yml against the build instead (npm run check:package):`,
  );
  if (!fs.existsSync(path.join(root, 'dist', 'scripts', 'package-check.js'))) {
    console.error('dist: not built yet, so the config cannot be checked either: run `npm run build` first.');
  } else {
    spawnSync(process.execPath, ['dist/scripts/package-check.js'], { stdio: 'inherit' });
  }
  process.exit(1);
}

if (!fs.existsSync(path.join(root, 'node_modules', '@electron', 'rebuild', 'package.json'))) {
  console.error('dist: @electron/rebuild is not installed (it comes with electron-builder): run npm ci');
  process.exit(1);
}

const platformFlag = { linux: '--linux', win32: '--win', darwin: '--mac' }[process.platform];
if (!platformFlag) {
  console.error(`dist: electron-builder.yml has no target for ${process.platform}`);
  process.exit(1);
}

step('build', 'npm', ['run', 'build']);
step('check the packaging config', process.execPath, ['dist/scripts/package-check.js']);

// Node's build of better-sqlite3, put back after packaging (rebuilding it for Node again would need
// a compiler or a download)
const nodeBuild = path.join(root, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
const saved = `${nodeBuild}.node-abi`;
fs.copyFileSync(nodeBuild, saved);
try {
  step(`rebuild native modules for Electron ${electron.version ?? ''}`.trim(), bin('electron-rebuild'), ['--force', '--only', 'better-sqlite3', ...(electron.version ? ['--version', electron.version] : [])]);
  step(`electron-builder ${platformFlag}`, bin('electron-builder'), [platformFlag, '--config', 'electron-builder.yml', '--publish', 'never']);
} finally {
  fs.copyFileSync(saved, nodeBuild);
  fs.rmSync(saved, { force: true });
  console.log('dist: restored better-sqlite3 for Node');
}
console.log(`dist: installers in ${path.join(root, 'release')}`);
