/**
 * The app:// protocol: the desktop app's only source of documents, scripts and assets. It serves
 * regular files under dist/renderer and nothing else (other hosts, ../, encoded slashes, folders and
 * non-GET methods answer 404/405), always with our Content-Security-Policy. Pure Node, tested directly.
 */
import { CONTENT_SECURITY_POLICY } from '../security/csp.js';
import { resolveStaticFile } from '../host/static-files.js';
import { APP_ORIGIN } from './window-options.js';

export type AppProtocolAnswer =
  | { status: 200; file: string; headers: Record<string, string> }
  | { status: 404 | 405; text: string; headers: Record<string, string> };

const BASE_HEADERS = { 'Content-Security-Policy': CONTENT_SECURITY_POLICY, 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-store' };

export function appProtocolAnswer(rendererRoot: string, requestUrl: string, method = 'GET'): AppProtocolAnswer {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return { status: 404, text: 'Not found', headers: { ...BASE_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' } };
  }
  if (`${url.protocol}//${url.host}` !== APP_ORIGIN) return { status: 404, text: 'Not found', headers: { ...BASE_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' } };
  if (method !== 'GET' && method !== 'HEAD') return { status: 405, text: 'Method not allowed', headers: { ...BASE_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' } };
  const found = resolveStaticFile(rendererRoot, url.pathname);
  if (!found) return { status: 404, text: 'Not found', headers: { ...BASE_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' } };
  return { status: 200, file: found.file, headers: { ...BASE_HEADERS, 'Content-Type': found.contentType } };
}
