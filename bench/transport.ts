/**
 * Contract transport cost: a request through the browser host (WebSocket, codec, param validation,
 * dispatch) against a bare `ws` echo on the same machine in the same run, for a small call and for a
 * 64 MiB binary payload (the size of a 512×512×128 float32 volume).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { decodeMessage, encodeMessage, type ServerMessage } from '../src/shared/wire.js';
import { startBrowserHost } from '../src/main/host/browser-host.js';
import { createServices } from '../src/main/services/app-services.js';
import { medianMs, type Benchmark } from './harness.js';

function rpcOver(ws: WebSocket) {
  let nextId = 1;
  const pending = new Map<number, (m: ServerMessage) => void>();
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    const m = decodeMessage(isBinary ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : data.toString()) as ServerMessage;
    if (m.kind === 'response' && m.id !== null) pending.get(m.id)?.(m);
  });
  return (method: string, params: unknown) =>
    new Promise<ServerMessage>((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      ws.send(encodeMessage({ kind: 'request', id, method, params }));
    });
}

function echoOver(ws: WebSocket) {
  return (payload: string | Uint8Array) =>
    new Promise<void>((resolve) => {
      ws.once('message', () => resolve());
      ws.send(payload);
    });
}

const open = (ws: WebSocket) => new Promise<void>((resolve, reject) => ws.once('open', () => resolve()).once('error', reject));

export const transportBenchmark: Benchmark = {
  name: 'transport',
  description: 'contract round trip (small and 64 MiB binary) vs a bare ws echo',
  async run() {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'delineate-bench-'));
    const rendererDir = fs.mkdtempSync(path.join(os.tmpdir(), 'delineate-bench-r-'));
    const services = createServices({ dataDir, host: 'test' });
    const host = await startBrowserHost({ services, rendererDir });
    const ours = new WebSocket(`ws://127.0.0.1:${host.port}/ws?token=${host.token}`, { origin: `http://127.0.0.1:${host.port}`, maxPayload: 2 ** 30 });

    const raw = new WebSocketServer({ port: 0, host: '127.0.0.1', maxPayload: 2 ** 30 });
    raw.on('connection', (s) => s.on('message', (d, isBinary) => s.send(d, { binary: isBinary })));
    await new Promise((r) => raw.once('listening', r));
    const bare = new WebSocket(`ws://127.0.0.1:${(raw.address() as AddressInfo).port}`, { maxPayload: 2 ** 30 });
    await Promise.all([open(ours), open(bare)]);

    const call = rpcOver(ours);
    const echo = echoOver(bare);
    const small = { text: 'ping' };
    const smallFrame = encodeMessage({ kind: 'request', id: 1, method: 'diagnostics.echo', params: small });
    const volume = new Float32Array(16 * 2 ** 20);
    for (let i = 0; i < volume.length; i += 4096) volume[i] = i;
    const volumeFrame = encodeMessage({ kind: 'request', id: 1, method: 'diagnostics.echo', params: { text: 'v', data: volume } });

    const smallOurs = await medianMs(() => call('diagnostics.echo', small), 500, 50);
    const smallBare = await medianMs(() => echo(smallFrame), 500, 50);
    const bigOurs = await medianMs(() => call('diagnostics.echo', { text: 'v', data: volume }), 7, 2);
    const bigBare = await medianMs(() => echo(volumeFrame), 7, 2);

    ours.close();
    bare.close();
    await new Promise((r) => raw.close(r));
    await host.close();
    await services.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(rendererDir, { recursive: true, force: true });
    return {
      small_call_ms: smallOurs,
      small_bare_ws_ms: smallBare,
      small_call_ratio: smallOurs / smallBare,
      binary_64mib_call_ms: bigOurs,
      binary_64mib_bare_ws_ms: bigBare,
      binary_64mib_ratio: bigOurs / bigBare,
    };
  },
};
