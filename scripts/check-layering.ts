// `npm run lint`: fails (exit 1) listing every import that breaks the layering rule.
import process from 'node:process';
import { checkLayering } from './layering.js';

const violations = checkLayering(process.cwd());
for (const v of violations) console.error(`${v.file}:${v.line}: import '${v.specifier}': ${v.rule}`);
if (violations.length > 0) {
  console.error(`layering: ${violations.length} violation(s)`);
  process.exit(1);
}
console.log('layering: ok');
