// Model packages and the registry on real folders with real ONNX models (written by buildOnnxModel,
// opened by onnxruntime): a valid package adds, lists and loads; every way a package can be wrong is
// reported with the file and what is wrong; a failed add leaves nothing behind.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { DelineateError } from '../../src/shared/errors.js';
import { ModelSummarySchema } from '../../src/shared/inference/model-summary.js';
import { buildOnnxModel, type Dim } from '../../src/main/inference/onnx-builder.js';
import { readModelPackage } from '../../src/main/inference/model-package.js';
import { ModelRegistry } from '../../src/main/inference/model-registry.js';
import { tempDir } from '../helpers/dicom-fixtures.js';

const root = tempDir('model-registry');
after(() => fs.rmSync(root, { recursive: true, force: true }));

let folderCount = 0;
const freshDir = (name: string) => {
  const dir = path.join(root, `${++folderCount}-${name}`);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
};

/** A 1×1×1 convolution from `inChannels` to `outChannels` (a 1×1 one on rank-4 input when `rank2d`). */
function convModel(options: { inChannels?: number; outChannels?: number; inputDims?: Dim[]; outputDims?: Dim[]; rank2d?: boolean } = {}): Uint8Array {
  const cin = options.inChannels ?? 1;
  const cout = options.outChannels ?? 3;
  const spatial: Dim[] = options.rank2d ? ['H', 'W'] : ['D', 'H', 'W'];
  const kernel = spatial.map(() => 1);
  return buildOnnxModel({
    name: 'tiny',
    inputs: [{ name: 'image', dims: options.inputDims ?? [1, cin, ...spatial] }],
    outputs: [{ name: 'logits', dims: options.outputDims ?? [1, cout, ...spatial] }],
    nodes: [{ op: 'Conv', inputs: ['image', 'w', 'b'], outputs: ['logits'], attributes: { kernel_shape: kernel } }],
    initializers: [
      { name: 'w', dims: [cout, cin, ...kernel], data: Float32Array.from({ length: cout * cin }, (_, i) => i + 1) },
      { name: 'b', dims: [cout], data: new Float32Array(cout) },
    ],
  });
}

/** Test manifests are edited freely (and made wrong on purpose). */
type Manifest = Record<string, any>;

function baseManifest(id = 'tiny-seg'): Manifest {
  return {
    id,
    name: 'Tiny segmenter',
    version: '1.0.0',
    license: 'MIT',
    description: 'three-class test model',
    task: 'segmentation',
    modality: ['MR'],
    bodyPart: 'brain',
    file: 'model.onnx',
    input: { channels: 1, conform: { orientation: 'native', spacingMm: null, shape: null }, normalisation: [{ kind: 'z-score' }] },
    inference: { mode: 'whole' },
    output: { kind: 'logits', channels: 3 },
    labels: [
      { value: 1, name: 'left', color: [255, 0, 0] },
      { value: 2, name: 'right', color: [0, 255, 0] },
    ],
  };
}

/** Write a package folder; `edit` changes the manifest, `onnx: null` / `license: false` leave a file out. */
function writePackage(
  name: string,
  options: { edit?: (m: Manifest) => void; manifestText?: string; onnx?: Uint8Array | null; license?: boolean; id?: string; dir?: string } = {},
): string {
  const dir = options.dir ?? freshDir(name);
  fs.mkdirSync(dir, { recursive: true });
  const manifest = baseManifest(options.id);
  options.edit?.(manifest);
  fs.writeFileSync(path.join(dir, 'manifest.json'), options.manifestText ?? JSON.stringify(manifest, null, 2));
  const onnx = options.onnx === undefined ? convModel() : options.onnx;
  if (onnx) fs.writeFileSync(path.join(dir, typeof manifest.file === 'string' ? manifest.file : 'model.onnx'), onnx);
  if (options.license !== false) fs.writeFileSync(path.join(dir, 'LICENSE'), 'MIT License\n\nTest weights.\n');
  return dir;
}

