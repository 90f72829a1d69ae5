/**
 * Host paths in forms: in the desktop app a path must come from a native dialog (the main process
 * refuses typed paths it did not grant, see docs/security.md), so fields get a "Browse…" button there;
 * the browser host has no dialog and takes typed paths.
 */
import type { PickPurpose } from '../../shared/desktop.js';
import type { HostClient } from './host-client.js';

export interface PathPicker {
  /** the host has native dialogs (Electron) */
  readonly native: boolean;
  /** the chosen path, or null when cancelled */
  pick(purpose: PickPurpose, defaultName?: string): Promise<string | null>;
  /** every path chosen (multi-selection dialogs); empty when cancelled, null when the host has no dialog */
  pickMany(purpose: PickPurpose, title?: string): Promise<string[] | null>;
}

export function pathPicker(client: HostClient): PathPicker {
  return {
    native: client.kind === 'electron',
    async pick(purpose, defaultName) {
      const picked = await client.call('host.pickPaths', { purpose, ...(defaultName ? { defaultName } : {}) });
      return picked.supported ? (picked.paths[0] ?? null) : null;
    },
    async pickMany(purpose, title) {
      const picked = await client.call('host.pickPaths', { purpose, ...(title ? { title } : {}) });
      return picked.supported ? picked.paths : null;
    },
  };
}
