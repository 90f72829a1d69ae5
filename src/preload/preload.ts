/**
 * Electron preload (sandboxed, bundled to CommonJS by scripts/build-preload.mjs). It exposes exactly
 * the contract on window.delineate: a call for each declared method, the declared events, nothing else
 * (no ipcRenderer, no Node).
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { METHODS, isEventName, isMethod } from '../shared/contract.js';
import { IPC_CALL_CHANNEL, IPC_EVENT_CHANNEL, type CallOutcomeWire, type PreloadApi } from '../shared/preload-api.js';

const api: PreloadApi = {
  methods: Object.freeze([...METHODS]),
  call(method: string, params: unknown): Promise<CallOutcomeWire> {
    if (!isMethod(method)) {
      return Promise.resolve({ ok: false, error: { code: 'unknown_method', message: `Unknown method ${JSON.stringify(method)}` } });
    }
    return ipcRenderer.invoke(IPC_CALL_CHANNEL, method, params) as Promise<CallOutcomeWire>;
  },
  onEvent(listener: (name: string, payload: unknown) => void): () => void {
    const handler = (_event: IpcRendererEvent, name: unknown, payload: unknown) => {
      if (isEventName(name)) listener(name, payload);
    };
    ipcRenderer.on(IPC_EVENT_CHANNEL, handler);
    return () => ipcRenderer.removeListener(IPC_EVENT_CHANNEL, handler);
  },
};

contextBridge.exposeInMainWorld('delineate', api);