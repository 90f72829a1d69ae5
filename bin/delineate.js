#!/usr/bin/env node
// Entry point of the `delineate` command. The TypeScript sources are compiled to dist/ by `npm run build`.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/src/main/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('delineate: not built yet: run `npm run build` (or `npm run setup`) first\n');
  process.exit(1);
}
const { main } = await import(entry.href);
await main();
