/**
 * Electron preload (sandboxed, bundled to CommonJS by scripts/build-preload.mjs). It exposes exactly
 * the contract on window.delineate: a call for each declared method, the declared events, nothing else
 * (no ipcRenderer, no Node).
 */
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import { METHODS, isEventName, isMethod } from '../shared/contract.js';
import { IPC_CALL_CHANNEL, IPC_DROP_CHANNEL, IPC_EVENT_CHANNEL, type CallOutcomeWire, type PreloadApi } from '../shared/preload-api.js';

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
  droppedPaths(files: ArrayLike<unknown>): Promise<string[]> {
    const paths: string[] = [];
    for (const file of Array.from(files ?? [])) {
      let p = '';
      try {
        // '' for a File the page made itself: only files from the OS (a drop, a file input) have a path
        p = webUtils.getPathForFile(file as File);
      } catch {
        // not a File
      }
      if (p) paths.push(p);
    }
    if (paths.length === 0) return Promise.resolve([]);
    return ipcRenderer.invoke(IPC_DROP_CHANNEL, paths) as Promise<string[]>;
  },
};

contextBridge.exposeInMainWorld('delineate', api);