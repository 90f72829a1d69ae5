/**
 * electron-builder.yml against what the app really loads: a measured run (tests/helpers/
 * runtime-files-probe.ts under strace: store, DICOM import with JPEG 2000 / JPEG-LS / JPEG lossless
 * slices decoded on the worker threads, a shipped model in the inference process) must find every
 * mapped or opened file packaged, natives and worker files unpacked, models in the resources folder,
 * and the fuses set. The same check must fail on configurations broken on purpose.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  checkPackage,
  matchAll,
  measureRuntime,
  PackageLayout,
  productionDirs,
  readBuilderConfig,
  schemaProblem,
  type BuilderConfig,
  type RuntimeFiles,
} from '../../scripts/package-check.js';
import { appRoot, resourceDir, sampleDataDir, shippedModelsRoot, thirdPartyFiles } from '../../src/main/paths.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** the compiled tree this test runs from (dist, or another tsc outDir) */
const compiled = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const T = { timeout: 600_000 };

let workDir: string;
let config: BuilderConfig;
let prodDirs: string[];
let runtime: RuntimeFiles;
let report: { mapped: string[]; models: string[]; transferSyntaxes: string[]; children: number[] };

const clone = (): BuilderConfig => structuredClone(config);
const check = (c: BuilderConfig) => checkPackage(c, { root, productionDirs: prodDirs, runtime, runtimeDist: compiled });
const rel = (abs: string) => path.relative(root, abs).split(path.sep).join('/');

before(async () => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'delineate-package-'));
  config = readBuilderConfig(path.join(root, 'electron-builder.yml'));
  prodDirs = await productionDirs(root);
  const measured = measureRuntime({ root, dist: compiled, workDir });
  runtime = measured.runtime;
  report = measured.report as typeof report;
}, T);
after(() => fs.rmSync(workDir, { recursive: true, force: true }));

describe('the measured run', () => {
  test('saw the natives, the model, the inference child and the decode workers at work', () => {
    const mapped = report.mapped.map(rel);
    assert.ok(mapped.some((f) => f.endsWith('/better_sqlite3.node')), 'better-sqlite3 mapped');
    assert.ok(mapped.some((f) => f.startsWith('node_modules/onnxruntime-node/') && f.endsWith('/onnxruntime_binding.node')), 'ORT binding mapped');
    assert.ok(mapped.some((f) => /\/libonnxruntime\.(so|\d|dylib)/.test(f)), 'libonnxruntime mapped');
    assert.ok(report.children.length >= 1, 'the inference child process was alive');
    assert.ok(report.models.map(rel).includes('native-models/brainchop-tissue-gwm/model.onnx'));
    // the series was decoded from the compressed syntaxes, on the workers
    for (const ts of ['1.2.840.10008.1.2.4.70', '1.2.840.10008.1.2.4.80', '1.2.840.10008.1.2.4.90']) assert.ok(report.transferSyntaxes.includes(ts), ts);
    const worker = (runtime.workerOpened ?? []).map(rel);
    assert.ok(worker.some((f) => f.endsWith('/decode-worker.js')), 'the worker script');
    assert.ok(worker.some((f) => f.startsWith('node_modules/@cornerstonejs/codec-openjpeg/') && f.endsWith('.wasm')), 'the OpenJPEG WASM');
    assert.ok(worker.some((f) => f.startsWith('node_modules/@cornerstonejs/codec-charls/') && f.endsWith('.wasm')), 'the CharLS WASM');
    assert.ok(worker.some((f) => f.startsWith('node_modules/jpeg-lossless-decoder-js/')), 'the lossless JPEG decoder');
  });
});

