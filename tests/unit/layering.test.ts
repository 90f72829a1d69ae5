import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkImport, checkLayering, importsOf } from '../../scripts/layering.js';

function tree(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'delineate-layering-'));
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), content);
  }
  return root;
}

describe('layering checker', () => {
  test('the real source tree is clean', () => {
    assert.deepEqual(checkLayering(process.cwd()), []);
  });

  test('catches a forbidden import added to a copy of a clean tree', () => {
    const root = tree({
      'src/shared/geometry.ts': "import { z } from 'zod';\nexport const a = 1;\n",
      'src/main/store.ts': "import fs from 'node:fs';\nimport { a } from '../shared/geometry.js';\n",
    });
    try {
      assert.deepEqual(checkLayering(root), []);
      fs.writeFileSync(path.join(root, 'src/shared/geometry.ts'), "import { z } from 'zod';\nimport fs from 'node:fs';\nexport const a = 1;\n");
      const violations = checkLayering(root);
      assert.equal(violations.length, 1);
      assert.deepEqual(
        { file: violations[0]!.file, line: violations[0]!.line, specifier: violations[0]!.specifier },
        { file: 'src/shared/geometry.ts', line: 2, specifier: 'node:fs' },
      );
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  test('npm run lint exits non-zero on a violating tree', async () => {
    const { spawnSync } = await import('node:child_process');
    const root = tree({ 'src/renderer/App.ts': "import { readFileSync } from 'fs';\n" });
    try {
      const result = spawnSync(process.execPath, [path.resolve('dist/scripts/check-layering.js')], { cwd: root, encoding: 'utf8' });
      assert.equal(result.status, 1);
      assert.match(result.stderr, /src\/renderer\/App\.ts:1: import 'fs': src\/renderer must not import Node built-ins/);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  const cases: [string, string, boolean][] = [
    // [file, specifier, allowed]
    ['src/shared/a.ts', './b.js', true],
    ['src/shared/a.ts', 'zod', true],
    ['src/shared/a.ts', 'node:path', false],
    ['src/shared/a.ts', 'path', false],
    ['src/shared/a.ts', 'electron', false],
    ['src/shared/a.ts', '../main/store/database.js', false],
    ['src/shared/a.ts', 'better-sqlite3', false],
    ['src/renderer/lib/x.ts', '../../shared/contract.js', true],
    ['src/renderer/lib/x.ts', '../../main/services/dispatch.js', false],
    ['src/renderer/lib/x.ts', 'svelte', true],
    ['src/renderer/lib/x.ts', 'node:fs', false],
    ['src/renderer/lib/x.ts', 'ws', false],
    ['src/renderer/App.svelte', 'electron', false],
    ['src/renderer/vite.config.ts', 'node:url', true],
    ['src/preload/preload.ts', 'electron', true],
    ['src/preload/preload.ts', '../main/paths.js', false],
    ['src/preload/preload.ts', 'node:fs', false],
    ['src/main/store/database.ts', 'electron', false],
    ['src/main/store/database.ts', 'node:fs', true],
    ['src/main/store/database.ts', '../../renderer/main.js', false],
    ['src/main/store/database.ts', '../../preload/preload.js', false],
    ['src/main/electron/main.ts', 'electron', true],
    ['src/main/electron/main.ts', '../services/dispatch.js', true],
    ['src/main/services/x.ts', '../electron/main.js', false],
  ];
  for (const [file, specifier, allowed] of cases) {
    test(`${file} → ${specifier}: ${allowed ? 'allowed' : 'refused'}`, () => {
      assert.equal(checkImport(file, specifier) === null, allowed, String(checkImport(file, specifier)));
    });
  }

  test('finds static, type-only, re-export, side-effect, dynamic and require imports with line numbers', () => {
    const source = [
      "import a from 'a';",
      "import type { B } from 'b';",
      "import 'c';",
      "export * from 'd';",
      "export { e } from 'e';",
      "const f = await import('f');",
      "const g = require('g');",
      "import {\n  h,\n} from 'h';",
    ].join('\n');
    assert.deepEqual(importsOf(source), [
      { specifier: 'a', line: 1 },
      { specifier: 'b', line: 2 },
      { specifier: 'c', line: 3 },
      { specifier: 'd', line: 4 },
      { specifier: 'e', line: 5 },
      { specifier: 'f', line: 6 },
      { specifier: 'g', line: 7 },
      { specifier: 'h', line: 8 },
    ]);
  });
});
