/**
 * The layering rule of DEVELOPERS.md, enforced on import statements:
 * - src/shared: pure TypeScript; imports only src/shared and pure packages (no Node, DOM, Electron).
 * - src/renderer: no Node built-ins, no Electron, no Node-only packages; reaches services only via src/shared.
 * - src/preload: Electron's contextBridge/ipcRenderer plus src/shared; nothing from main or renderer.
 * - src/main: Node services; only src/main/electron may import electron; never the renderer or preload.
 * (Globals are covered separately: tsconfig.shared.json type-checks src/shared with no Node or DOM types.)
 */
import { builtinModules } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

export type Layer = 'shared' | 'renderer' | 'preload' | 'main' | 'electron';

export interface Violation {
  file: string;
  line: number;
  specifier: string;
  rule: string;
}

/** Packages src/shared may use: pure TypeScript/JavaScript, no platform APIs. */
const SHARED_PACKAGES = new Set(['zod']);
/** Packages that only work in Node; the renderer and preload must not touch them. */
const NODE_ONLY_PACKAGES = new Set(['better-sqlite3', 'onnxruntime-node', 'ws', 'electron-builder']);
/** Build configuration that runs in Node even though it sits in a browser layer. */
const BUILD_CONFIG = /(^|\/)(vite|svelte)\.config\.[cm]?[jt]s$/;

const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

export function layerOf(relPath: string): Layer | null {
  if (relPath.startsWith('src/shared/')) return 'shared';
  if (relPath.startsWith('src/renderer/')) return 'renderer';
  if (relPath.startsWith('src/preload/')) return 'preload';
  if (relPath.startsWith('src/main/electron/')) return 'electron';
  if (relPath.startsWith('src/main/')) return 'main';
  return null;
}

const IMPORT_PATTERNS = [
  /\bimport\s+(?:type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?['"]([^'"]+)['"]/g,
  /\bexport\s+(?:type\s+)?(?:\*|\{[^}]*\})(?:\s+as\s+\w+)?\s+from\s+['"]([^'"]+)['"]/g,
  /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
];

export function importsOf(source: string): { specifier: string; line: number }[] {
  const found: { specifier: string; line: number; index: number }[] = [];
  for (const pattern of IMPORT_PATTERNS) {
    for (const match of source.matchAll(pattern)) {
      const index = match.index ?? 0;
      found.push({ specifier: match[1]!, index, line: source.slice(0, index).split('\n').length });
    }
  }
  return found.sort((a, b) => a.index - b.index).map(({ specifier, line }) => ({ specifier, line }));
}

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** The rule broken by one import, or null when it is allowed. */
export function checkImport(relFile: string, specifier: string): string | null {
  const layer = layerOf(relFile);
  if (!layer || BUILD_CONFIG.test(relFile)) return null;

  if (specifier.startsWith('.')) {
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(relFile), specifier));
    const targetLayer = layerOf(target);
    const allowed: Record<Layer, Layer[]> = {
      shared: ['shared'],
      renderer: ['renderer', 'shared'],
      preload: ['preload', 'shared'],
      main: ['main', 'shared'],
      electron: ['electron', 'main', 'shared'],
    };
    if (targetLayer === null) return `${layer} imports ${target}, outside src/`;
    if (!allowed[layer].includes(targetLayer)) return `${layer} must not import from ${targetLayer} (only through src/shared)`;
    return null;
  }

  const pkg = packageName(specifier);
  const isBuiltin = NODE_BUILTINS.has(specifier) || NODE_BUILTINS.has(pkg);
  if (pkg === 'electron') {
    return layer === 'electron' || layer === 'preload' ? null : `only src/main/electron and src/preload may import electron`;
  }
  switch (layer) {
    case 'shared':
      if (isBuiltin) return 'src/shared must not import Node built-ins';
      return SHARED_PACKAGES.has(pkg) ? null : `src/shared may import only pure packages (${[...SHARED_PACKAGES].join(', ')}), not ${pkg}`;
    case 'renderer':
    case 'preload':
      if (isBuiltin) return `src/${layer} must not import Node built-ins`;
      return NODE_ONLY_PACKAGES.has(pkg) ? `src/${layer} must not import the Node-only package ${pkg}` : null;
    default:
      return null;
  }
}

const SOURCE_FILE = /\.(ts|mts|cts|js|mjs|cjs|svelte)$/;

function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : listFiles(full);
    return SOURCE_FILE.test(entry.name) ? [full] : [];
  });
}

/** Check every source file under root/src; returns all violations (empty when clean). */
export function checkLayering(root: string): Violation[] {
  const violations: Violation[] = [];
  for (const file of listFiles(path.join(root, 'src'))) {
    const rel = path.relative(root, file).split(path.sep).join('/');
    for (const { specifier, line } of importsOf(fs.readFileSync(file, 'utf8'))) {
      const rule = checkImport(rel, specifier);
      if (rule) violations.push({ file: rel, line, specifier, rule });
    }
  }
  return violations;
}
