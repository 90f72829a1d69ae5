import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { pathsFromArgv } from '../../src/main/electron/launch-args.js';

describe('paths to open from a command line', () => {
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'delineate-argv-'));
  fs.mkdirSync(path.join(cwd, 'study'));
  fs.writeFileSync(path.join(cwd, 'scan.nii.gz'), '');
  fs.writeFileSync(path.join(cwd, '-odd.dcm'), '');
  const other = fs.mkdtempSync(path.join(os.tmpdir(), 'delineate-argv-other-'));
  fs.writeFileSync(path.join(other, 'x.dcm'), '');

  test('packaged: drops the executable and switches, resolves against the launch cwd, keeps existing paths', () => {
    const argv = ['/opt/Delineate/delineate', '--allow-file-access-from-files', '--original-process-start-time=1337', 'study', './scan.nii.gz', 'missing.dcm', path.join(other, 'x.dcm')];
    assert.deepEqual(pathsFromArgv(argv, { cwd, defaultApp: false }), [path.join(cwd, 'study'), path.join(cwd, 'scan.nii.gz'), path.join(other, 'x.dcm')]);
  });

  test('unpackaged (electron .): the app path is not an input', () => {
    assert.deepEqual(pathsFromArgv(['/usr/bin/electron', cwd, 'study'], { cwd, defaultApp: true }), [path.join(cwd, 'study')]);
    assert.deepEqual(pathsFromArgv(['/usr/bin/electron', '.', 'study'], { cwd, defaultApp: true }), [path.join(cwd, 'study')]);
  });

  test('--data-dir takes its value with it; -- ends options; file:// URLs; duplicates once', () => {
    const argv = ['delineate', '--data-dir', 'study', '--', '-odd.dcm', pathToFileURL(path.join(cwd, 'scan.nii.gz')).href, 'scan.nii.gz'];
    assert.deepEqual(pathsFromArgv(argv, { cwd, defaultApp: false }), [path.join(cwd, '-odd.dcm'), path.join(cwd, 'scan.nii.gz')]);
    assert.deepEqual(pathsFromArgv(['delineate', '--data-dir=study'], { cwd, defaultApp: false }), []);
  });

  test('a second instance resolves against its own cwd, not ours', () => {
    assert.deepEqual(pathsFromArgv(['delineate', 'x.dcm'], { cwd: other, defaultApp: false }), [path.join(other, 'x.dcm')]);
    assert.deepEqual(pathsFromArgv(['delineate', 'x.dcm'], { cwd, defaultApp: false }), []);
  });

  test('nothing to open', () => {
    assert.deepEqual(pathsFromArgv([], { cwd, defaultApp: false }), []);
    assert.deepEqual(pathsFromArgv(['delineate'], { cwd, defaultApp: false }), []);
    assert.deepEqual(pathsFromArgv(['delineate', '', 'a\0b'], { cwd, defaultApp: false, exists: () => true }), []);
  });
});
