/**
 * One Content-Security-Policy for both hosts: only our own bundled code runs, nothing is fetched from
 * elsewhere. 'wasm-unsafe-eval' lets the WASM image codecs compile; inline styles are needed by
 * Svelte style bindings and carry no script.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
