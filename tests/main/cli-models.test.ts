// `delineate models add DIR` then `models list --json` / `models remove ID` against a real data dir and
// a real package folder (a tiny ONNX model written by buildOnnxModel).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { runCli } from '../../src/main/cli/main.js';
import { buildOnnxModel } from '../../src/main/inference/onnx-builder.js';
import { ModelSummarySchema, type ModelSummary } from '../../src/shared/inference/model-summary.js';
import { tempDir } from '../helpers/dicom-fixtures.js';

const dir = tempDir('cli-models');
const dataDir = path.join(dir, 'data');

async function cli(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(['models', ...argv], { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env: {} });
  return { code, stdout, stderr };
}

function writePackage(name: string, id: string, outChannels = 2): string {
  const folder = path.join(dir, name);
  fs.mkdirSync(folder, { recursive: true });
  const manifest = {
    id,
    name: 'CLI test model',
    version: '0.1.0',
    license: 'Apache-2.0',
    task: 'segmentation',
    modality: ['CT'],
    bodyPart: 'abdomen',
    file: 'net.onnx',
    input: { channels: 1, conform: { orientation: 'native', spacingMm: [1, 1, 1], shape: null }, normalisation: [{ kind: 'ct-window', center: 40, width: 400 }] },
    inference: { mode: 'sliding-window', patchSize: [16, 16, 16] },
    output: { kind: 'softmax', channels: 2 },
    labels: [{ value: 1, name: 'liver', color: [200, 100, 50] }],
  };
  fs.writeFileSync(path.join(folder, 'manifest.json'), JSON.stringify(manifest));
  fs.writeFileSync(path.join(folder, 'LICENSE'), 'Apache License 2.0\n');
  fs.writeFileSync(
    path.join(folder, 'net.onnx'),
    buildOnnxModel({
      name: 'cli',
      inputs: [{ name: 'x', dims: [1, 1, 'D', 'H', 'W'] }],
      outputs: [{ name: 'y', dims: [1, outChannels, 'D', 'H', 'W'] }],
      nodes: [{ op: 'Conv', inputs: ['x', 'w'], outputs: ['y'], attributes: { kernel_shape: [1, 1, 1] } }],
      initializers: [{ name: 'w', dims: [outChannels, 1, 1, 1, 1], data: new Float32Array(outChannels).fill(1) }],
    }),
  );
  return folder;
}

const T = { timeout: 120_000 };

describe('delineate models', () => {
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('models add DIR, then models list --json shows it available; the table too; remove takes it away', T, async () => {
    const source = writePackage('pkg', 'cli-liver');
    const added = await cli('add', source, '--data-dir', dataDir, '--json');
    assert.equal(added.code, 0, added.stderr);
    assert.equal(added.stderr, '');
    const addResult = JSON.parse(added.stdout) as { action: string; model: ModelSummary };
    assert.equal(addResult.action, 'add');
    assert.equal(ModelSummarySchema.parse(addResult.model).id, 'cli-liver');
    assert.equal(addResult.model.dir, path.join(dataDir, 'models', 'cli-liver'));

    const listed = await cli('list', '--json', '--data-dir', dataDir);
    assert.equal(listed.code, 0, listed.stderr);
    const list = JSON.parse(listed.stdout) as { action: string; userDir: string; shippedDir: string; models: ModelSummary[] };
    assert.equal(list.userDir, path.join(dataDir, 'models'));
    list.models.forEach((m) => ModelSummarySchema.parse(m));
    // shipped packages (native-models/) may be listed too; ours is the user one
    const mine = list.models.filter((m) => m.origin === 'user');
    assert.equal(mine.length, 1);
    assert.deepEqual(mine[0], addResult.model);
    assert.equal(mine[0]!.available, true);
    assert.equal(mine[0]!.inferenceMode, 'sliding-window');
    assert.match(mine[0]!.sha256!, /^[0-9a-f]{64}$/);

    const table = await cli('list', '--data-dir', dataDir);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^ID +NAME +VERSION +ORIGIN +MODALITY +BODY PART +LABELS +MODE +LICENSE +STATUS$/m);
    assert.match(table.stdout, /^cli-liver +CLI test model +0\.1\.0 +user +CT +abdomen +1 +sliding-window +Apache-2\.0 +available$/m);

    const human = await cli('add', writePackage('pkg2', 'cli-spleen'), '--data-dir', dataDir);
    assert.equal(human.code, 0, human.stderr);
    assert.equal(human.stdout, `added cli-spleen (CLI test model 0.1.0) to ${path.join(dataDir, 'models', 'cli-spleen')}\n`);

    const removed = await cli('remove', 'cli-spleen', '--data-dir', dataDir);
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal(removed.stdout, `removed cli-spleen (${path.join(dataDir, 'models', 'cli-spleen')})\n`);
    assert.deepEqual(fs.readdirSync(path.join(dataDir, 'models')), ['cli-liver']);
  });

  test('a bad package: exit 1, a one-line error naming the file, the JSON envelope with --json', T, async () => {
    const source = writePackage('bad', 'cli-bad', 3);
    const run = await cli('add', source, '--data-dir', dataDir, '--json');
    assert.equal(run.code, 1);
    const expected = `${path.join(source, 'net.onnx')}: output "y" has 3 channels (shape [1, 3, D, H, W]); manifest.json output.channels is 2, expected [N, 2, D, H, W]`;
    assert.equal(run.stderr, `delineate: ${expected}\n`);
    const envelope = (JSON.parse(run.stdout) as { error: { code: string; message: string } }).error;
    assert.equal(envelope.code, 'invalid_input');
    assert.equal(envelope.message, expected);
    assert.equal(fs.existsSync(path.join(dataDir, 'models', 'cli-bad')), false);
  });

  test('usage errors exit 2', async () => {
    for (const argv of [['add'], ['remove'], ['frob'], ['list', 'extra']]) {
      const run = await cli(...argv, '--data-dir', dataDir);
      assert.equal(run.code, 2, argv.join(' '));
      assert.match(run.stderr, /^delineate: .*\(see: delineate models --help\)\n$/);
    }
    const shipped = await cli('remove', 'no-such-model', '--data-dir', dataDir);
    assert.equal(shipped.code, 1);
    assert.match(shipped.stderr, /^delineate: no model "no-such-model"/);
  });
});
