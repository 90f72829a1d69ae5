import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { WebSocket, type ClientOptions, type RawData } from 'ws';
import { startBrowserHost, type BrowserHost } from '../../src/main/host/browser-host.js';
import { createServices, type AppServices } from '../../src/main/services/app-services.js';
import { dispatch } from '../../src/main/services/dispatch.js';
import { CONTENT_SECURITY_POLICY } from '../../src/main/security/csp.js';
import { AppInfoSchema } from '../../src/shared/contract.js';
import type { ErrorEnvelope } from '../../src/shared/errors.js';
import type { JobInfo, JobTypeInfo } from '../../src/shared/jobs.js';
import { decodeMessage, encodeMessage, type ClientMessage } from '../../src/shared/wire.js';

const MAX_MESSAGE_BYTES = 64 * 1024;
const INDEX_HTML = '<!doctype html><html><head><title>Delineate test page</title></head><body>test renderer</body></html>\n';
const SECRET = 'TOP-SECRET-FILE-CONTENT-5f1c';
const T = { timeout: 20_000 };

let tmp: string;
let services: AppServices;
let host: BrowserHost;

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'delineate-host-test-'));
  const rendererDir = path.join(tmp, 'renderer');
  fs.mkdirSync(path.join(rendererDir, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(rendererDir, 'index.html'), INDEX_HTML);
  fs.writeFileSync(path.join(rendererDir, 'assets', 'app.js'), 'console.log("app");\n');
  // files just outside the served folder that a traversal would reach
  fs.writeFileSync(path.join(tmp, 'secret.txt'), SECRET);
  fs.writeFileSync(path.join(tmp, 'package.json'), JSON.stringify({ secret: SECRET }));
  services = createServices({ dataDir: path.join(tmp, 'data'), host: 'browser', testJobs: true });
  host = await startBrowserHost({ services, rendererDir, maxMessageBytes: MAX_MESSAGE_BYTES });
});

