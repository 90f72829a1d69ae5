/**
 * scripts/third-party-licenses.mjs on a made-up checkout: the production tree (transitively, Node's
 * resolution, nested copies), license texts, models and sample data; a package without any license
 * stops it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const script = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'scripts', 'third-party-licenses.mjs');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'delineate-licenses-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function write(file: string, content: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
}
const pkg = (name: string, version: string, extra: object = {}) => ({ name, version, ...extra });
const run = (root: string) => spawnSync(process.execPath, [script, '--root', root, '--out', path.join(root, 'dist')], { encoding: 'utf8' });

test('lists the production tree, models and sample data with their license texts', () => {
  const root = path.join(tmp, 'good');
  write(path.join(root, 'package.json'), pkg('app', '1.0.0', { dependencies: { a: '1', '@s/b': '1' }, devDependencies: { dev: '1' } }));
  write(path.join(root, 'node_modules/a/package.json'), pkg('a', '1.0.0', { license: 'MIT', dependencies: { c: '2' } }));
  write(path.join(root, 'node_modules/a/LICENSE'), 'A LICENSE TEXT');
  write(path.join(root, 'node_modules/a/node_modules/c/package.json'), pkg('c', '2.0.0', { license: { type: 'ISC' } }));
  write(path.join(root, 'node_modules/c/package.json'), pkg('c', '1.0.0', { license: 'BSD-3-Clause' })); // not used by anyone
  write(path.join(root, 'node_modules/@s/b/package.json'), pkg('@s/b', '3.0.0', { optionalDependencies: { missing: '1' } }));
  write(path.join(root, 'node_modules/@s/b/COPYING.txt'), 'B COPYING TEXT');
  write(path.join(root, 'node_modules/dev/package.json'), pkg('dev', '1.0.0', { license: 'MIT' }));
  write(path.join(root, 'native-models/m1/manifest.json'), { id: 'm1', name: 'Model One', version: '4.0.0', license: 'MIT' });
  write(path.join(root, 'native-models/m1/LICENSE'), 'MODEL LICENSE TEXT');
  write(path.join(root, 'dist/sample-data/head/LICENSE.txt'), 'SPDX-License-Identifier: CC0-1.0\nSAMPLE TEXT');
  write(path.join(root, 'dist/sample-data/head/sample.json'), { id: 'head', title: 'Sample head' });
  const result = run(root);
  assert.equal(result.status, 0, result.stderr);
  const list = JSON.parse(fs.readFileSync(path.join(root, 'dist/third-party.json'), 'utf8')) as { name: string; version: string; license: string; kind: string }[];
  assert.deepEqual(list, [
    { name: '@s/b', version: '3.0.0', license: 'see license text', kind: 'package' },
    { name: 'a', version: '1.0.0', license: 'MIT', kind: 'package' },
    { name: 'c', version: '2.0.0', license: 'ISC', kind: 'package' },
    { name: 'Model One', version: '4.0.0', license: 'MIT', kind: 'model' },
    { name: 'Sample head', version: '', license: 'CC0-1.0', kind: 'data' },
  ]);
  const text = fs.readFileSync(path.join(root, 'dist/THIRD_PARTY_LICENSES.txt'), 'utf8');
  for (const s of ['A LICENSE TEXT', 'B COPYING TEXT', 'MODEL LICENSE TEXT', 'SAMPLE TEXT', 'c 2.0.0 (package) — ISC']) assert.ok(text.includes(s), s);
  assert.ok(!text.includes('dev 1.0.0'), 'no devDependencies');
});

test('a production package with no license field and no license file stops the build', () => {
  const root = path.join(tmp, 'bad');
  write(path.join(root, 'package.json'), pkg('app', '1.0.0', { dependencies: { a: '1' } }));
  write(path.join(root, 'node_modules/a/package.json'), pkg('a', '1.0.0', { dependencies: { nolicense: '1' }, license: 'MIT' }));
  write(path.join(root, 'node_modules/nolicense/package.json'), pkg('nolicense', '0.1.0'));
  const result = run(root);
  assert.equal(result.status, 1);
  assert.match(result.stderr, /no license field and no license file in nolicense@0\.1\.0 \(node_modules\/nolicense\)/);
  assert.equal(fs.existsSync(path.join(root, 'dist/third-party.json')), false);
});