describe('electron-builder.yml', () => {
  test('is valid for electron-builder and packages everything the run loaded', async () => {
    assert.equal(await schemaProblem(config), null);
    assert.deepEqual(check(config), []);
  });

  test('without onnxruntime-node and the .node files unpacked, the check names the mapped natives', () => {
    const broken = clone();
    broken.asarUnpack = (broken.asarUnpack as string[]).filter((p) => p !== '**/*.node' && !p.includes('onnxruntime-node'));
    const problems = check(broken);
    for (const file of ['onnxruntime_binding.node', 'libonnxruntime.so', 'better_sqlite3.node']) {
      assert.ok(problems.some((p) => p.includes(file) && p.includes('(mapped at run time) is packed into app.asar')), `${file}: ${problems.join('\n')}`);
    }
  });

  test('with the worker packages left in the asar, the check names what the decode workers opened', () => {
    const broken = clone();
    broken.asarUnpack = (broken.asarUnpack as string[]).filter((p) => !p.includes('dcmjs') && !p.includes('@cornerstonejs'));
    const problems = check(broken);
    assert.ok(problems.some((p) => p.startsWith('node_modules/dcmjs/') && p.includes('opened by a decode worker')), problems.join('\n'));
    assert.ok(problems.some((p) => p.startsWith('node_modules/@cornerstonejs/codec-openjpeg/') && p.includes('.wasm (opened by a decode worker)')), problems.join('\n'));
  });

  test('a wrong or missing fuse is named, and electron-builder rejects an unknown one', async () => {
    const broken = clone();
    broken.electronFuses = { ...broken.electronFuses, runAsNode: true };
    delete broken.electronFuses.onlyLoadAppFromAsar;
    const problems = check(broken);
    assert.ok(problems.includes('fuse runAsNode must be false (electronFuses.runAsNode is true)'), problems.join('\n'));
    assert.ok(problems.includes('fuse onlyLoadAppFromAsar must be true (electronFuses.onlyLoadAppFromAsar is not set)'), problems.join('\n'));
    assert.match((await schemaProblem({ ...clone(), electronFuses: { ...config.electronFuses, notAFuse: true } })) ?? '', /electronFuses/);
  });

  test('models: tfjs sources must stay out, and a model the app loaded must be shipped where resourceDir looks', () => {
    const everything = clone();
    everything.extraResources = (everything.extraResources as { from: string }[]).map((r) => (r.from === 'native-models' ? { ...r, filter: ['**/*'] } : r));
    assert.ok(check(everything).some((p) => /^native-models\/[^/]+\/tfjs\/.* would be shipped/.test(p)));

    const elsewhere = clone();
    elsewhere.extraResources = (elsewhere.extraResources as { from: string }[]).map((r) => (r.from === 'native-models' ? { ...r, to: 'models' } : r));
    assert.ok(check(elsewhere).includes('native-models/brainchop-tissue-gwm/model.onnx (a model the app loaded) lands at resources/models/brainchop-tissue-gwm/model.onnx; the app looks in resources/native-models/brainchop-tissue-gwm/model.onnx'));

    const none = clone();
    none.extraResources = (none.extraResources as { from: string }[]).filter((r) => r.from !== 'native-models');
    assert.ok(check(none).includes('native-models/brainchop-tissue-gwm/model.onnx (a model the app loaded) is not shipped: no extraResources entry takes it'));
  });

  test('files that leave out the WASM kernel or the compiled main code fail', () => {
    const broken = clone();
    broken.files = (broken.files as string[]).filter((p) => p !== 'dist/src/**/*.wasm' && p !== 'dist/src/**/*.js');
    const problems = check(broken);
    assert.ok(problems.includes('dist/src/main/studies/dicom/pixels/wasm/voxel-kernels.wasm (needed at run time) is not matched by the files patterns'), problems.join('\n'));
    assert.ok(problems.some((p) => p.startsWith('dist/src/main/electron/main.js (the main entry)')), problems.join('\n'));
    assert.ok(problems.some((p) => /^dist\/src\/main\/.*\.js \(opened at run time\) is not packaged$/.test(p)), problems.join('\n'));
  });
});

