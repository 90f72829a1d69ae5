/**
 * Which request params are paths on the host, declared once. The Electron host refuses a call whose
 * host paths the user did not pick in a native dialog or drop on the window (src/main/electron/
 * path-grants.ts); tests/unit/host-paths.test.ts walks every contract schema so that a new path param
 * cannot be added without being declared here (or exempted with its reason).
 */

/** read: the call only reads it (an import); write: the call creates or overwrites it (an export). */
export type HostPathAccess = 'read' | 'write';

export interface HostPathParam {
  /** dotted location in the params object; a trailing [] means every element of an array */
  readonly param: string;
  readonly access: HostPathAccess;
}

/**
 * Every host path a request carries, by method. Keys are method names (strings, so that a method
 * another part of the app adds later is declared here before it exists; the test checks both ways).
 */
export const HOST_PATH_PARAMS: Readonly<Record<string, readonly HostPathParam[]>> = {
  'studies.import': [{ param: 'paths[]', access: 'read' }],
  'models.add': [{ param: 'path', access: 'read' }],
  'masks.import': [
    { param: 'path', access: 'read' },
    { param: 'labelsPath', access: 'read' },
  ],
  'export.mask': [
    { param: 'out', access: 'write' },
    { param: 'imageOut', access: 'write' },
    { param: 'deidentify.mappingFile', access: 'write' },
  ],
  'export.dataset': [
    { param: 'outDir', access: 'write' },
    { param: 'mappingFile', access: 'write' },
  ],
  'reports.agreement': [{ param: 'outDir', access: 'write' }],
  /** the store folder for the next start: the user picks it (output-folder) */
  'settings.update': [{ param: 'dataDir', access: 'write' }],
};

/**
 * String params that look like paths but are not host paths the renderer chooses, with the reason.
 * Keyed "method:param".
 */
export const HOST_PATH_EXEMPT: Readonly<Record<string, string>> = {
  'reports.read:file': 'confined by the service to reports this store wrote (its reports folder or a report job result)',
};

export interface FoundHostPath {
  param: string;
  access: HostPathAccess;
  value: string;
}

/** The host paths in one call's (parsed) params, with where each was found. */
export function hostPathsOf(method: string, params: unknown): FoundHostPath[] {
  const declared = Object.hasOwn(HOST_PATH_PARAMS, method) ? HOST_PATH_PARAMS[method]! : [];
  const found: FoundHostPath[] = [];
  for (const { param, access } of declared) {
    for (const [where, value] of valuesAt(params, param.split('.'), '')) {
      if (typeof value === 'string') found.push({ param: where, access, value });
    }
  }
  return found;
}

function valuesAt(node: unknown, steps: string[], where: string): [string, unknown][] {
  if (steps.length === 0) return [[where, node]];
  if (typeof node !== 'object' || node === null) return [];
  const [step, ...rest] = steps as [string, ...string[]];
  const isArray = step.endsWith('[]');
  const key = isArray ? step.slice(0, -2) : step;
  if (!Object.hasOwn(node, key)) return [];
  const value = (node as Record<string, unknown>)[key];
  const here = where ? `${where}.${key}` : key;
  if (!isArray) return valuesAt(value, rest, here);
  if (!Array.isArray(value)) return [];
  return value.flatMap((v, i) => valuesAt(v, rest, `${here}[${i}]`));
}