after(async () => {
  await host?.close();
  await services?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

// ---------------------------------------------------------------- HTTP helpers

interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A raw HTTP request: the path is sent exactly as given (no URL normalisation), headers as given. */
function rawRequest(requestPath: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: host.port, path: requestPath, method: options.method ?? 'GET', headers: options.headers ?? {}, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const cookieName = () => `delineate_token_${host.port}`;
const authCookie = () => ({ cookie: `${cookieName()}=${host.token}` });
const base = () => `http://127.0.0.1:${host.port}`;

// ---------------------------------------------------------------- WebSocket helpers

const wsUrl = (token: string | null = host.token, pathname = '/ws') => `ws://127.0.0.1:${host.port}${pathname}${token === null ? '' : `?token=${encodeURIComponent(token)}`}`;
const ownOrigin = () => `http://127.0.0.1:${host.port}`;

/** Try a handshake; resolves with the HTTP status the server answered (101 when it connected). */
function handshakeStatus(url: string, options: ClientOptions = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    let status: number | null = null;
    ws.on('unexpected-response', (_req, res) => {
      status = res.statusCode ?? 0;
      res.resume();
      ws.terminate();
    });
    ws.on('open', () => {
      status = 101;
      ws.close();
    });
    ws.on('error', () => {
      // terminate() during the handshake reports an error; the status is what we want
    });
    ws.on('close', () => (status === null ? reject(new Error('closed without a handshake answer')) : resolve(status)));
  });
}

interface Incoming {
  message: Record<string, unknown>;
  isBinary: boolean;
}

type Response = { kind: 'response'; id: number | null; ok: boolean; result?: unknown; error?: ErrorEnvelope };

/** A test client over a real ws WebSocket: records everything the server sends. */
class TestClient {
  readonly received: Incoming[] = [];
  private readonly waiters = new Set<{ match: (m: Incoming) => boolean; resolve: (m: Incoming) => void }>();
  private nextId = 1;
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: RawData, isBinary: boolean) => {
      const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      const decoded = decodeMessage(isBinary ? new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength) : buf.toString('utf8')) as Record<string, unknown>;
      const incoming = { message: decoded, isBinary };
      this.received.push(incoming);
      for (const w of this.waiters) {
        if (w.match(incoming)) {
          this.waiters.delete(w);
          w.resolve(incoming);
        }
      }
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on('error', () => {
      // a close by the server (e.g. 1009) also reports an error on the client; 'close' carries the code
    });
  }

  static connect(options: ClientOptions = {}): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(wsUrl(), { origin: ownOrigin(), ...options });
      const client = new TestClient(ws);
      ws.once('open', () => resolve(client));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`handshake refused: ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  /** The first message (already received or future) that matches. */
  waitFor(match: (m: Incoming) => boolean, timeoutMs = 10_000): Promise<Incoming> {
    const found = this.received.find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        resolve: (m: Incoming) => {
          clearTimeout(timer);
          resolve(m);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error('timed out waiting for a message'));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** Send a raw frame and wait for the next response (responses that are not for an id carry null). */
  async sendRaw(data: string | Uint8Array, expectId: number | null = null): Promise<Response & { isBinary: boolean }> {
    const seen = this.received.length;
    this.ws.send(data, { binary: typeof data !== 'string' });
    const reply = await this.waitFor((m) => this.received.indexOf(m) >= seen && m.message.kind === 'response' && m.message.id === expectId);
    return { ...(reply.message as unknown as Response), isBinary: reply.isBinary };
  }

  async call(method: string, params: unknown): Promise<Response & { isBinary: boolean }> {
    const id = this.nextId++;
    const request: ClientMessage = { kind: 'request', id, method, params };
    return this.sendRaw(encodeMessage(request), id);
  }

  events(name: string): unknown[] {
    return this.received.filter((m) => m.message.kind === 'event' && m.message.name === name).map((m) => m.message.payload);
  }

  close(): Promise<unknown> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    this.ws.close();
    return this.closed;
  }
}

async function withClient<R>(fn: (client: TestClient) => Promise<R>): Promise<R> {
  const client = await TestClient.connect();
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

// ---------------------------------------------------------------- HTTP

describe('browser host: HTTP', () => {
  test('GET / without a token is 401 and serves no page', T, async () => {
    const res = await fetch(`${base()}/`);
    assert.equal(res.status, 401);
    const body = await res.text();
    assert.ok(!body.includes('test renderer'));
    assert.equal(res.headers.get('set-cookie'), null);
  });

  test('GET / with a wrong token is 401', T, async () => {
    assert.equal((await fetch(`${base()}/?token=wrong-token`)).status, 401);
    assert.equal((await fetch(`${base()}/?token=${host.token}x`)).status, 401);
    assert.equal((await fetch(`${base()}/?token=`)).status, 401);
  });

  test('the URL the host prints carries the token and works', T, async () => {
    assert.equal(host.url, `http://127.0.0.1:${host.port}/?token=${host.token}`);
    assert.ok(host.token.length >= 32);
    const res = await fetch(host.url);
    assert.equal(res.status, 200);
  });

  test('GET /?token= serves index.html with the CSP and security headers and sets the per-port cookie', T, async () => {
    const res = await fetch(`${base()}/?token=${host.token}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(await res.text(), INDEX_HTML);
    assert.equal(res.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY);
    assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(res.headers.get('x-frame-options'), 'DENY');
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const cookie = res.headers.get('set-cookie') ?? '';
    assert.ok(cookie.startsWith(`${cookieName()}=${host.token};`), cookie);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    assert.match(cookie, /Path=\//);
  });

  test('the cookie alone then authorises GET / and other files, without setting it again', T, async () => {
    const setCookie = (await fetch(`${base()}/?token=${host.token}`)).headers.get('set-cookie') ?? '';
    const pair = setCookie.split(';')[0]!;
    const res = await fetch(`${base()}/`, { headers: { cookie: pair } });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), INDEX_HTML);
    assert.equal(res.headers.get('set-cookie'), null);

    const js = await fetch(`${base()}/assets/app.js`, { headers: { cookie: `other=1; ${pair}` } });
    assert.equal(js.status, 200);
    assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal(await js.text(), 'console.log("app");\n');
  });

  test('a wrong cookie, or the right token under another port\'s cookie name, is 401', T, async () => {
    assert.equal((await fetch(`${base()}/`, { headers: { cookie: `${cookieName()}=nope` } })).status, 401);
    assert.equal((await fetch(`${base()}/`, { headers: { cookie: `delineate_token_${host.port + 1}=${host.token}` } })).status, 401);
  });

  test('a missing file is 404', T, async () => {
    assert.equal((await fetch(`${base()}/nope.js`, { headers: authCookie() })).status, 404);
    assert.equal((await fetch(`${base()}/assets`, { headers: authCookie() })).status, 404, 'a directory is not served');
  });

  for (const traversal of [
    '/../secret.txt',
    '/../package.json',
    '/%2e%2e/secret.txt',
    '/%2e%2e/package.json',
    '/..%2fsecret.txt',
    '/%2e%2e%2fsecret.txt',
    '/assets/..%2f..%2fsecret.txt',
    '/..%5csecret.txt',
    `/${encodeURIComponent(path.join(os.tmpdir(), 'x'))}`,
    '/%2fetc%2fpasswd',
    '/index.html%00.js',
    '/%E0%A4%A',
  ]) {
    test(`path traversal ${traversal} is refused (404/401), never file content`, T, async () => {
      for (const headers of [authCookie(), {}]) {
        const res = await rawRequest(traversal, { headers: { host: `127.0.0.1:${host.port}`, ...headers } });
        assert.ok(res.status === 404 || res.status === 401, `status ${res.status} for ${traversal}`);
        assert.ok(!res.body.includes(SECRET), 'secret content leaked');
        assert.ok(!res.body.includes('root:'), '/etc/passwd leaked');
      }
    });
  }

  test('POST and other methods are 405', T, async () => {
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const res = await fetch(`${base()}/`, { method, headers: authCookie() });
      assert.equal(res.status, 405, method);
    }
  });

  test('HEAD gives the headers without a body', T, async () => {
    const res = await rawRequest('/', { method: 'HEAD', headers: { host: `127.0.0.1:${host.port}`, ...authCookie() } });
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(res.body, '');
  });

  test('a foreign Host header is 403 even with the token (DNS rebinding)', T, async () => {
    for (const hostHeader of ['evil.example', `evil.example:${host.port}`, `127.0.0.1:${host.port + 1}`]) {
      const res = await rawRequest(`/?token=${host.token}`, { headers: { host: hostHeader } });
      assert.equal(res.status, 403, hostHeader);
      assert.ok(!res.body.includes('test renderer'));
      assert.equal(res.headers['set-cookie'], undefined);
    }
  });

  test('localhost:PORT is an accepted Host', T, async () => {
    const res = await rawRequest(`/?token=${host.token}`, { headers: { host: `localhost:${host.port}` } });
    assert.equal(res.status, 200);
  });
});

// ---------------------------------------------------------------- WebSocket handshake

describe('browser host: WebSocket handshake', () => {
  test('no token: 401', T, async () => {
    assert.equal(await handshakeStatus(wsUrl(null), { origin: ownOrigin() }), 401);
  });

  test('wrong token: 401', T, async () => {
    assert.equal(await handshakeStatus(wsUrl('not-the-token'), { origin: ownOrigin() }), 401);
  });

  test('foreign Origin: 403', T, async () => {
    assert.equal(await handshakeStatus(wsUrl(), { origin: 'http://evil.example' }), 403);
    assert.equal(await handshakeStatus(wsUrl(), { origin: `http://127.0.0.1:${host.port + 1}` }), 403);
    assert.equal(await handshakeStatus(wsUrl(), { origin: `https://127.0.0.1:${host.port}` }), 403);
  });

  test('missing Origin: 403', T, async () => {
    assert.equal(await handshakeStatus(wsUrl()), 403);
  });

  test('foreign Host header: 403', T, async () => {
    assert.equal(await handshakeStatus(wsUrl(), { origin: ownOrigin(), headers: { host: 'evil.example' } }), 403);
  });

  test('a path other than /ws: 404', T, async () => {
    assert.equal(await handshakeStatus(wsUrl(host.token, '/socket'), { origin: ownOrigin() }), 404);
  });

  test('correct token and Origin connect', T, async () => {
    assert.equal(await handshakeStatus(wsUrl(), { origin: ownOrigin() }), 101);
    assert.equal(await handshakeStatus(wsUrl(), { origin: `http://localhost:${host.port}` }), 101);
  });

  test('the token cookie also authorises the handshake', T, async () => {
    assert.equal(await handshakeStatus(wsUrl(null), { origin: ownOrigin(), headers: authCookie() }), 101);
  });
});

