/**
 * The Electron IPC entry points, without Electron: main.ts registers them with ipcMain.handle. Each
 * checks the sender (our top-level app:// document) first; contract calls then have their host paths
 * checked against the user's grants before dispatch.
 */
import { dispatch, type CallOutcome, type Handlers } from '../services/dispatch.js';
import { isTrustedSender, type IpcSenderEvent } from './harden.js';
import type { PathGrants } from './path-grants.js';

const UNTRUSTED: CallOutcome = { ok: false, error: { code: 'bad_request', message: 'Calls are accepted only from the Delineate window' } };

/** ipcMain.handle(IPC_CALL_CHANNEL, ...) */
export function createCallHandler(handlers: Handlers, grants: PathGrants) {
  return async (event: IpcSenderEvent, method: unknown, params: unknown): Promise<CallOutcome> => {
    if (!isTrustedSender(event)) return UNTRUSTED;
    // host paths are checked on the values the handler will see, after dispatch validated them
    return dispatch(handlers, method, params, { host: 'electron' }, (m, parsed) => grants.checkCall(m, parsed));
  };
}

/**
 * ipcMain.handle(IPC_DROP_CHANNEL, ...): the preload sends the real paths of files the user dropped
 * (webUtils.getPathForFile). Existing absolute paths get a read grant (a folder covers its content);
 * the answer is the granted paths, in order.
 */
export function createDropHandler(grants: PathGrants) {
  return (event: IpcSenderEvent, paths: unknown): string[] => {
    if (!isTrustedSender(event)) return [];
    if (!Array.isArray(paths)) return [];
    return grants.grantExisting(paths.filter((p): p is string => typeof p === 'string').slice(0, 1000));
  };
}
