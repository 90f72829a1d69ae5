import fs from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { ErrorEnvelope } from '../../shared/errors.js';
import { WireFormatError, decodeMessage, encodeMessage, type ServerMessage } from '../../shared/wire.js';
import { dispatch } from '../services/dispatch.js';
import type { AppServices } from '../services/app-services.js';
import { CONTENT_SECURITY_POLICY } from '../security/csp.js';
import { isOwnHost, isOwnOrigin, newToken, requestHasToken, tokenCookieName } from './auth.js';
import { resolveStaticFile } from './static-files.js';
import { DEFAULT_UPLOAD_LIMITS, UPLOAD_PREFIX, receiveUpload, type UploadLimits } from './upload-endpoint.js';

export const DEFAULT_MAX_MESSAGE_BYTES = 512 * 1024 * 1024;

export interface BrowserHostOptions {
  services: AppServices;
  rendererDir: string;
  /** 0 picks a free port */
  port?: number;
  /** a request larger than this gets a too_large envelope; default 512 MiB */
  maxMessageBytes?: number;
  /** caps on dropped-file uploads (POST /upload/…) */
  uploadLimits?: Partial<UploadLimits>;
}

export interface BrowserHost {
  readonly port: number;
  readonly token: string;
  /** the URL to open, token included */
  readonly url: string;
  close(): Promise<void>;
}

const SECURITY_HEADERS = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/**
 * `delineate serve`: the same renderer and contract as the desktop app, over HTTP + WebSocket on
 * 127.0.0.1 only. Every HTTP request and the WebSocket handshake need the per-launch token (query or
 * the cookie set when the page is first opened with it); the WebSocket Origin must be our own.
 */
