/**
 * Host paths the user handed to the desktop app: picked in a native dialog (host.pickPaths) or dropped
 * on the window (the preload reads a dropped File's real path; a page script cannot forge one). The
 * Electron IPC host refuses any call whose host path params (src/shared/host-paths.ts) were not
 * granted, so a compromised renderer cannot read or overwrite arbitrary files through the contract.
 * Pure Node (no electron import) so tests drive it directly.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DelineateError } from '../../shared/errors.js';
import { hostPathsOf, type HostPathAccess } from '../../shared/host-paths.js';

export interface PathGrant {
  /** absolute, normalised */
  readonly path: string;
  /** write grants come from save dialogs and output-folder pickers; read grants from open dialogs and drops */
  readonly access: HostPathAccess;
  /** a folder: paths inside it are covered too */
  readonly tree: boolean;
}

export class PathGrants {
  private readonly grants = new Map<string, PathGrant>();

  constructor(private readonly platform: NodeJS.Platform = process.platform) {}

  /** Record a grant; a relative path is refused (dialogs and drops always give absolute ones). */
  grant(hostPath: string, access: HostPathAccess, tree: boolean): PathGrant {
    if (!path.isAbsolute(hostPath) || hostPath.includes('\0')) throw new Error(`not an absolute path: ${JSON.stringify(hostPath)}`);
    const normal = path.resolve(hostPath);
    const key = `${access}:${tree ? 'tree' : 'file'}:${this.fold(normal)}`;
    const g: PathGrant = { path: normal, access, tree };
    this.grants.set(key, g);
    return g;
  }

  /** A read grant for each existing path; folders cover what is inside them. Returns the granted paths. */
  grantExisting(paths: readonly string[]): string[] {
    const granted: string[] = [];
    for (const p of paths) {
      if (typeof p !== 'string' || !path.isAbsolute(p)) continue;
      let stat: fs.Stats;
      try {
        stat = fs.statSync(p);
      } catch {
        continue;
      }
      granted.push(this.grant(p, 'read', stat.isDirectory()).path);
    }
    return granted;
  }

  /** true when a grant covers this path for this access (a write grant also allows reading). */
  allows(hostPath: string, access: HostPathAccess): boolean {
    if (!path.isAbsolute(hostPath) || hostPath.includes('\0')) return false;
    const target = this.fold(path.resolve(hostPath));
    for (const g of this.grants.values()) {
      if (access === 'write' && g.access !== 'write') continue;
      const root = this.fold(g.path);
      if (target === root) return true;
      if (g.tree && target.startsWith(root.endsWith(path.sep) ? root : root + path.sep)) return true;
    }
    return false;
  }

  list(): PathGrant[] {
    return [...this.grants.values()];
  }

  /**
   * Throws invalid_params naming the first host path of this call that no grant covers. Params are
   * the parsed ones (what the handler will see).
   */
  checkCall(method: string, params: unknown): void {
    for (const found of hostPathsOf(method, params)) {
      if (this.allows(found.value, found.access)) continue;
      const how = found.access === 'write' ? 'choose where to save it with the Save/Choose… dialog' : 'choose it with Browse… or drop it on the window';
      throw new DelineateError('invalid_params', `Delineate was not given access to ${found.value} (${method} ${found.param}): ${how}`, {
        reason: 'path_not_granted',
        param: found.param,
        path: found.value,
        access: found.access,
      });
    }
  }

  /** Windows and macOS file systems compare names case-insensitively (by default). */
  private fold(p: string): string {
    return this.platform === 'win32' || this.platform === 'darwin' ? p.toLowerCase() : p;
  }
}