function registry(): { reg: ModelRegistry; shippedDir: string; userDir: string } {
  const base = freshDir('registry');
  const shippedDir = path.join(base, 'native-models');
  const userDir = path.join(base, 'data', 'models');
  fs.mkdirSync(shippedDir, { recursive: true });
  return { reg: new ModelRegistry({ shippedDir, userDir }), shippedDir, userDir };
}

/** Every file under a folder with its size and content hash (what "unchanged" means). */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!fs.existsSync(dir)) return out;
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const full = path.join(entry.parentPath, entry.name);
    const rel = path.relative(dir, full);
    out[rel] = entry.isDirectory() ? 'dir' : createHash('sha256').update(fs.readFileSync(full)).digest('hex');
  }
  return out;
}

async function rejection(promise: Promise<unknown>): Promise<DelineateError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof DelineateError, `a DelineateError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a rejection');
}

const T = { timeout: 60_000 };

describe('model packages', () => {
  test('a valid package: manifest with defaults, SHA-256 of the ONNX bytes, input and output names from the graph', T, async () => {
    const onnx = convModel();
    const dir = writePackage('valid', { onnx });
    const pkg = await readModelPackage(dir);
    assert.equal(pkg.dir, dir);
    assert.equal(pkg.onnxPath, path.join(dir, 'model.onnx'));
    assert.equal(pkg.sha256, createHash('sha256').update(onnx).digest('hex'));
    assert.equal(pkg.inputName, 'image');
    assert.equal(pkg.outputName, 'logits');
    assert.equal(pkg.origin, 'user');
    assert.equal((await readModelPackage(dir, { origin: 'shipped' })).origin, 'shipped');
    assert.deepEqual(pkg.manifest.postprocess, { keepLargestComponent: [], fillHoles: [] }, 'defaults filled in');
    assert.equal(pkg.manifest.input.conform.interpolation, 'linear');
  });

  test('named input and output, fixed spatial size equal to the sliding-window patch', T, async () => {
    const dir = writePackage('patch', {
      onnx: convModel({ inputDims: ['N', 1, 32, 32, 16], outputDims: ['N', 3, 32, 32, 16] }),
      edit: (m) => {
        m.input.name = 'image';
        m.output.name = 'logits';
        m.inference = { mode: 'sliding-window', patchSize: [32, 32, 16] };
      },
    });
    const pkg = await readModelPackage(dir);
    assert.equal(pkg.inputName, 'image');
    assert.equal(pkg.manifest.inference.mode, 'sliding-window');
  });

  const bad: { name: string; options: Parameters<typeof writePackage>[1]; code: string; file: string; message: RegExp }[] = [
    { name: 'manifest.json is not JSON', options: { manifestText: '{ "id": "tiny-seg", ' }, code: 'invalid_input', file: 'manifest.json', message: /manifest\.json: not valid JSON \(.+\)$/ },
    {
      name: 'a required field is missing',
      options: { edit: (m) => delete m.bodyPart },
      code: 'invalid_input',
      file: 'manifest.json',
      message: /manifest\.json: does not match the model manifest schema: bodyPart: missing \(expected string\)$/,
    },
    {
      name: 'the orientation is not three letters from L/R, P/A, I/S',
      options: { edit: (m) => (m.input.conform.orientation = 'LRS') },
      code: 'invalid_input',
      file: 'manifest.json',
      message: /manifest\.json: does not match the model manifest schema: input\.conform\.orientation: three letters from L\/R, P\/A, I\/S, one of each pair \(got "LRS"\)$/,
    },
    {
      name: 'a label no output channel produces',
      options: { edit: (m) => m.labels.push({ value: 3, name: 'extra', color: [0, 0, 255] }), onnx: convModel({ outChannels: 3 }) },
      code: 'invalid_input',
      file: 'manifest.json',
      message: /manifest\.json: does not match the model manifest schema: labels\[2\]\.value: label 3 is not produced by any output channel$/,
    },
    {
      name: 'several schema problems are all listed',
      options: {
        edit: (m) => {
          m.modality = ['mr'];
          m.inference = { mode: 'tiles' };
          m.extra = true;
        },
      },
      code: 'invalid_input',
      file: 'manifest.json',
      message: /modality\[0\]: .*\(got "mr"\); inference\.mode: .*'whole' \| 'sliding-window'.*; \(top level\): Unrecognized key: "extra"$/,
    },
    { name: 'the .onnx file is missing', options: { onnx: null }, code: 'invalid_input', file: 'model.onnx', message: /model\.onnx: missing \(manifest\.json names it in "file"\)$/ },
    { name: 'LICENSE is missing', options: { license: false }, code: 'invalid_input', file: 'LICENSE', message: /LICENSE: missing \(a model package carries the licence text/ },
    {
      name: 'the .onnx bytes are corrupt',
      options: { onnx: new TextEncoder().encode('this is not a protobuf model, just text') },
      code: 'invalid_input',
      file: 'model.onnx',
      message: /model\.onnx: not a loadable ONNX model \(Protobuf parsing failed\.\)$/,
    },
    {
      name: 'the input has rank 4',
      options: { onnx: convModel({ rank2d: true }) },
      code: 'invalid_input',
      file: 'model.onnx',
      message: /model\.onnx: input "image" has shape \[1, 1, H, W\] \(rank 4\); expected rank 5 \[N, 1, D, H, W\]$/,
    },
    {
      name: 'the input has 3 channels, the manifest 1',
      options: { onnx: convModel({ inChannels: 3 }) },
      code: 'invalid_input',
      file: 'model.onnx',
      message: /model\.onnx: input "image" has 3 channels \(shape \[1, 3, D, H, W\]\); manifest\.json input\.channels is 1, expected \[N, 1, D, H, W\]$/,
    },
    {
      name: 'the output has 2 channels, the manifest 3',
      options: { onnx: convModel({ outChannels: 2 }) },
      code: 'invalid_input',
      file: 'model.onnx',
      message: /model\.onnx: output "logits" has 2 channels \(shape \[1, 2, D, H, W\]\); manifest\.json output\.channels is 3, expected \[N, 3, D, H, W\]$/,
    },
    {
      name: 'a fixed input size other than the patch size',
      options: {
        onnx: convModel({ inputDims: [1, 1, 64, 64, 64], outputDims: [1, 3, 64, 64, 64] }),
        edit: (m) => (m.inference = { mode: 'sliding-window', patchSize: [32, 32, 32] }),
      },
      code: 'invalid_input',
      file: 'model.onnx',
      message: /model\.onnx: input "image" has shape \[1, 1, 64, 64, 64\]; manifest\.json inference\.patchSize is \[32, 32, 32\], expected \[N, 1, 32, 32, 32\]/,
    },
    {
      name: 'a fixed input size the manifest does not fix',
      options: { onnx: convModel({ inputDims: [1, 1, 64, 64, 64], outputDims: [1, 3, 64, 64, 64] }) },
      code: 'invalid_input',
      file: 'model.onnx',
      message: /input "image" has shape \[1, 1, 64, 64, 64\] with a fixed D, H, W, but manifest\.json runs it on whole volumes of any size/,
    },
    {
      name: 'an input name the graph does not have',
      options: { edit: (m) => (m.input.name = 't1') },
      code: 'invalid_input',
      file: 'model.onnx',
      message: /model\.onnx: has no input named "t1" \(manifest\.json input\.name; the graph's inputs: image\)$/,
    },
  ];

  for (const c of bad) {
    test(`refused: ${c.name}`, T, async () => {
      const dir = writePackage(c.name.replace(/\W+/g, '-'), c.options);
      const err = await rejection(readModelPackage(dir));
      assert.equal(err.code, c.code);
      assert.match(err.message, c.message);
      assert.ok(err.message.startsWith(`${path.join(dir, c.file)}: `), `names the file: ${err.message}`);
    });
  }

  test('a folder that does not exist is not_found', async () => {
    const err = await rejection(readModelPackage(path.join(root, 'nowhere')));
    assert.equal(err.code, 'not_found');
    assert.match(err.message, /nowhere: no such folder/);
  });
});

describe('model registry', () => {
  test('a valid package adds, lists and loads from the user folder', T, async () => {
    const { reg, userDir } = registry();
    const source = writePackage('add-me');
    const summary = await reg.add(source);
    ModelSummarySchema.parse(summary);
    assert.equal(summary.id, 'tiny-seg');
    assert.equal(summary.origin, 'user');
    assert.equal(summary.available, true);
    assert.equal(summary.problem, undefined);
    assert.equal(summary.dir, path.join(userDir, 'tiny-seg'));
    assert.equal(summary.inferenceMode, 'whole');
    assert.deepEqual(summary.labels, [
      { value: 1, name: 'left', color: [255, 0, 0] },
      { value: 2, name: 'right', color: [0, 255, 0] },
    ]);
    assert.deepEqual(fs.readdirSync(path.join(userDir, 'tiny-seg')).sort(), ['LICENSE', 'manifest.json', 'model.onnx']);
    assert.deepEqual(fs.readdirSync(userDir), ['tiny-seg'], 'no staging folder left');

    const list = await reg.list();
    assert.equal(list.length, 1);
    assert.deepEqual(list[0], summary);
    const pkg = await reg.get('tiny-seg');
    assert.equal(pkg.onnxPath, path.join(userDir, 'tiny-seg', 'model.onnx'));
    assert.equal(pkg.sha256, summary.sha256);
    assert.equal(fs.existsSync(source), true, 'the source folder is left as it was');
  });

  test('a broken package is listed as unavailable with its problem and hides nothing', T, async () => {
    const { reg, shippedDir, userDir } = registry();
    writePackage('', { dir: path.join(shippedDir, 'good-one'), id: 'good-one' });
    writePackage('', { dir: path.join(shippedDir, 'no-onnx'), id: 'no-onnx', onnx: null }); // model.onnx not built yet
    writePackage('', { dir: path.join(shippedDir, 'garbled'), manifestText: 'not json' });
    writePackage('', { dir: path.join(shippedDir, 'wrong-folder'), id: 'other-id' });
    fs.writeFileSync(path.join(shippedDir, 'README.md'), 'not a package');
    await reg.add(writePackage('user-one', { id: 'user-one' }));
    fs.mkdirSync(path.join(userDir, '.adding-leftover-1234'));

    const list = await reg.list();
    list.forEach((s) => ModelSummarySchema.parse(s));
    assert.deepEqual(
      list.map((s) => [s.id, s.origin, s.available]),
      [
        ['garbled', 'shipped', false],
        ['good-one', 'shipped', true],
        ['no-onnx', 'shipped', false],
        ['other-id', 'shipped', false],
        ['user-one', 'user', true],
      ],
    );
    const byId = Object.fromEntries(list.map((s) => [s.id, s]));
    assert.equal(byId['no-onnx']!.problem, `${path.join(shippedDir, 'no-onnx', 'model.onnx')}: missing (manifest.json names it in "file")`);
    assert.equal(byId['no-onnx']!.name, 'Tiny segmenter', 'what the manifest says is still shown');
    assert.equal(byId['no-onnx']!.labels.length, 2);
    assert.equal(byId['no-onnx']!.sha256, undefined);
    assert.match(byId['garbled']!.problem!, /garbled\/manifest\.json: not valid JSON/);
    assert.equal(byId['garbled']!.inferenceMode, null);
    assert.match(byId['other-id']!.problem!, /id "other-id" differs from the folder name "wrong-folder"/);

    const err = await rejection(reg.get('no-onnx'));
    assert.match(err.message, /no-onnx\/model\.onnx: missing/);
    assert.equal((await rejection(reg.get('absent'))).code, 'not_found');
    assert.equal((await rejection(reg.get('../escape'))).code, 'not_found');
  });

  test('validation is cached until a file of the package changes', T, async () => {
    const { reg, shippedDir } = registry();
    const dir = writePackage('', { dir: path.join(shippedDir, 'tiny-seg') });
    const first = await reg.get('tiny-seg');
    assert.equal(await reg.get('tiny-seg'), first, 'the same validated package, not a second check');
    fs.writeFileSync(path.join(dir, 'model.onnx'), 'corrupt now');
    const [summary] = await reg.list();
    assert.equal(summary!.available, false);
    assert.match(summary!.problem!, /model\.onnx: not a loadable ONNX model/);
    fs.writeFileSync(path.join(dir, 'model.onnx'), convModel());
    assert.equal((await reg.list())[0]!.available, true);
  });

  test('a failed add leaves the user folder unchanged and earlier models intact', T, async () => {
    const { reg, userDir } = registry();
    await reg.add(writePackage('first', { id: 'first-model' }));
    const before = snapshot(userDir);
    const failures = [
      writePackage('bad-json', { manifestText: '[' }),
      writePackage('bad-onnx', { id: 'second', onnx: new Uint8Array([1, 2, 3, 4]) }),
      writePackage('bad-channels', { id: 'second', onnx: convModel({ outChannels: 2 }) }),
      writePackage('no-license', { id: 'second', license: false }),
      path.join(root, 'not-a-folder'),
    ];
    for (const source of failures) {
      await rejection(reg.add(source));
      assert.deepEqual(snapshot(userDir), before, source);
    }
    const list = await reg.list();
    assert.deepEqual(
      list.map((s) => [s.id, s.available]),
      [['first-model', true]],
    );
    assert.equal((await reg.get('first-model')).inputName, 'image');
  });

  test('an id already used by a user or a shipped model is a conflict', T, async () => {
    const { reg, shippedDir, userDir } = registry();
    writePackage('', { dir: path.join(shippedDir, 'shipped-seg'), id: 'shipped-seg' });
    await reg.add(writePackage('mine', { id: 'my-seg' }));
    const before = snapshot(userDir);

    const again = await rejection(reg.add(writePackage('mine-again', { id: 'my-seg' })));
    assert.equal(again.code, 'conflict');
    assert.equal(again.message, `model id "my-seg" is already used by a user model (${path.join(userDir, 'my-seg')}); remove it first (delineate models remove my-seg) or give the new package another id`);

    const shipped = await rejection(reg.add(writePackage('shadow', { id: 'shipped-seg' })));
    assert.equal(shipped.code, 'conflict');
    assert.equal(shipped.message, `model id "shipped-seg" is already used by a shipped model (${path.join(shippedDir, 'shipped-seg')}); give the new package another id`);
    assert.deepEqual(snapshot(userDir), before);
  });

  test('two adds of one id at once: one installs, the other is a conflict, no staging folder is left', T, async () => {
    const { reg, userDir } = registry();
    const results = await Promise.allSettled([reg.add(writePackage('race-a', { id: 'race' })), reg.add(writePackage('race-b', { id: 'race' }))]);
    assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
    const failure = results.find((r) => r.status === 'rejected')!.reason as DelineateError;
    assert.equal(failure.code, 'conflict');
    assert.deepEqual(fs.readdirSync(userDir), ['race']);
    assert.deepEqual(fs.readdirSync(path.join(userDir, 'race')).sort(), ['LICENSE', 'manifest.json', 'model.onnx']);
  });

  test('remove deletes a user model only', T, async () => {
    const { reg, shippedDir, userDir } = registry();
    writePackage('', { dir: path.join(shippedDir, 'shipped-seg'), id: 'shipped-seg' });
    await reg.add(writePackage('keep', { id: 'keep-me' }));
    await reg.add(writePackage('drop', { id: 'drop-me' }));
    assert.deepEqual(await reg.remove('drop-me'), { id: 'drop-me', dir: path.join(userDir, 'drop-me') });
    assert.deepEqual(fs.readdirSync(userDir), ['keep-me']);
    assert.deepEqual(
      (await reg.list()).map((s) => s.id),
      ['shipped-seg', 'keep-me'],
    );
    assert.equal((await rejection(reg.get('drop-me'))).code, 'not_found');

    const shipped = await rejection(reg.remove('shipped-seg'));
    assert.equal(shipped.code, 'invalid_params');
    assert.match(shipped.message, /"shipped-seg" is a shipped model .*only user models can be removed/);
    assert.equal(fs.existsSync(path.join(shippedDir, 'shipped-seg', 'model.onnx')), true);

    const missing = await rejection(reg.remove('drop-me'));
    assert.equal(missing.code, 'not_found');
    assert.equal(missing.message, 'no model "drop-me" (installed: keep-me, shipped-seg)');

    // the id is free again
    assert.equal((await reg.add(writePackage('drop-again', { id: 'drop-me' }))).available, true);
  });
});
