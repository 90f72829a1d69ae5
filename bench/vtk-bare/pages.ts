/**
 * Build a stand-alone HTML page with Vite's JS API and serve it from 127.0.0.1 with the app's real
 * Content-Security-Policy, so whatever runs in it is proven to run under that policy. Used by the 3D
 * view's e2e test (its harness page) and by the 3D rotate benchmark (harness + bare vtk.js page).
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { build } from 'vite';
import { CONTENT_SECURITY_POLICY } from '../../src/main/security/csp.js';

/** Build `root/html` (and what it imports) into a fresh temporary directory; returns that directory. */
export async function buildPage(root: string, html: string): Promise<string> {
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'delineate-page-'));
  await build({
    root,
    base: './',
    configFile: false,
    envDir: false,
    publicDir: false,
    logLevel: 'warn',
    build: {
      outDir,
      emptyOutDir: true,
      target: 'es2022',
      sourcemap: false,
      chunkSizeWarningLimit: 8192,
      rolldownOptions: { input: path.join(root, html) },
    },
  });
  return outDir;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

export interface StaticServer {
  origin: string;
  close(): Promise<void>;
}

/** Serve `dir` read-only on an ephemeral port, every response carrying the app's CSP header. */
export async function serveStatic(dir: string): Promise<StaticServer> {
  const rootDir = path.resolve(dir);
  const server = http.createServer((req, res) => {
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    const file = path.resolve(rootDir, `.${pathname}`);
    const inside = file === rootDir || file.startsWith(rootDir + path.sep);
    if (req.method !== 'GET' || !inside || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404, { 'Content-Security-Policy': CONTENT_SECURITY_POLICY }).end();
      return;
    }
    res.writeHead(200, {
      'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream',
      'Content-Security-Policy': CONTENT_SECURITY_POLICY,
      'Cache-Control': 'no-store',
    });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
