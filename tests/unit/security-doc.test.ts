import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { mainWindowOptions } from '../../src/main/electron/window-options.js';
import { CONTENT_SECURITY_POLICY } from '../../src/main/security/csp.js';
import { HOST_PATH_PARAMS } from '../../src/shared/host-paths.js';
import { crashReporterOptions } from '../../src/main/electron/crash-reporting.js';

const DOC = fs.readFileSync('docs/security.md', 'utf8');

/** The rows of the first markdown table after a heading line containing `heading`, as cell arrays. */
function tableAfter(heading: string): string[][] {
  const lines = DOC.split('\n');
  const start = lines.findIndex((l) => l.startsWith('#') && l.includes(heading));
  assert.ok(start >= 0, `docs/security.md has a heading with "${heading}"`);
  let i = start + 1;
  while (i < lines.length && !lines[i]!.startsWith('|')) i++;
  const rows: string[][] = [];
  for (i += 2; i < lines.length && lines[i]!.startsWith('|'); i++) rows.push(lines[i]!.split('|').slice(1, -1).map((c) => c.trim()));
  return rows;
}
const code = (cell: string) => /^`([^`]*)`/.exec(cell)?.[1];

/** electronFuses from electron-builder.yml (read as text: two-space `key: value` lines under the key). */
function builderFuses(): Record<string, boolean> {
  const lines = fs.readFileSync('electron-builder.yml', 'utf8').split('\n');
  const start = lines.findIndex((l) => /^electronFuses:\s*$/.test(l));
  assert.ok(start >= 0, 'electron-builder.yml has electronFuses');
  const out: Record<string, boolean> = {};
  for (const line of lines.slice(start + 1)) {
    const m = /^\s{2}(\w+):\s*(true|false)\s*(#.*)?$/.exec(line);
    if (!m) break;
    out[m[1]!] = m[2] === 'true';
  }
  return out;
}

describe('docs/security.md matches the code', () => {
  test('the webPreferences table is exactly mainWindowOptions() (all keys but the preload path)', () => {
    const documented = Object.fromEntries(tableAfter('Window').map(([k, v]) => [code(k!), JSON.parse(code(v!)!)]));
    const { preload: _preload, ...actual } = mainWindowOptions('/p.cjs').webPreferences!;
    assert.deepEqual(documented, actual);
  });

  test('the CSP block is exactly CONTENT_SECURITY_POLICY', () => {
    const block = /```csp\n([^`]*)\n```/.exec(DOC)?.[1];
    assert.equal(block, CONTENT_SECURITY_POLICY);
  });

  test('the fuses table is exactly electron-builder.yml electronFuses', () => {
    const documented = Object.fromEntries(tableAfter('Fuses').map(([k, v]) => [code(k!), code(v!) === 'true']));
    const fuses = builderFuses();
    assert.ok(Object.keys(fuses).length >= 6, JSON.stringify(fuses));
    assert.deepEqual(documented, fuses);
  });

  test('the host path table lists every declared host path param', () => {
    const documented = Object.fromEntries(tableAfter('Host paths').map(([m, p]) => [code(m!), [...p!.matchAll(/`([^`]+)`/g)].map((x) => x[1])]));
    const declared = Object.fromEntries(Object.entries(HOST_PATH_PARAMS).map(([m, list]) => [m, list.map((p) => p.param)]));
    assert.deepEqual(documented, declared);
  });

  test('what the doc says about crash reports holds', () => {
    assert.match(DOC, /uploadToServer: false/);
    assert.equal(crashReporterOptions().uploadToServer, false);
  });
});
