/**
 * Batch AI runs in the store, so they survive a crash or restart: the batch (model, selection, state,
 * owner process) and its cases in order, each pending → running → done | failed.
 *
 * A batch's row says 'running' while some process works on it. That process writes its owner token
 * (host, pid, a per-process id) and a heartbeat; a 'running' batch whose owner is gone (another pid on
 * this host that no longer exists, or no heartbeat for HEARTBEAT_STALE_MS) is reported as interrupted,
 * and `claim` lets a new run take it over.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { Database } from 'better-sqlite3';
import type { BatchCase, BatchInfo } from '../../shared/curation.js';
import { DelineateError } from '../../shared/errors.js';
import { withStorageErrors } from '../store/storage-errors.js';

/** A heartbeat older than this means the owner hangs or is gone, even if a process with its pid exists. */
export const HEARTBEAT_STALE_MS = 120_000;

interface Owner {
  host: string;
  pid: number;
  token: string;
}

interface BatchRow {
  id: number;
  model_id: string;
  provider: BatchInfo['provider'];
  concurrency: number;
  selection: string;
  state: 'queued' | 'running' | 'cancelled' | 'done';
  owner: string;
  heartbeat_at: string;
  created_by: string;
  created_at: string;
  finished_at: string | null;
}

export interface NewBatch {
  modelId: string;
  provider: BatchInfo['provider'];
  concurrency: number;
  /** how the cases were chosen, kept to recognise the same request after a crash */
  selection: string;
  seriesIds: readonly number[];
  createdBy: string;
}

export interface PendingCase {
  seriesId: number;
  position: number;
}

