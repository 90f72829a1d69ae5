/**
 * `npm run check:package`: is electron-builder.yml right for what the app loads at run time?
 * - electron-builder's own schema validation of the file (when app-builder-lib is installed);
 * - the Electron fuses are set as the security review requires;
 * - the built entry points exist and are packaged (main, preload, renderer, inference child, decode
 *   worker and its WASM kernel), and the worker runs from unpacked files;
 * - every native module (.node) of the production packages and the shared libraries beside it are
 *   packaged and unpacked from the asar;
 * - model packages (manifest.json, model.onnx, LICENSE; never tfjs/), the sample study and the license
 *   files land in the resources folder where src/main/paths.ts resourceDir() looks;
 * - measured: a real run (tests/helpers/runtime-files-probe.ts: store, DICOM import with compressed
 *   files on the decode workers, a shipped model in the inference process) under strace: every file
 *   of the checkout it mapped or opened is packaged; natives and what the worker threads opened are
 *   unpacked; the model files come from the resources folder.
 * Patterns are matched with minimatch (the matcher electron-builder uses) under electron-builder's
 * rules: `files` in order, the last matching pattern wins; production dependencies are added on their
 * own (and trimmed by `!` patterns); asarUnpack and extraResources filters the same way.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Minimatch } from 'minimatch';

const require = createRequire(import.meta.url);

export interface FileSet {
  from?: string;
  to?: string;
  filter?: string | string[];
}
type Patterns = string | (string | FileSet)[] | null | undefined;
export interface BuilderConfig {
  files?: Patterns;
  asar?: boolean | object | null;
  asarUnpack?: string | string[] | null;
  extraResources?: string | FileSet | (string | FileSet)[] | null;
  electronFuses?: Record<string, boolean> | null;
  linux?: { files?: Patterns } | null;
  win?: { files?: Patterns } | null;
  mac?: { files?: Patterns } | null;
  [key: string]: unknown;
}

/** The fuses the packaged app must have (electron-builder `electronFuses`). */
export const REQUIRED_FUSES: Readonly<Record<string, boolean>> = {
  runAsNode: false,
  enableCookieEncryption: true,
  enableNodeOptionsEnvironmentVariable: false,
  enableNodeCliInspectArguments: false,
  enableEmbeddedAsarIntegrityValidation: true,
  onlyLoadAppFromAsar: true,
  grantFileProtocolExtraPrivileges: false,
};

/** Built files the app cannot start or work without (relative to the app directory). */
export const REQUIRED_APP_FILES = [
  'dist/preload/preload.cjs',
  'dist/renderer/index.html',
  'dist/src/main/inference/inference-child.js',
  'dist/src/main/studies/dicom/pixels/decode-worker.js',
  'dist/src/main/studies/dicom/pixels/wasm/voxel-kernels.wasm',
];
/** Of those, the ones a worker thread loads (run from unpacked files, see electron-builder.yml). */
export const REQUIRED_UNPACKED = ['dist/src/main/studies/dicom/pixels/decode-worker.js', 'dist/src/main/studies/dicom/pixels/wasm/voxel-kernels.wasm'];
/** Build outputs shipped as resources: checkout path -> path under process.resourcesPath (src/main/paths.ts). */
export const REQUIRED_RESOURCES: readonly (readonly [string, string])[] = [
  ['dist/THIRD_PARTY_LICENSES.txt', 'THIRD_PARTY_LICENSES.txt'],
  ['dist/third-party.json', 'third-party.json'],
];
export const SAMPLE_DATA: readonly [string, string] = ['dist/sample-data', 'sample-data'];
const MODEL_FILES = ['manifest.json', 'model.onnx', 'LICENSE'];

const NATIVE = /\.node$|\.so(\.\d+)*$|\.dll$|\.dylib$/;
const toPosix = (p: string) => p.split(path.sep).join('/');
const list = <T>(v: T | T[] | null | undefined): T[] => (v == null ? [] : Array.isArray(v) ? v : [v]);

export function readBuilderConfig(file: string): BuilderConfig {
  const yaml = require('js-yaml') as { load(text: string): unknown };
  return yaml.load(fs.readFileSync(file, 'utf8')) as BuilderConfig;
}

// ---- electron-builder's matching ----

const compiled = new Map<string, Minimatch>();
function minimatch(pattern: string): Minimatch {
  let m = compiled.get(pattern);
  if (!m) compiled.set(pattern, (m = new Minimatch(pattern, { dot: true })));
  return m;
}

