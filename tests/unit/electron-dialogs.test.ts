import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { OpenDialogOptions, SaveDialogOptions } from 'electron';
import { createPathPicker, dialogRequestFor } from '../../src/main/electron/dialogs.js';
import { PathGrants } from '../../src/main/electron/path-grants.js';
import { PICK_PURPOSES } from '../../src/shared/desktop.js';

const abs = (...p: string[]) => path.resolve('/', ...p);

describe('native dialogs for host.pickPaths', () => {
  test('each purpose gets its dialog kind; reads from open dialogs, writes from save and output-folder', () => {
    const kinds = Object.fromEntries(PICK_PURPOSES.map((purpose) => {
      const r = dialogRequestFor({ purpose });
      return [purpose, `${r.kind} ${r.access} ${r.tree ? 'tree' : 'file'} ${(r.options.properties ?? []).join(',')}`];
    }));
    assert.deepEqual(kinds, {
      'import-files': 'open read file openFile,multiSelections',
      'import-folder': 'open read tree openDirectory,multiSelections',
      'model-folder': 'open read tree openDirectory',
      'mask-file': 'open read file openFile',
      'labels-file': 'open read file openFile',
      'save-file': 'save write file createDirectory,showOverwriteConfirmation',
      'output-folder': 'open write tree openDirectory,createDirectory,promptToCreate',
    });
    const save = dialogRequestFor({ purpose: 'save-file', defaultName: 'mask.dcm', title: 'Export SEG' });
    assert.equal(save.options.defaultPath, 'mask.dcm');
    assert.equal(save.options.title, 'Export SEG');
  });

  test('what the user picks is granted (and returned); a cancelled dialog grants nothing', async () => {
    const grants = new PathGrants('linux');
    const shown: (OpenDialogOptions | SaveDialogOptions)[] = [];
    let answer: string[] = [abs('scans', 'a.dcm'), abs('scans', 'b.dcm')];
    const pick = createPathPicker(
      {
        showOpen: async (o) => (shown.push(o), { canceled: answer.length === 0, filePaths: answer }),
        showSave: async (o) => (shown.push(o), { canceled: answer.length === 0, filePath: answer[0] }),
      },
      grants,
    );
    assert.deepEqual(await pick({ purpose: 'import-files' }), { supported: true, paths: answer });
    assert.equal(grants.allows(abs('scans', 'a.dcm'), 'read'), true);
    assert.equal(grants.allows(abs('scans', 'a.dcm'), 'write'), false);
    assert.equal(grants.allows(abs('scans', 'c.dcm'), 'read'), false);
    answer = [abs('exports', 'out.dcm')];
    assert.deepEqual(await pick({ purpose: 'save-file', defaultName: 'out.dcm' }), { supported: true, paths: answer });
    assert.equal(grants.allows(abs('exports', 'out.dcm'), 'write'), true);
    assert.equal(grants.allows(abs('exports', 'other.dcm'), 'write'), false);
    answer = [];
    assert.deepEqual(await pick({ purpose: 'output-folder' }), { supported: true, paths: [] });
    assert.equal(grants.list().length, 3);
    assert.equal(shown.length, 3);
  });
});