export async function startBrowserHost(options: BrowserHostOptions): Promise<BrowserHost> {
  const { services, rendererDir } = options;
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const token = newToken();
  let port = 0;

  const server = http.createServer((req, res) => {
    try {
      serveHttp(req, res);
    } catch {
      if (!res.headersSent) res.writeHead(500).end('internal error');
    }
  });

  function serveHttp(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    if (!isOwnHost(req.headers.host, port)) return plain(res, 403, 'Forbidden: unknown Host header');
    if (!requestHasToken(req, url, token, port)) return plain(res, 401, 'Unauthorized: open the URL Delineate printed (it carries the token)');
    // uploads of dropped files: the raw path, since URL parsing would resolve '..' before it is checked
    const rawPath = (req.url ?? '/').split('?')[0]!;
    if (rawPath.startsWith(UPLOAD_PREFIX)) return upload(req, res, rawPath);
    if (req.method !== 'GET' && req.method !== 'HEAD') return plain(res, 405, 'Method not allowed');
    const found = resolveStaticFile(rendererDir, url.pathname);
    if (!found) return plain(res, 404, 'Not found');
    const headers: Record<string, string> = {
      ...SECURITY_HEADERS,
      'Content-Type': found.contentType,
      'Cache-Control': found.file.endsWith('.html') ? 'no-store' : 'private, max-age=3600',
    };
    if (url.searchParams.has('token')) {
      headers['Set-Cookie'] = `${tokenCookieName(port)}=${token}; HttpOnly; SameSite=Strict; Path=/`;
    }
    res.writeHead(200, headers);
    if (req.method === 'HEAD') return void res.end();
    fs.createReadStream(found.file).on('error', () => res.destroy()).pipe(res);
  }

  function upload(req: IncomingMessage, res: ServerResponse, rawPath: string): void {
    if (req.method !== 'POST') return plain(res, 405, 'Method not allowed: upload with POST');
    if (!isOwnOrigin(req.headers.origin, port)) return json(res, 403, { error: { code: 'bad_request', message: 'Forbidden: uploads are accepted only from the Delineate page (Origin)' } });
    receiveUpload(req, rawPath, services.dataDir, { ...DEFAULT_UPLOAD_LIMITS, ...options.uploadLimits }).then(
      (outcome) => json(res, outcome.status, outcome.body),
      (err: unknown) => json(res, 500, { error: { code: 'internal', message: (err as Error).message } }),
    );
  }

  // ws closes a connection whose frame exceeds maxPayload; allow twice the message limit so that
  // messages just over the limit still get a proper too_large envelope.
  const wss = new WebSocketServer({ noServer: true, maxPayload: maxMessageBytes * 2 });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    if (url.pathname !== '/ws') return rejectUpgrade(socket, 404, 'Not Found');
    if (!isOwnHost(req.headers.host, port)) return rejectUpgrade(socket, 403, 'Forbidden');
    if (!requestHasToken(req, url, token, port)) return rejectUpgrade(socket, 401, 'Unauthorized');
    if (!isOwnOrigin(req.headers.origin, port)) return rejectUpgrade(socket, 403, 'Forbidden');
    wss.handleUpgrade(req, socket, head, (ws) => handleConnection(ws));
  });

  function handleConnection(ws: WebSocket): void {
    const send = (message: ServerMessage) => {
      if (ws.readyState === ws.OPEN) ws.send(encodeMessage(message), (err) => err && ws.terminate());
    };
    const sendError = (id: number | null, error: ErrorEnvelope) => send({ kind: 'response', id, ok: false, error });
    const unsubscribe = services.bus.subscribe((name, payload) => send({ kind: 'event', name, payload }));
    ws.on('close', unsubscribe);
    ws.on('error', () => ws.terminate());

    ws.on('message', (raw: RawData, isBinary: boolean) => {
      const bytes = rawToBuffer(raw);
      if (bytes.byteLength > maxMessageBytes) {
        return sendError(null, { code: 'too_large', message: `Message of ${bytes.byteLength} bytes exceeds the ${maxMessageBytes}-byte limit`, details: { limit: maxMessageBytes } });
      }
      let message: unknown;
      try {
        message = decodeMessage(isBinary ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : bytes.toString('utf8'));
      } catch (err) {
        const reason = err instanceof WireFormatError ? err.message : 'undecodable message';
        return sendError(null, { code: 'bad_request', message: `Malformed message: ${reason}` });
      }
      const request = asRequest(message);
      if (typeof request === 'string') return sendError(requestId(message), { code: 'bad_request', message: `Malformed request: ${request}` });
      void dispatch(services.handlers, request.method, request.params, { host: 'browser' }).then((outcome) =>
        send(outcome.ok ? { kind: 'response', id: request.id, ok: true, result: outcome.result } : { kind: 'response', id: request.id, ok: false, error: outcome.error }),
      );
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;

  return {
    port,
    token,
    url: `http://127.0.0.1:${port}/?token=${token}`,
    async close() {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  // a refused upload's body may still be arriving: close rather than read it
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...(status >= 400 ? { Connection: 'close' } : {}) }).end(JSON.stringify(body));
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' }).end(text);
}

function rejectUpgrade(socket: Duplex, status: number, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

function rawToBuffer(raw: RawData): Buffer {
  if (Buffer.isBuffer(raw)) return raw;
  if (Array.isArray(raw)) return Buffer.concat(raw);
  return Buffer.from(raw);
}

function asRequest(message: unknown): { id: number; method: string; params: unknown } | string {
  if (typeof message !== 'object' || message === null || Array.isArray(message)) return 'not an object';
  const m = message as Record<string, unknown>;
  if (m.kind !== 'request') return 'kind must be "request"';
  if (!Number.isSafeInteger(m.id)) return 'id must be an integer';
  if (typeof m.method !== 'string') return 'method must be a string';
  return { id: m.id as number, method: m.method, params: m.params };
}

function requestId(message: unknown): number | null {
  const id = (message as { id?: unknown } | null)?.id;
  return Number.isSafeInteger(id) ? (id as number) : null;
}
