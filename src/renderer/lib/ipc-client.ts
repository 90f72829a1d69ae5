import { isEventName, type EventName, type EventPayload, type Method, type Params, type Result } from '../../shared/contract.js';
import { fromErrorEnvelope } from '../../shared/errors.js';
import type { PreloadApi } from '../../shared/preload-api.js';
import { Listeners, type ConnectionState, type HostClient } from './host-client.js';

/** The Electron transport: the preload's contextBridge API (structured clone carries binary as is). */
export class IpcClient implements HostClient {
  readonly kind = 'electron' as const;
  private readonly events = new Listeners<[string, unknown]>();

  constructor(private readonly api: PreloadApi) {
    api.onEvent((name, payload) => {
      if (isEventName(name)) this.events.emit(name, payload);
    });
  }

  connection(): ConnectionState {
    return 'open';
  }

  onConnection(): () => void {
    return () => undefined; // IPC lives as long as the window
  }

  async call<M extends Method>(method: M, params: Params<M>): Promise<Result<M>> {
    const outcome = await this.api.call(method, params);
    if (!outcome.ok) throw fromErrorEnvelope(outcome.error);
    return outcome.result as Result<M>;
  }

  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
    return this.events.add((name, payload) => {
      if (name === event) listener(payload as EventPayload<E>);
    });
  }
}