describe('the pattern rules (electron-builder semantics)', () => {
  test('patterns apply in order: a later ! excludes, a later positive pattern re-includes', () => {
    assert.equal(matchAll('dist/src/a.js', ['dist/**/*', '!**/*.js']), false);
    assert.equal(matchAll('dist/src/a.js', ['dist/**/*', '!**/*.js', 'dist/src/a.js']), true);
    assert.equal(matchAll('dist/src/a.js.map', ['dist/**/*', '!**/*.map']), false);
    assert.equal(matchAll('node_modules/x/.hidden/y.node', ['**/*.node']), true, 'dot: true');
    assert.equal(matchAll('node_modules/@cornerstonejs/codec-charls/dist/a.wasm', ['node_modules/@cornerstonejs/codec-*/**/*']), true);
    assert.equal(matchAll('node_modules/onnxruntime-node/bin/napi-v6/win32/x64/a.dll', ['**/*', '!node_modules/onnxruntime-node/bin/napi-v*/{darwin,win32}/**']), false);
    assert.equal(matchAll('native-models/x/model.onnx', ['native-models']), true, 'a bare folder stands for its contents');
    assert.equal(matchAll('native-models-old/x', ['native-models']), false);
  });

  test('the app gets production dependencies only, trimmed by ! patterns and the default exclusions', () => {
    const layout = new PackageLayout(config, prodDirs, 'linux');
    assert.equal(layout.inApp('node_modules/zod/package.json'), true);
    assert.equal(layout.inApp('node_modules/typescript/lib/tsc.js'), false, 'a devDependency');
    assert.equal(layout.inApp('node_modules/@kitware/vtk.js/index.js'), false, 'trimmed (the renderer bundles it)');
    assert.equal(layout.inApp('node_modules/zod/index.d.ts'), false, 'default exclusion');
    assert.equal(layout.inApp('node_modules/onnxruntime-node/bin/napi-v6/win32/x64/onnxruntime.dll'), false, 'another platform');
    assert.equal(new PackageLayout(config, prodDirs, 'win').inApp('node_modules/onnxruntime-node/bin/napi-v6/win32/x64/onnxruntime.dll'), true);
    assert.equal(layout.inApp('dist/tests/main/package-config.test.js'), false);
    assert.equal(layout.inApp('package.json'), true, 'always added');
    assert.equal(layout.resourcePath('native-models/a/tfjs/model.json'), null);
    assert.equal(layout.resourcePath('dist/sample-data/x/y.dcm'), 'sample-data/x/y.dcm');
  });
});

describe('resourceDir: where the app looks for what extraResources ships', () => {
  test('the resources folder of a packaged app where it holds the entry, the checkout otherwise', () => {
    const proc = process as { resourcesPath?: string };
    const saved = proc.resourcesPath;
    const resources = fs.mkdtempSync(path.join(os.tmpdir(), 'delineate-resources-'));
    try {
      delete proc.resourcesPath;
      assert.equal(shippedModelsRoot(), path.join(appRoot(), 'native-models'));
      assert.equal(sampleDataDir(), path.join(appRoot(), 'dist', 'sample-data'));
      assert.deepEqual(thirdPartyFiles(), { json: path.join(appRoot(), 'dist', 'third-party.json'), text: path.join(appRoot(), 'dist', 'THIRD_PARTY_LICENSES.txt') });
      // `electron .` in a checkout: Electron's own resources folder, without ours
      proc.resourcesPath = resources;
      assert.equal(resourceDir('native-models'), path.join(appRoot(), 'native-models'));
      // packaged: the names electron-builder.yml's extraResources give them
      const layout = new PackageLayout(config, prodDirs, 'linux');
      for (const [checkout, get] of [
        ['native-models', shippedModelsRoot],
        ['dist/sample-data', sampleDataDir],
        ['dist/third-party.json', () => thirdPartyFiles().json],
        ['dist/THIRD_PARTY_LICENSES.txt', () => thirdPartyFiles().text],
      ] as const) {
        const isFile = /\.(json|txt)$/.test(checkout);
        const shipped = layout.resourcePath(isFile ? checkout : `${checkout}/x/manifest.json`);
        assert.ok(shipped, checkout);
        const top = shipped.split('/')[0]!;
        fs.mkdirSync(path.dirname(path.join(resources, shipped)), { recursive: true });
        fs.writeFileSync(path.join(resources, shipped), '');
        assert.equal(get(), path.join(resources, top), checkout);
      }
    } finally {
      if (saved === undefined) delete proc.resourcesPath;
      else proc.resourcesPath = saved;
      fs.rmSync(resources, { recursive: true, force: true });
    }
  });
});