// ---------------------------------------------------------------- messages over a good socket

describe('browser host: messages', () => {
  test('app.info round trip', T, async () => {
    await withClient(async (client) => {
      const reply = await client.call('app.info', {});
      assert.equal(reply.ok, true, JSON.stringify(reply.error));
      assert.equal(reply.isBinary, false);
      const info = AppInfoSchema.parse(reply.result);
      assert.equal(info.name, 'Delineate');
      assert.equal(info.host, 'browser');
      assert.equal(info.dataDir, path.join(tmp, 'data'));
      assert.match(info.sqliteVersion, /^3\./);
      // this machine has no GPU: inference runs on the CPU
      assert.equal(info.compute.active, 'cpu');
      assert.equal(info.compute.cuda.available, false);
    });
  });

  test('diagnostics.echo of a 16 KiB Float32Array travels as binary frames both ways', T, async () => {
    await withClient(async (client) => {
      const data = new Float32Array(4096);
      for (let i = 0; i < data.length; i++) data[i] = Math.sin(i) * 1000 + i / 7;
      const frame = encodeMessage({ kind: 'request', id: 77, method: 'diagnostics.echo', params: { text: 'volume slice', data } });
      assert.ok(frame instanceof Uint8Array);
      assert.ok(frame.byteLength > 16 * 1024 && frame.byteLength < MAX_MESSAGE_BYTES);
      const reply = await client.sendRaw(frame, 77);
      assert.equal(reply.ok, true, JSON.stringify(reply.error));
      assert.equal(reply.isBinary, true, 'binary reply frame');
      const result = reply.result as { text: string; data: Float32Array; receivedBytes: number };
      assert.equal(result.text, 'volume slice');
      assert.equal(result.receivedBytes, 16 * 1024);
      assert.ok(result.data instanceof Float32Array);
      assert.deepEqual(result.data, data);
    });
  });

  test('diagnostics.echo without data answers with a text frame', T, async () => {
    await withClient(async (client) => {
      const reply = await client.call('diagnostics.echo', { text: 'hi' });
      assert.equal(reply.isBinary, false);
      assert.deepEqual(reply.result, { text: 'hi', receivedBytes: 0 });
    });
  });

  test('malformed text frame gives bad_request with id null', T, async () => {
    await withClient(async (client) => {
      const reply = await client.sendRaw('not json{');
      assert.equal(reply.ok, false);
      assert.equal(reply.id, null);
      assert.equal(reply.error?.code, 'bad_request');
    });
  });

  test('malformed binary frame gives bad_request', T, async () => {
    await withClient(async (client) => {
      const reply = await client.sendRaw(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]));
      assert.equal(reply.id, null);
      assert.equal(reply.error?.code, 'bad_request');
      assert.match(reply.error?.message ?? '', /DLN1/);
    });
  });

  test('valid JSON that is not a request gives bad_request (with its id when it has one)', T, async () => {
    await withClient(async (client) => {
      const notRequest = await client.sendRaw(JSON.stringify({ kind: 'x' }));
      assert.equal(notRequest.error?.code, 'bad_request');
      assert.equal(notRequest.id, null);

      const withId = await client.sendRaw(JSON.stringify({ kind: 'x', id: 41, method: 'app.info' }), 41);
      assert.equal(withId.error?.code, 'bad_request');

      for (const bad of [[1, 2], 'a string', null, { kind: 'request', id: 'one', method: 'app.info' }, { kind: 'request', id: 1.5, method: 'app.info' }]) {
        const reply = await client.sendRaw(JSON.stringify(bad));
        assert.equal(reply.error?.code, 'bad_request', JSON.stringify(bad));
      }
      const noMethod = await client.sendRaw(JSON.stringify({ kind: 'request', id: 43 }), 43);
      assert.equal(noMethod.error?.code, 'bad_request');
    });
  });

  test('unknown method gives unknown_method with the request id', T, async () => {
    await withClient(async (client) => {
      const reply = await client.sendRaw(JSON.stringify({ kind: 'request', id: 1234, method: 'no.such.thing', params: {} }), 1234);
      assert.equal(reply.ok, false);
      assert.equal(reply.id, 1234);
      assert.equal(reply.error?.code, 'unknown_method');
    });
  });

  test('invalid params give invalid_params with issues', T, async () => {
    await withClient(async (client) => {
      const reply = await client.call('diagnostics.echo', { text: 5 });
      assert.equal(reply.ok, false);
      assert.equal(reply.error?.code, 'invalid_params');
      const issues = reply.error?.details?.issues as { path: string[] }[];
      assert.deepEqual(issues.map((i) => i.path), [['text']]);
    });
  });

  test('a 100 KiB message (over the 64 KiB limit) gets too_large and the socket stays usable', T, async () => {
    await withClient(async (client) => {
      const big = JSON.stringify({ kind: 'request', id: 5, method: 'diagnostics.echo', params: { text: 'x'.repeat(100 * 1024) } });
      assert.ok(big.length > MAX_MESSAGE_BYTES && big.length < 2 * MAX_MESSAGE_BYTES);
      const reply = await client.sendRaw(big);
      assert.equal(reply.ok, false);
      assert.equal(reply.id, null);
      assert.equal(reply.error?.code, 'too_large');
      assert.deepEqual(reply.error?.details, { limit: MAX_MESSAGE_BYTES });

      const binaryBig = encodeMessage({ kind: 'request', id: 6, method: 'diagnostics.echo', params: { text: 'b', data: new Uint8Array(100 * 1024) } });
      const binaryReply = await client.sendRaw(binaryBig);
      assert.equal(binaryReply.error?.code, 'too_large');

      const after = await client.call('app.info', {});
      assert.equal(after.ok, true);
    });
  });

  test('a 200 KiB message (over twice the limit) makes the server close the socket with 1009', T, async () => {
    const client = await TestClient.connect();
    client.ws.send('y'.repeat(200 * 1024));
    const { code } = await client.closed;
    assert.equal(code, 1009);
    assert.equal(client.received.length, 0, 'no reply is sent for it');
  });

  test('a closed socket stops receiving bus events (its subscription is dropped)', T, async () => {
    // EventBus has no public listener count: peek at its private set to catch a per-connection leak
    const listeners = (services.bus as unknown as { listeners: Set<unknown> }).listeners;
    assert.ok(listeners instanceof Set);
    const before = listeners.size;
    const client = await TestClient.connect();
    assert.equal(listeners.size, before + 1);
    await client.close();
    const deadline = Date.now() + 5000;
    while (listeners.size !== before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(listeners.size, before);
  });

  test('after all of that, the host still answers app.info on a new connection', T, async () => {
    await withClient(async (client) => {
      const reply = await client.call('app.info', {});
      assert.equal(reply.ok, true);
      assert.equal((reply.result as { name: string }).name, 'Delineate');
    });
    const res = await fetch(`${base()}/`, { headers: authCookie() });
    assert.equal(res.status, 200);
  });
});

