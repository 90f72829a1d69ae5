import { isEventName, type EventName, type EventPayload, type Method, type Params, type Result } from '../../shared/contract.js';
import { DelineateError } from '../../shared/errors.js';
import { decodeMessage, encodeMessage, type ServerMessage } from '../../shared/wire.js';
import { Listeners, type ConnectionState, type HostClient } from './host-client.js';
import { PendingCalls } from './pending-calls.js';

/**
 * The browser host's transport: one WebSocket carrying the contract, binary frames for binary payloads.
 * Reconnects with backoff; calls made while disconnected wait for the link (or fail after a timeout).
 */
export class WebSocketClient implements HostClient {
  readonly kind = 'browser' as const;
  private socket: WebSocket | null = null;
  private state: ConnectionState = 'connecting';
  private readonly pending = new PendingCalls();
  private readonly events = new Listeners<[string, unknown]>();
  private readonly connectionListeners = new Listeners<[ConnectionState]>();
  private readonly outbox: (string | Uint8Array)[] = [];
  private retryMs = 250;

  constructor(private readonly url: string) {
    this.connect();
  }

  connection(): ConnectionState {
    return this.state;
  }

  onConnection(listener: (state: ConnectionState) => void): () => void {
    return this.connectionListeners.add(listener);
  }

  call<M extends Method>(method: M, params: Params<M>): Promise<Result<M>> {
    const { id, promise } = this.pending.open();
    const frame = encodeMessage({ kind: 'request', id, method, params });
    if (this.state === 'open' && this.socket) this.socket.send(frame);
    else this.outbox.push(frame);
    return promise as Promise<Result<M>>;
  }

  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
    return this.events.add((name, payload) => {
      if (name === event) listener(payload as EventPayload<E>);
    });
  }

  private setState(state: ConnectionState): void {
    this.state = state;
    this.connectionListeners.emit(state);
  }

  private connect(): void {
    const socket = new WebSocket(this.url);
    socket.binaryType = 'arraybuffer';
    this.socket = socket;
    socket.onopen = () => {
      this.retryMs = 250;
      this.setState('open');
      for (const frame of this.outbox.splice(0)) socket.send(frame);
    };
    socket.onmessage = (event: MessageEvent<string | ArrayBuffer>) => {
      const data = typeof event.data === 'string' ? event.data : new Uint8Array(event.data);
      this.receive(decodeMessage(data) as ServerMessage);
    };
    socket.onclose = () => {
      this.socket = null;
      this.pending.failAll(new DelineateError('unavailable', 'The connection to Delineate was lost'));
      this.setState('closed');
      setTimeout(() => this.connect(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, 5000);
    };
  }

  private receive(message: ServerMessage): void {
    if (message.kind === 'event') {
      if (isEventName(message.name)) this.events.emit(message.name, message.payload);
      return;
    }
    if (message.id === null) {
      console.error('Delineate host rejected a message:', message.ok ? message : message.error);
      return;
    }
    this.pending.settle(message.id, message.ok ? { ok: true, result: message.result } : { ok: false, error: message.error });
  }
}
