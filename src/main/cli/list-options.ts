/** Comma-separated option values of the curation commands: ids, and case statuses. */
import { CASE_STATUSES, type CaseStatus } from '../../shared/curation.js';
import { DelineateError } from '../../shared/errors.js';

/** "3,7, 12" → [3, 7, 12]; `what` names the option in the error (e.g. "--series"). */
export function idList(raw: string, what: string): number[] {
  const ids = raw.split(',').map((v) => v.trim());
  if (ids.some((v) => !/^\d+$/.test(v) || Number(v) < 1)) throw new DelineateError('invalid_params', `${what} takes ids separated by commas, got ${JSON.stringify(raw)}`);
  return ids.map(Number);
}

/** "no-mask,ai-done" → those statuses; an unknown one is refused, listing the valid ones. */
export function statusList(raw: string): CaseStatus[] {
  const statuses = raw.split(',').map((s) => s.trim());
  const unknown = statuses.filter((s) => !(CASE_STATUSES as readonly string[]).includes(s));
  if (unknown.length) throw new DelineateError('invalid_params', `Unknown status ${unknown.join(', ')}: statuses are ${CASE_STATUSES.join(', ')}`);
  return statuses as CaseStatus[];
}
