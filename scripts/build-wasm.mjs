// Assemble the WebAssembly text kernels under src/ into dist/src/ (same relative path, .wasm).
import fs from 'node:fs';
import path from 'node:path';
import initWabt from 'wabt';

const wabt = await initWabt();
const sources = fs.readdirSync('src', { recursive: true }).filter((f) => f.endsWith('.wat'));
for (const rel of sources) {
  const file = path.join('src', rel);
  const module = wabt.parseWat(file, fs.readFileSync(file, 'utf8'), { simd: true });
  module.validate();
  const { buffer } = module.toBinary({});
  module.destroy();
  const out = path.join('dist', 'src', rel.replace(/\.wat$/, '.wasm'));
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, buffer);
}
console.log(`build-wasm: ${sources.length} module(s)`);
