/**
 * The audit log: one row per write to the store (who, when, what, on which record), append-only: the
 * table's triggers refuse UPDATE and DELETE, and the app has no call that alters it.
 */
import type { Database } from 'better-sqlite3';
import type { AuditEntry } from '../../shared/segmentation.js';
import { authorOf, type AuthorSource } from './authors.js';

export class AuditLog {
  constructor(
    private readonly db: Database,
    private readonly author: AuthorSource,
  ) {}

  /** Record a write; call inside the write's own transaction so both land or neither does. */
  record(action: string, entity: string, entityId: number | null, detail: string): void {
    this.db.prepare('INSERT INTO audit_log (at, author, action, entity, entity_id, detail) VALUES (?, ?, ?, ?, ?, ?)').run(new Date().toISOString(), authorOf(this.author), action, entity, entityId, detail);
  }

  /** Entries, oldest first; optionally only those about one record. */
  list(filter: { entity?: string; entityId?: number; limit?: number } = {}): AuditEntry[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (filter.entity !== undefined) where.push('entity = ?'), args.push(filter.entity);
    if (filter.entityId !== undefined) where.push('entity_id = ?'), args.push(filter.entityId);
    const sql = `SELECT id, at, author, action, entity, entity_id AS entityId, detail FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT ?`;
    return this.db.prepare(sql).all(...args, filter.limit ?? 10_000) as AuditEntry[];
  }
}

/** RFC 4180 CSV of audit entries (quoted where needed), for spreadsheets and archives. */
export function auditCsv(entries: readonly AuditEntry[]): string {
  const cell = (v: string | number | null) => {
    const text = v === null ? '' : String(v);
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  const rows = entries.map((e) => [e.id, e.at, e.author, e.action, e.entity, e.entityId, e.detail].map(cell).join(','));
  return ['id,at,author,action,entity,entity_id,detail', ...rows].join('\r\n') + '\r\n';
}
