// Runs the compiled test suites with Node's test runner: node scripts/run-tests.mjs [unit|main|e2e ...]
// Tests are TypeScript under tests/, compiled to dist/tests by `npm run build:node`.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const SUITES = ['unit', 'main', 'e2e'];
const wanted = process.argv.slice(2).length ? process.argv.slice(2) : SUITES;
const unknown = wanted.filter((s) => !SUITES.includes(s));
if (unknown.length) {
  console.error(`unknown suite(s): ${unknown.join(', ')} (have: ${SUITES.join(', ')})`);
  process.exit(2);
}

function testFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return testFiles(full);
    return name.endsWith('.test.js') ? [full] : [];
  });
}

const files = wanted.flatMap((suite) => testFiles(path.join('dist', 'tests', suite))).sort();
if (files.length === 0) {
  console.error('no compiled tests found: run `npm run build:node` first');
  process.exit(1);
}
// e2e files start servers and browsers: run files one at a time so two never compete for 2 cores.
const result = spawnSync(process.execPath, ['--enable-source-maps', '--test', '--test-concurrency=1', ...files], {
  stdio: 'inherit',
  env: { ...process.env, NODE_ENV: 'test' },
});
process.exit(result.status ?? 1);
