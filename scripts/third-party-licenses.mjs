// Writes what the app ships that others made, for the About box and the installers:
//   dist/third-party.json          [{name, version, license, kind: 'package'|'model'|'data'}]
//   dist/THIRD_PARTY_LICENSES.txt  every one of them with its license text
// Packages: the production dependency tree (package.json "dependencies", transitively, resolved the
// way Node resolves them from each requiring package), each with its LICENSE/LICENCE/COPYING/NOTICE
// files. Models: native-models/<id>/LICENSE (name and version from manifest.json). Data: the sample
// studies' licenses (dist/sample-data/<id>/LICENSE*.txt, else its README); none when no sample is built.
// A production package with neither a license field nor a license file stops the build.
// Usage: node scripts/third-party-licenses.mjs [--root DIR] [--out DIR]   (default: this checkout, DIR/dist)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const arg = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const root = path.resolve(arg('--root') ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..'));
const outDir = path.resolve(arg('--out') ?? path.join(root, 'dist'));

const LICENSE_FILE = /^(licen[cs]e|copying|notice)([.-].*)?$/i;
const readJson = (file) => JSON.parse(fs.readFileSync(file, 'utf8'));

/** Node's lookup: <from>/node_modules/<name>, then each parent's, up to the root. */
function resolvePackage(name, fromDir) {
  let dir = fromDir;
  for (;;) {
    const candidate = path.join(dir, 'node_modules', ...name.split('/'));
    if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (path.resolve(dir) === root) return null;
    const parent = path.dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

function licenseOf(pkg) {
  if (typeof pkg.license === 'string') return pkg.license;
  if (pkg.license && typeof pkg.license.type === 'string') return pkg.license.type;
  if (Array.isArray(pkg.licenses)) return pkg.licenses.map((l) => (typeof l === 'string' ? l : l.type)).filter(Boolean).join(' OR ');
  return null;
}

const licenseFiles = (dir) =>
  fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && LICENSE_FILE.test(e.name))
    .map((e) => path.join(dir, e.name))
    .sort();

/** The production dependency closure of the root package, deduplicated by name@version. */
export function productionPackages(rootDir = root) {
  const found = new Map();
  const rootPkg = readJson(path.join(rootDir, 'package.json'));
  const queue = Object.keys(rootPkg.dependencies ?? {}).map((name) => ({ name, from: rootDir, optional: false }));
  const seenDirs = new Set();
  while (queue.length) {
    const { name, from, optional } = queue.shift();
    const dir = resolvePackage(name, from);
    if (!dir) {
      if (optional) continue;
      throw new Error(`third-party-licenses: ${name} (needed by ${path.relative(rootDir, from) || 'the app'}) is not installed: run npm ci`);
    }
    if (seenDirs.has(dir)) continue;
    seenDirs.add(dir);
    const pkg = readJson(path.join(dir, 'package.json'));
    const key = `${pkg.name}@${pkg.version}`;
    if (!found.has(key)) found.set(key, { name: pkg.name, version: pkg.version, license: licenseOf(pkg), dir, files: licenseFiles(dir) });
    for (const dep of Object.keys(pkg.dependencies ?? {})) queue.push({ name: dep, from: dir, optional: false });
    for (const dep of Object.keys(pkg.optionalDependencies ?? {})) queue.push({ name: dep, from: dir, optional: true });
  }
  return [...found.values()].sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version));
}

function models(rootDir = root) {
  const dir = path.join(rootDir, 'native-models');
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && fs.existsSync(path.join(dir, e.name, 'manifest.json')))
    .map((e) => {
      const manifest = readJson(path.join(dir, e.name, 'manifest.json'));
      const license = path.join(dir, e.name, 'LICENSE');
      if (!fs.existsSync(license)) throw new Error(`third-party-licenses: native-models/${e.name} has no LICENSE file`);
      return { name: manifest.name ?? e.name, version: String(manifest.version ?? ''), license: manifest.license ?? 'see license text', files: [license] };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

function sampleData(rootDir = root) {
  const dir = path.join(rootDir, 'dist', 'sample-data');
  if (!fs.existsSync(dir)) return [];
  // one folder per sample: sample.json (title, license) and its LICENSE*.txt (else a README)
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort()
    .flatMap((id) => {
      const sampleDir = path.join(dir, id);
      const names = fs.readdirSync(sampleDir).sort();
      const licenses = names.filter((n) => /^LICEN[CS]E.*\.txt$/i.test(n));
      const readme = names.find((n) => /^README/i.test(n));
      const files = (licenses.length ? licenses : readme ? [readme] : []).map((n) => path.join(sampleDir, n));
      if (!files.length) throw new Error(`third-party-licenses: the sample dist/sample-data/${id} has no LICENSE*.txt or README`);
      const meta = path.join(sampleDir, 'sample.json');
      const info = fs.existsSync(meta) ? readJson(meta) : {};
      const text = files.map((f) => fs.readFileSync(f, 'utf8')).join('\n');
      const spdx = /SPDX-License-Identifier:\s*(\S+)/.exec(text)?.[1];
      return [{ name: info.title ?? id, version: '', license: info.license ?? spdx ?? 'see license text', files }];
    });
}

const rule = '='.repeat(78);

export function thirdParty(rootDir = root) {
  const packages = productionPackages(rootDir);
  const unlicensed = packages.filter((p) => !p.license && p.files.length === 0);
  if (unlicensed.length) {
    throw new Error(`third-party-licenses: no license field and no license file in ${unlicensed.map((p) => `${p.name}@${p.version} (${path.relative(rootDir, p.dir)})`).join(', ')}`);
  }
  const entries = [
    ...packages.map((p) => ({ ...p, kind: 'package', license: p.license ?? 'see license text' })),
    ...models(rootDir).map((m) => ({ ...m, kind: 'model' })),
    ...sampleData(rootDir).map((d) => ({ ...d, kind: 'data' })),
  ];
  const list = entries.map(({ name, version, license, kind }) => ({ name, version, license, kind }));
  const blocks = entries.map((e) => {
    const head = `${e.name}${e.version ? ` ${e.version}` : ''} (${e.kind}) — ${e.license}`;
    const body = e.files.length
      ? e.files.map((f) => `--- ${path.relative(rootDir, f).split(path.sep).join('/')}\n\n${fs.readFileSync(f, 'utf8').trimEnd()}`).join('\n\n')
      : `(no license file in the package; its package.json declares ${e.license})`;
    return `${rule}\n${head}\n${rule}\n\n${body}\n`;
  });
  const text = `Delineate ships the following third-party software, models and data, each under its own license.\n\n${blocks.join('\n')}`;
  return { list, text };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const { list, text } = thirdParty();
    fs.mkdirSync(outDir, { recursive: true });
    fs.writeFileSync(path.join(outDir, 'third-party.json'), `${JSON.stringify(list, null, 2)}\n`);
    fs.writeFileSync(path.join(outDir, 'THIRD_PARTY_LICENSES.txt'), text);
    const count = (kind) => list.filter((e) => e.kind === kind).length;
    console.log(`third-party-licenses: ${count('package')} packages, ${count('model')} models, ${count('data')} data sets -> ${path.relative(process.cwd(), outDir) || '.'}/{third-party.json,THIRD_PARTY_LICENSES.txt}`);
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  }
}