const now = () => new Date().toISOString();

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class BatchStore {
  /** this process's owner token */
  private readonly owner: Owner = { host: os.hostname(), pid: process.pid, token: randomUUID() };
  /** batches this process is working on now, and those it created whose job has not started yet */
  private readonly active = new Set<number>();
  private readonly queued = new Set<number>();

  constructor(
    private readonly db: Database,
    private readonly dataDir: string,
  ) {}

  create(batch: NewBatch): number {
    const run = this.db.transaction(() => {
      const stamp = now();
      // queued until its job starts and claims it
      const id = Number(
        this.db
          .prepare("INSERT INTO batches (model_id, provider, concurrency, selection, state, owner, heartbeat_at, created_by, created_at) VALUES (?, ?, ?, ?, 'queued', '', ?, ?, ?)")
          .run(batch.modelId, batch.provider, batch.concurrency, batch.selection, stamp, batch.createdBy, stamp).lastInsertRowid,
      );
      const insert = this.db.prepare("INSERT INTO batch_cases (batch_id, position, series_id, state) VALUES (?, ?, ?, 'pending')");
      batch.seriesIds.forEach((seriesId, position) => insert.run(id, position, seriesId));
      return id;
    });
    const id = withStorageErrors(this.dataDir, () => run.immediate());
    this.queued.add(id);
    return id;
  }

  /**
   * Take the batch for this process. Cases a dead run left 'running' become done when `madeVersion`
   * finds the version that run saved (it crashed after saving), else pending again.
   */
  claim(batchId: number, madeVersion: (seriesId: number) => number | null, options: { retryFailed?: boolean } = {}): { pending: PendingCase[]; done: number; total: number } {
    const run = this.db.transaction(() => {
      const row = this.row(batchId);
      if (row.state === 'running' && this.ownerAlive(row)) {
        throw new DelineateError('conflict', `Batch ${batchId} is running (${this.active.has(batchId) ? 'in this window' : `in process ${JSON.parse(row.owner).pid as number}`}): wait for it or cancel it`);
      }
      if (row.state === 'done' && !options.retryFailed) throw new DelineateError('conflict', `Batch ${batchId} is finished: nothing to resume`);
      this.db.prepare("UPDATE batches SET state = 'running', owner = ?, heartbeat_at = ?, finished_at = NULL WHERE id = ?").run(JSON.stringify(this.owner), now(), batchId);
      const stranded = this.db.prepare("SELECT series_id AS seriesId FROM batch_cases WHERE batch_id = ? AND state = 'running'").all(batchId) as { seriesId: number }[];
      for (const { seriesId } of stranded) {
        const versionId = madeVersion(seriesId);
        if (versionId === null) this.db.prepare("UPDATE batch_cases SET state = 'pending' WHERE batch_id = ? AND series_id = ?").run(batchId, seriesId);
        else this.db.prepare("UPDATE batch_cases SET state = 'done', version_id = ?, finished_at = ? WHERE batch_id = ? AND series_id = ?").run(versionId, now(), batchId, seriesId);
      }
      if (options.retryFailed) this.db.prepare("UPDATE batch_cases SET state = 'pending', error = NULL WHERE batch_id = ? AND state = 'failed'").run(batchId);
      const pending = this.db.prepare("SELECT series_id AS seriesId, position FROM batch_cases WHERE batch_id = ? AND state = 'pending' ORDER BY position").all(batchId) as PendingCase[];
      const { done, total } = this.db.prepare("SELECT COUNT(*) FILTER (WHERE state = 'done') AS done, COUNT(*) AS total FROM batch_cases WHERE batch_id = ?").get(batchId) as { done: number; total: number };
      return { pending, done, total };
    });
    const claimed = withStorageErrors(this.dataDir, () => run.immediate());
    this.queued.delete(batchId);
    this.active.add(batchId);
    return claimed;
  }

  caseStarted(batchId: number, seriesId: number): void {
    this.write("UPDATE batch_cases SET state = 'running', attempts = attempts + 1, started_at = ?, error = NULL WHERE batch_id = ? AND series_id = ?", now(), batchId, seriesId);
  }

  caseDone(batchId: number, seriesId: number, result: { versionId: number; caseMs: number; inferenceMs: number }): void {
    this.write(
      "UPDATE batch_cases SET state = 'done', version_id = ?, case_ms = ?, inference_ms = ?, finished_at = ? WHERE batch_id = ? AND series_id = ?",
      result.versionId,
      result.caseMs,
      result.inferenceMs,
      now(),
      batchId,
      seriesId,
    );
  }

  caseFailed(batchId: number, seriesId: number, error: string, caseMs: number): void {
    this.write("UPDATE batch_cases SET state = 'failed', error = ?, case_ms = ?, finished_at = ? WHERE batch_id = ? AND series_id = ?", error, caseMs, now(), batchId, seriesId);
  }

  /** A case a cancel interrupted goes back to pending: a resume runs it. */
  caseReleased(batchId: number, seriesId: number): void {
    this.write("UPDATE batch_cases SET state = 'pending' WHERE batch_id = ? AND series_id = ?", batchId, seriesId);
  }

  heartbeat(batchId: number): void {
    this.write('UPDATE batches SET heartbeat_at = ? WHERE id = ?', now(), batchId);
  }

  finish(batchId: number, state: 'cancelled' | 'done'): void {
    this.active.delete(batchId);
    this.queued.delete(batchId);
    this.write("UPDATE batches SET state = ?, owner = '', finished_at = ? WHERE id = ?", state, now(), batchId);
  }

  /** Batches whose process ended before they finished. */
  interrupted(): BatchInfo[] {
    return this.list().filter((b) => b.state === 'interrupted');
  }

  /** The newest batch with this model and selection that a resume would continue, if any. */
  resumable(modelId: string, selection: string): BatchInfo | null {
    const rows = this.db.prepare("SELECT id FROM batches WHERE model_id = ? AND selection = ? ORDER BY id DESC").all(modelId, selection) as { id: number }[];
    const batches = new Map(this.list().map((b) => [b.id, b]));
    for (const { id } of rows) {
      const batch = batches.get(id)!;
      if (batch.state === 'interrupted' || batch.state === 'queued' || (batch.state === 'cancelled' && batch.counts.pending > 0)) return batch;
    }
    return null;
  }

  list(): BatchInfo[] {
    const rows = this.db.prepare('SELECT * FROM batches ORDER BY id DESC').all() as BatchRow[];
    const counts = this.db
      .prepare(
        "SELECT batch_id AS id, COUNT(*) FILTER (WHERE state = 'pending') AS pending, COUNT(*) FILTER (WHERE state = 'running') AS running, COUNT(*) FILTER (WHERE state = 'done') AS done, COUNT(*) FILTER (WHERE state = 'failed') AS failed FROM batch_cases GROUP BY batch_id",
      )
      .all() as { id: number; pending: number; running: number; done: number; failed: number }[];
    const byId = new Map(counts.map(({ id, ...c }) => [id, c]));
    return rows.map((row) => ({
      id: row.id,
      modelId: row.model_id,
      provider: row.provider,
      concurrency: row.concurrency,
      state: this.stateOf(row),
      createdAt: row.created_at,
      createdBy: row.created_by,
      finishedAt: row.finished_at,
      counts: byId.get(row.id) ?? { pending: 0, running: 0, done: 0, failed: 0 },
      jobId: null,
    }));
  }

  get(batchId: number): BatchInfo {
    const found = this.list().find((b) => b.id === batchId);
    if (!found) throw new DelineateError('not_found', `No batch ${batchId}`);
    return found;
  }

  cases(batchId: number): BatchCase[] {
    this.row(batchId);
    return this.db
      .prepare(
        `SELECT c.series_id AS seriesId, se.description, c.state, c.version_id AS versionId, c.error, c.case_ms AS caseMs, c.inference_ms AS inferenceMs, c.attempts
         FROM batch_cases c JOIN series se ON se.id = c.series_id WHERE c.batch_id = ? ORDER BY c.position`,
      )
      .all(batchId) as BatchCase[];
  }

  /** A queued batch of a process that is gone, or a running one whose owner is gone, is interrupted. */
  private stateOf(row: BatchRow): BatchInfo['state'] {
    if (row.state === 'queued') return this.queued.has(row.id) ? 'queued' : 'interrupted';
    return row.state === 'running' && !this.ownerAlive(row) ? 'interrupted' : row.state;
  }

  private ownerAlive(row: BatchRow): boolean {
    if (row.state !== 'running' || !row.owner) return false;
    const owner = JSON.parse(row.owner) as Owner;
    if (owner.token === this.owner.token) return this.active.has(row.id);
    if (Date.now() - Date.parse(row.heartbeat_at) > HEARTBEAT_STALE_MS) return false;
    return owner.host !== this.owner.host || isProcessAlive(owner.pid);
  }

  private row(batchId: number): BatchRow {
    const row = this.db.prepare('SELECT * FROM batches WHERE id = ?').get(batchId) as BatchRow | undefined;
    if (!row) throw new DelineateError('not_found', `No batch ${batchId}`);
    return row;
  }

  private write(sql: string, ...params: unknown[]): void {
    withStorageErrors(this.dataDir, () => this.db.prepare(sql).run(...params));
  }
}
