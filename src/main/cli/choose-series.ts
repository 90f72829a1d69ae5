import { DelineateError } from '../../shared/errors.js';

/**
 * The series a command works on when its input may hold several: the only one, else `--series`, which is
 * a number in the listed order (1, 2, …) or a UID/key. Errors list what there is to choose from.
 */
export function chooseSeries<T extends { key: string }>(candidates: readonly T[], wanted: string | undefined, matches: (candidate: T, wanted: string) => boolean): T {
  const chosen =
    wanted === undefined
      ? candidates.length === 1
        ? candidates[0]
        : undefined
      : /^\d+$/.test(wanted)
        ? candidates[Number(wanted) - 1]
        : candidates.find((c) => c.key === wanted) ?? candidates.find((c) => matches(c, wanted));
  if (!chosen) {
    throw new DelineateError('invalid_params', `${wanted === undefined ? `${candidates.length} series found: choose one with --series` : `No series ${wanted}`} (have: ${candidates.map((c, i) => `${i + 1}=${c.key}`).join(', ')})`);
  }
  return chosen;
}
