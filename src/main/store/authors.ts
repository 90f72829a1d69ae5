/**
 * Local named users: who this session's writes are recorded as. No passwords offline; the OS user is
 * the default, and anyone who has written here before can be chosen again (the users table).
 */
import type { Database } from 'better-sqlite3';
import { DelineateError } from '../../shared/errors.js';
import type { AuthorList } from '../../shared/segmentation.js';

/** Something that names the current author (a fixed string in tools and tests). */
export type AuthorSource = string | { readonly current: string };

export const authorOf = (source: AuthorSource): string => (typeof source === 'string' ? source : source.current);

export class Authors {
  current: string;

  constructor(
    private readonly db: Database,
    initial: string,
  ) {
    this.current = checkedName(initial);
    this.remember(this.current);
  }

  list(): AuthorList {
    const known = this.db.prepare('SELECT name, last_used_at AS lastUsedAt FROM users ORDER BY last_used_at DESC').all() as AuthorList['known'];
    return { current: this.current, known };
  }

  /** Make `name` the author of this session's writes from now on (remembered for next time). */
  select(name: string): AuthorList {
    this.current = checkedName(name);
    this.remember(this.current);
    return this.list();
  }

  private remember(name: string): void {
    const at = new Date().toISOString();
    this.db.prepare('INSERT INTO users (name, created_at, last_used_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET last_used_at = excluded.last_used_at').run(name, at, at);
  }
}

function checkedName(name: string): string {
  const trimmed = name.trim();
  // eslint-disable-next-line no-control-regex
  if (!trimmed || trimmed.length > 100 || /[\u0000-\u001f\u007f]/.test(trimmed)) {
    throw new DelineateError('invalid_params', 'An author name is 1 to 100 characters, without control characters');
  }
  return trimmed;
}
