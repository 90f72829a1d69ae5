// Listing inputs types directory entries from readdir (no stat per regular file): links to files and
// folders, nested folders, ignored names and the order must be what stat-per-entry listing gave.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { listInputFiles } from '../../src/main/studies/scan.js';
import { tempDir } from '../helpers/dicom-fixtures.js';

const dir = tempDir('scan-listing');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('regular files, links to files and folders, nested folders; ignored names left out; sorted per folder', async () => {
  const root = path.join(dir, 'in');
  const outside = path.join(dir, 'outside');
  fs.mkdirSync(path.join(root, 'sub'), { recursive: true });
  fs.mkdirSync(path.join(outside, 'linked'), { recursive: true });
  for (const name of ['b.dcm', 'a.dcm', 'Z.dcm', '.DS_Store', '._a.dcm', 'sub/c.dcm']) fs.writeFileSync(path.join(root, name), 'x');
  fs.writeFileSync(path.join(outside, 'target.dcm'), 'x');
  fs.writeFileSync(path.join(outside, 'linked', 'd.dcm'), 'x');
  fs.symlinkSync(path.join(outside, 'target.dcm'), path.join(root, 'link.dcm'));
  fs.symlinkSync(path.join(outside, 'linked'), path.join(root, 'linkdir'));
  fs.symlinkSync(path.join(outside, 'missing.dcm'), path.join(root, 'dangling.dcm'));

  const { files, skipped } = await listInputFiles([root], { extractDir: path.join(dir, 'x') });
  const rel = files.map((f) => path.relative(root, f));
  assert.deepEqual(rel, ['Z.dcm', 'a.dcm', 'b.dcm', 'link.dcm', 'linkdir/d.dcm', 'sub/c.dcm']);
  assert.deepEqual(
    skipped.map((s) => [path.relative(root, s.path), s.reason]),
    [['dangling.dcm', 'cannot read: ENOENT']],
  );
});
