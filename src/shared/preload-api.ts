/**
 * What the Electron preload exposes on window.delineate: exactly the contract (a call per declared
 * method, events by declared name), nothing else. The renderer's IPC client wraps it.
 */
export type CallOutcomeWire = { ok: true; result: unknown } | { ok: false; error: import('./errors.js').ErrorEnvelope };

export interface PreloadApi {
  /** the contract's method names, for feature checks */
  readonly methods: readonly string[];
  call(method: string, params: unknown): Promise<CallOutcomeWire>;
  /** subscribe to every contract event; returns an unsubscribe function */
  onEvent(listener: (name: string, payload: unknown) => void): () => void;
  /**
   * Files the user dropped on the window (DataTransfer.files): the preload reads their real paths
   * (a page script cannot make a File with a path) and main grants them for later calls
   * (studies.import, masks.import, models.add). Resolves to the granted absolute paths.
   */
  droppedPaths(files: ArrayLike<unknown>): Promise<string[]>;
}

export const IPC_CALL_CHANNEL = 'delineate:call';
export const IPC_EVENT_CHANNEL = 'delineate:event';
export const IPC_DROP_CHANNEL = 'delineate:dropped-paths';