// ---------------------------------------------------------------- jobs over the socket

describe('browser host: jobs', () => {
  test('jobs.types lists test.countdown with its default params', T, async () => {
    await withClient(async (client) => {
      const reply = await client.call('jobs.types', {});
      assert.equal(reply.ok, true);
      const types = reply.result as JobTypeInfo[];
      const countdown = types.find((t) => t.type === 'test.countdown');
      assert.ok(countdown, JSON.stringify(types));
      assert.deepEqual(countdown.defaultParams, { steps: 600, stepMs: 50 });
    });
  });

  test('jobs.start streams job.progress events; jobs.cancel ends it with one job.done cancelled, seen by every client', T, async () => {
    const watcher = await TestClient.connect();
    try {
      await withClient(async (client) => {
        const start = await client.call('jobs.start', { type: 'test.countdown', params: { steps: 50, stepMs: 20 } });
        assert.equal(start.ok, true, JSON.stringify(start.error));
        const job = start.result as JobInfo;
        assert.equal(job.type, 'test.countdown');
        assert.ok(job.state === 'queued' || job.state === 'running', job.state);

        const isProgress = (m: Incoming, minStep: number) => {
          if (m.message.kind !== 'event' || m.message.name !== 'job.progress') return false;
          const info = m.message.payload as JobInfo;
          const step = /^step (\d+) of 50$/.exec(info.message);
          return info.id === job.id && info.state === 'running' && info.stage === 'counting' && step !== null && Number(step[1]) >= minStep;
        };
        await client.waitFor((m) => isProgress(m, 2));
        const counted = (client.events('job.progress') as JobInfo[]).filter((j) => j.id === job.id && j.stage === 'counting');
        assert.ok(counted.length >= 1);
        assert.ok(counted.every((j) => j.fraction !== null && j.fraction >= 0 && j.fraction < 1));

        const cancel = await client.call('jobs.cancel', { jobId: job.id });
        assert.equal(cancel.ok, true);
        assert.equal((cancel.result as JobInfo).id, job.id);

        const doneMessage = await client.waitFor((m) => m.message.kind === 'event' && m.message.name === 'job.done' && (m.message.payload as JobInfo).id === job.id);
        const done = doneMessage.message.payload as JobInfo;
        assert.equal(done.state, 'cancelled');
        assert.ok(done.fraction !== null && done.fraction < 1, 'cancelled before the end');

        await watcher.waitFor((m) => m.message.kind === 'event' && m.message.name === 'job.done' && (m.message.payload as JobInfo).id === job.id);
        await new Promise((r) => setTimeout(r, 300));
        for (const c of [client, watcher]) {
          const dones = (c.events('job.done') as JobInfo[]).filter((j) => j.id === job.id);
          assert.equal(dones.length, 1);
        }

        const list = await client.call('jobs.list', {});
        const listed = (list.result as JobInfo[]).find((j) => j.id === job.id);
        assert.equal(listed?.state, 'cancelled');
      });
    } finally {
      await watcher.close();
    }
  });

  test('a countdown job that runs to the end succeeds with its result', T, async () => {
    await withClient(async (client) => {
      const start = await client.call('jobs.start', { type: 'test.countdown', params: { steps: 3, stepMs: 1 } });
      const id = (start.result as JobInfo).id;
      const done = await client.waitFor((m) => m.message.name === 'job.done' && (m.message.payload as JobInfo).id === id);
      const info = done.message.payload as JobInfo;
      assert.equal(info.state, 'succeeded');
      assert.deepEqual(info.result, { steps: 3 });
      assert.equal(info.fraction, 1);
    });
  });

  test('a countdown job told to fail ends failed with an internal error', T, async () => {
    await withClient(async (client) => {
      const start = await client.call('jobs.start', { type: 'test.countdown', params: { steps: 5, stepMs: 1, failAt: 2 } });
      const id = (start.result as JobInfo).id;
      const done = await client.waitFor((m) => m.message.name === 'job.done' && (m.message.payload as JobInfo).id === id);
      const info = done.message.payload as JobInfo;
      assert.equal(info.state, 'failed');
      assert.deepEqual(info.error, { code: 'internal', message: 'countdown failed on purpose at step 2' });
    });
  });

  test('job params are validated (invalid_params) and unknown job types are not_found', T, async () => {
    await withClient(async (client) => {
      const bad = await client.call('jobs.start', { type: 'test.countdown', params: { steps: 0, stepMs: 1 } });
      assert.equal(bad.error?.code, 'invalid_params');
      const unknown = await client.call('jobs.start', { type: 'no.such.job', params: {} });
      assert.equal(unknown.error?.code, 'not_found');
      const cancelUnknown = await client.call('jobs.cancel', { jobId: 'no-such-id' });
      assert.equal(cancelUnknown.error?.code, 'not_found');
    });
  });
});

describe('services without testJobs', () => {
  test('do not list or start test.countdown', T, async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'delineate-notest-'));
    const plain = createServices({ dataDir: dir, host: 'test' });
    t.after(async () => {
      await plain.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });
    const types = await dispatch(plain.handlers, 'jobs.types', {}, { host: 'test' });
    assert.deepEqual(types, { ok: true, result: [] });
    const start = await dispatch(plain.handlers, 'jobs.start', { type: 'test.countdown', params: { steps: 1, stepMs: 0 } }, { host: 'test' });
    assert.equal(start.ok, false);
    assert.equal(!start.ok && start.error.code, 'not_found');
    assert.deepEqual(plain.jobs.list(), []);
  });
});
