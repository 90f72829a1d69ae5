import type { PreloadApi } from '../../shared/preload-api.js';
import type { HostClient } from './host-client.js';
import { IpcClient } from './ipc-client.js';
import { WebSocketClient } from './ws-client.js';

declare global {
  interface Window {
    delineate?: PreloadApi;
  }
}

/**
 * Pick the transport for the host this page runs in: the Electron preload when present, otherwise the
 * browser host's WebSocket. The token arrives once in the URL; it is then removed from the address
 * bar (the host has set a same-site cookie that authenticates reloads and the socket).
 */
export function connectToHost(): HostClient {
  if (window.delineate) return new IpcClient(window.delineate);
  const url = new URL(window.location.href);
  const token = url.searchParams.get('token');
  if (token !== null) {
    url.searchParams.delete('token');
    window.history.replaceState(null, '', url);
  }
  const wsUrl = new URL('ws', window.location.href);
  wsUrl.protocol = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  wsUrl.search = token === null ? '' : `?token=${encodeURIComponent(token)}`;
  return new WebSocketClient(wsUrl.href);
}