/** One glob against one relative path (posix separators), as electron-builder's FileMatcher does. */
export function globMatch(pattern: string, rel: string): boolean {
  return minimatch(pattern.startsWith('!') ? pattern.slice(1) : pattern).match(rel);
}

/** electron-builder's minimatchAll: the patterns in order; a `!` pattern excludes what matched before. */
export function matchAll(rel: string, patterns: readonly string[]): boolean {
  let match = false;
  for (const pattern of patterns) {
    const negate: boolean = pattern.startsWith('!');
    if (match !== negate) continue;
    // a bare folder name stands for everything under it
    const body: string = negate ? pattern.slice(1) : pattern;
    const hit: boolean = globMatch(body, rel) || (!/[*?{[]/.test(body) && rel.startsWith(`${body.replace(/\/$/, '')}/`));
    match = negate ? !hit : hit;
  }
  return match;
}

// electron-builder's default exclusions (app-builder-lib/out/fileMatcher.js)
const DEFAULT_EXCLUDES = [
  '!**/*.{iml,hprof,orig,pyc,pyo,rbc,swp,csproj,sln,suo,xproj,cc,d.ts,mk,a,o,obj,forge-meta,pdb}',
  '!**/._*',
  '!**/electron-builder.{yaml,yml,json,json5,toml,ts}',
  '!**/{.git,.hg,.svn,CVS,RCS,SCCS,__pycache__,.DS_Store,thumbs.db,.gitignore,.gitkeep,.gitattributes,.npmignore,.idea,.vs,.flowconfig,.jshintrc,.eslintrc,.circleci,.yarn-integrity,.yarn-metadata.json,yarn-error.log,yarn.lock,package-lock.json,npm-debug.log,pnpm-lock.yaml,bun.lock,bun.lockb,appveyor.yml,.travis.yml,circle.yml,.nyc_output,.husky,.github,electron-builder.env}',
];

export type Platform = 'linux' | 'win' | 'mac';
export const hostPlatform = (): Platform => (process.platform === 'win32' ? 'win' : process.platform === 'darwin' ? 'mac' : 'linux');

/** Where a build for one platform puts each file of the checkout. */
export class PackageLayout {
  private readonly appPatterns: string[];
  private readonly modulePatterns: string[];
  private readonly unpackPatterns: string[];
  private readonly resources: FileSet[];

  constructor(
    config: BuilderConfig,
    /** the production dependency folders, relative to the root (node_modules/…) */
    private readonly productionDirs: readonly string[],
    platform: Platform = hostPlatform(),
  ) {
    const user = [...list(config.files), ...list(config[platform]?.files)].filter((p): p is string => typeof p === 'string');
    const positive = user.filter((p) => !p.startsWith('!'));
    this.appPatterns = [...(positive.length ? [] : ['**/*']), ...user, 'package.json', '!**/node_modules/**', ...DEFAULT_EXCLUDES];
    this.modulePatterns = ['**/*', ...user.filter((p) => p.startsWith('!')), ...DEFAULT_EXCLUDES];
    this.unpackPatterns = list(config.asarUnpack);
    this.resources = list(config.extraResources).map((r) => (typeof r === 'string' ? { from: r, to: r } : r));
  }

  /** Whether rel (relative to the app directory) goes into the app (app.asar or app.asar.unpacked). */
  inApp(rel: string): boolean {
    if (rel.startsWith('node_modules/')) {
      const owner = this.productionDirs.some((dir) => rel.startsWith(`${dir}/`));
      return owner && matchAll(rel, this.modulePatterns);
    }
    return matchAll(rel, this.appPatterns);
  }

  unpacked(rel: string): boolean {
    return matchAll(rel, this.unpackPatterns);
  }

  /** The path under the resources folder that extraResources gives rel, or null. */
  resourcePath(rel: string): string | null {
    for (const set of this.resources) {
      const from = (set.from ?? '').replace(/\/$/, '');
      const to = (set.to ?? from).replace(/\/$/, '');
      if (rel === from) return to;
      if (!rel.startsWith(`${from}/`)) continue;
      const inner = rel.slice(from.length + 1);
      const filter = list(set.filter);
      if (filter.length === 0 || matchAll(inner, filter)) return to ? `${to}/${inner}` : inner;
    }
    return null;
  }
}

// ---- the production dependency tree (the same walk as scripts/third-party-licenses.mjs) ----

export async function productionDirs(root: string): Promise<string[]> {
  const script = pathToFileURL(path.join(root, 'scripts', 'third-party-licenses.mjs')).href;
  const { productionPackages } = (await import(script)) as { productionPackages(root: string): { dir: string }[] };
  return productionPackages(root).map((p) => toPosix(path.relative(root, p.dir)));
}

// ---- the check ----

export interface RuntimeFiles {
  /** absolute paths mapped into the app's processes (/proc/<pid>/maps) */
  mapped: string[];
  /** absolute paths of the model package files the registry resolved */
  models: string[];
  /** absolute paths every process and thread opened (strace), if measured */
  opened?: string[];
  /** absolute paths the decode worker threads opened (strace, decode run minus baseline) */
  workerOpened?: string[];
}

export interface CheckOptions {
  root: string;
  productionDirs: readonly string[];
  platform?: Platform;
  runtime?: RuntimeFiles;
  /** the compiled tree the runtime ran from, if not root/dist (its paths are read as dist/…) */
  runtimeDist?: string;
}

function walk(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
}

/** Everything wrong with config for this checkout: an empty list when it packages the app right. */
export function checkPackage(config: BuilderConfig, options: CheckOptions): string[] {
  const { root } = options;
  const layout = new PackageLayout(config, options.productionDirs, options.platform);
  const problems: string[] = [];
  const problem = (text: string) => {
    if (!problems.includes(text)) problems.push(text);
  };

  for (const [fuse, value] of Object.entries(REQUIRED_FUSES)) {
    const set = config.electronFuses?.[fuse];
    if (set !== value) problem(`fuse ${fuse} must be ${value} (electronFuses.${fuse} is ${set === undefined ? 'not set' : set})`);
  }
  if (config.asar === false) problem('asar is off: the app must be packaged into app.asar (onlyLoadAppFromAsar, integrity validation)');

  const main = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { main?: string }).main;
  const appFile = (rel: string, why: string, unpack: boolean) => {
    if (!fs.existsSync(path.join(root, rel))) problem(`${rel} (${why}) does not exist: run npm run build`);
    if (!layout.inApp(rel)) problem(`${rel} (${why}) is not matched by the files patterns`);
    else if (unpack && !layout.unpacked(rel)) problem(`${rel} (${why}) must be unpacked (asarUnpack)`);
  };
  if (!main) problem('package.json has no "main"');
  else appFile(path.posix.normalize(main), 'the main entry', false);
  for (const rel of REQUIRED_APP_FILES) appFile(rel, 'needed at run time', REQUIRED_UNPACKED.includes(rel));

  const resource = (rel: string, expected: string, why: string) => {
    const got = layout.resourcePath(rel);
    if (got === null) problem(`${rel} (${why}) is not shipped: no extraResources entry takes it`);
    else if (got !== expected) problem(`${rel} (${why}) lands at resources/${got}; the app looks in resources/${expected}`);
  };
  for (const [rel, expected] of REQUIRED_RESOURCES) {
    if (!fs.existsSync(path.join(root, rel))) problem(`${rel} does not exist: run npm run build`);
    resource(rel, expected, 'third-party licenses');
  }
  const [sampleRel, sampleTo] = SAMPLE_DATA;
  const sampleFiles = walk(path.join(root, sampleRel)).map((f) => toPosix(path.relative(root, f)));
  if (sampleFiles.length === 0) problem(`${sampleRel} is empty or missing: run npm run build`);
  for (const rel of sampleFiles) resource(rel, `${sampleTo}/${rel.slice(sampleRel.length + 1)}`, 'the sample study');

  const modelsDir = path.join(root, 'native-models');
  for (const id of fs.existsSync(modelsDir) ? fs.readdirSync(modelsDir).sort() : []) {
    if (!fs.existsSync(path.join(modelsDir, id, 'manifest.json'))) continue;
    for (const name of MODEL_FILES) {
      const rel = `native-models/${id}/${name}`;
      if (!fs.existsSync(path.join(root, rel))) problem(`${rel} does not exist${name === 'model.onnx' ? ': run npm run build:node' : ''}`);
      resource(rel, rel, 'a shipped model');
    }
    for (const file of walk(path.join(modelsDir, id, 'tfjs'))) {
      const rel = toPosix(path.relative(root, file));
      if (layout.resourcePath(rel) !== null) problem(`${rel} would be shipped: the tfjs sources stay out of the installers`);
    }
  }

  // every native module and shared library of the production packages (for this platform)
  for (const dir of options.productionDirs) {
    for (const file of walk(path.join(root, dir))) {
      const rel = toPosix(path.relative(root, file));
      if (!NATIVE.test(rel) || !layout.inApp(rel)) continue;
      if (!layout.unpacked(rel)) problem(`${rel} (native) is packed into app.asar: it must be unpacked (asarUnpack)`);
    }
  }

  const runtime = options.runtime;
  if (runtime) {
    const dist = options.runtimeDist ? path.resolve(options.runtimeDist) : path.join(root, 'dist');
    /** a runtime path as the checkout path it stands for, or null outside the checkout (system files) */
    const relOf = (abs: string): string | null => {
      const resolved = path.resolve(abs);
      if (resolved === dist || resolved.startsWith(dist + path.sep)) return `dist/${toPosix(path.relative(dist, resolved))}`;
      const rel = toPosix(path.relative(root, resolved));
      return rel.startsWith('../') || path.isAbsolute(rel) ? null : rel;
    };
    const packaged = (rel: string) => layout.inApp(rel) || layout.resourcePath(rel) !== null;
    for (const abs of runtime.mapped) {
      const rel = relOf(abs);
      if (rel === null) continue;
      if (!layout.inApp(rel)) problem(`${rel} (mapped at run time) is not packaged by the files patterns`);
      else if (!layout.unpacked(rel)) problem(`${rel} (mapped at run time) is packed into app.asar: it must be unpacked (asarUnpack)`);
    }
    for (const abs of runtime.models) {
      const rel = relOf(abs);
      if (rel === null || !rel.startsWith('native-models/')) problem(`model file ${abs} is not a shipped model package file`);
      else resource(rel, rel, 'a model the app loaded');
    }
    for (const abs of runtime.opened ?? []) {
      const rel = relOf(abs);
      if (rel === null || rel.startsWith('dist/tests/')) continue; // the probe itself
      if (!packaged(rel)) problem(`${rel} (opened at run time) is not packaged`);
    }
    const workerModules = (runtime.workerOpened ?? []).map(relOf).filter((r): r is string => r !== null && r.startsWith('dist/src/') && r.endsWith('.js') && !REQUIRED_UNPACKED.includes(r));
    if (workerModules.length) problem(`the decode worker loaded ${workerModules.length} modules of its own besides its bundle (e.g. ${workerModules[0]}): it is not bundled; run npm run build:node (scripts/bundle-worker.mjs)`);
    for (const abs of runtime.workerOpened ?? []) {
      const rel = relOf(abs);
      if (rel === null || rel.startsWith('dist/tests/')) continue;
      if (!layout.inApp(rel)) problem(`${rel} (opened by a decode worker) is not packaged by the files patterns`);
      else if (!layout.unpacked(rel)) problem(`${rel} (opened by a decode worker) is packed into app.asar: it must be unpacked (asarUnpack)`);
    }
  }
  return problems;
}

/** electron-builder's own validation of the configuration against its schema (null: valid). */
export async function schemaProblem(config: BuilderConfig): Promise<string | null> {
  let validate: (config: unknown, logger: unknown) => Promise<void>;
  let DebugLogger: new (enabled: boolean) => unknown;
  try {
    validate = (require('app-builder-lib/out/util/config/config.js') as { validateConfiguration: typeof validate }).validateConfiguration;
    DebugLogger = (require('builder-util') as { DebugLogger: typeof DebugLogger }).DebugLogger;
  } catch {
    return null; // electron-builder is not installed: nothing to validate against
  }
  try {
    await validate(structuredClone(config), new DebugLogger(false));
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

// ---- the measured run ----

export interface MeasureOptions {
  root: string;
  /** the compiled tree (dist, or another tsc outDir with the worker bundled and the WASM built) */
  dist: string;
  workDir: string;
}

/** Synthetic DICOM: one CT series whose slices are stored JPEG 2000, JPEG-LS and JPEG lossless (so the workers load each codec). */
export function writeCompressedSeries(root: string, dir: string): string {
  const series = path.join(dir, 'dicom');
  execFileSync('/usr/bin/python3', [path.join(root, 'tests/fixtures/make_series.py'), series, JSON.stringify({ series: [{ name: 'ct', rows: 24, cols: 20, slices: 6 }] })], { stdio: ['ignore', 'ignore', 'pipe'] });
  const files = walk(path.join(series, 'ct')).sort();
  const tools: [string, string[]][] = [
    ['gdcmconv', ['--j2k']],
    ['gdcmconv', ['--jpegls']],
    ['dcmcjpeg', []],
  ];
  files.slice(0, tools.length).forEach((file, i) => {
    const [tool, args] = tools[i]!;
    const out = `${file}.tmp`;
    execFileSync(tool, [...args, file, out], { stdio: ['ignore', 'ignore', 'pipe'] });
    fs.renameSync(out, file);
  });
  return series;
}

function straceOpens(log: string): string[] {
  const out = new Set<string>();
  if (!fs.existsSync(log)) return [];
  for (const line of fs.readFileSync(log, 'utf8').split('\n')) {
    const m = /open(?:at)?\((?:AT_FDCWD|-?\d+), "([^"]+)".*\) = \d+/.exec(line) ?? /open\("([^"]+)".*\) = \d+/.exec(line);
    if (!m) continue;
    try {
      if (fs.statSync(m[1]!).isFile()) out.add(path.resolve(m[1]!));
    } catch {
      // a temp file, gone
    }
  }
  return [...out].sort();
}

export const hasStrace = (): boolean => spawnSync('strace', ['-V'], { stdio: 'ignore' }).status === 0;

/** Runs the probe (under strace) and returns what it loaded, plus its own report. */
export function measureRuntime(options: MeasureOptions): { runtime: RuntimeFiles; report: Record<string, unknown> } {
  if (!hasStrace()) throw new Error('strace is not installed: the packaging check measures the files the app opens with it (npm run setup installs it)');
  const probe = path.join(options.dist, 'tests', 'helpers', 'runtime-files-probe.js');
  const dicom = writeCompressedSeries(options.root, options.workDir);
  const run = (mode: string | null, name: string) => {
    const report = path.join(options.workDir, `${name}.json`);
    const log = path.join(options.workDir, `${name}.strace`);
    const data = path.join(options.workDir, `${name}-data`);
    const args = ['-f', '-qq', '-e', 'trace=open,openat', '-o', log, process.execPath, probe, report, data, dicom, ...(mode ? [mode] : [])];
    const result = spawnSync('strace', args, { cwd: options.root, encoding: 'utf8', timeout: 600_000, env: { ...process.env, DELINEATE_DATA_DIR: data } });
    if (result.status !== 0) throw new Error(`the runtime probe (${name}) failed (${result.status ?? result.signal}): ${result.stderr.slice(-2000)}`);
    return { report: JSON.parse(fs.readFileSync(report, 'utf8')) as Record<string, unknown>, opened: straceOpens(log) };
  };
  const full = run(null, 'full');
  const decode = run('--decode-only', 'decode');
  const baseline = run('--baseline', 'baseline');
  const before = new Set(baseline.opened);
  const report = full.report as { mapped: string[]; models: string[] };
  return {
    runtime: { mapped: report.mapped, models: report.models, opened: full.opened, workerOpened: decode.opened.filter((f) => !before.has(f)) },
    report: { ...full.report, decodeReport: decode.report },
  };
}

// ---- npm run check:package ----

async function main(): Promise<void> {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  const args = process.argv.slice(2);
  const configFile = path.resolve(root, args.includes('--config') ? args[args.indexOf('--config') + 1]! : 'electron-builder.yml');
  const config = readBuilderConfig(configFile);
  const problems: string[] = [];
  const schema = await schemaProblem(config);
  if (schema) problems.push(`electron-builder rejects ${path.basename(configFile)}: ${schema}`);
  let runtime: RuntimeFiles | undefined;
  if (!args.includes('--static')) {
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'delineate-package-check-'));
    try {
      runtime = measureRuntime({ root, dist: path.join(root, 'dist'), workDir }).runtime;
    } finally {
      fs.rmSync(workDir, { recursive: true, force: true });
    }
  }
  problems.push(...checkPackage(config, { root, productionDirs: await productionDirs(root), runtime }));
  if (problems.length) {
    console.error(`check:package: ${path.relative(root, configFile)} does not package the app right:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    process.exit(1);
  }
  console.log(`check:package: ${path.relative(root, configFile)} is consistent with the build${runtime ? ` and a measured run (${runtime.mapped.length} mapped, ${runtime.opened?.length ?? 0} opened, ${runtime.workerOpened?.length ?? 0} by the decode workers)` : ' (static checks only)'}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    console.error(`check:package: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
