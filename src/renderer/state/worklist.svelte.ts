/**
 * The worklist: every series as a case (status, assignee, model, uncertainty, last change), filtered and
 * sorted with shared/worklist.ts; the selection and the keyboard cursor; assigning; batch AI runs (start,
 * resume, cancel); and the review walk: a case opened from here remembers the list it was opened from,
 * so next / previous / accept / request changes move through that list even as statuses change.
 */
import { REVIEW_STATUSES, defaultDirection, filterWorklist, queueScores, sortWorklist, type SortDirection } from '../../shared/worklist.js';
import { BATCH_JOB_TYPE, BatchResultSchema, type BatchInfo, type CaseStatus, type QueueReason, type ReviewQueueEntry, type WorklistRow, type WorklistSortKey } from '../../shared/curation.js';
import type { JobInfo } from '../../shared/jobs.js';
import type { HostClient } from '../lib/host-client.js';
import { AgreementReportState } from './report.svelte.js';
import type { ViewerState } from './viewer.svelte.js';

/** store.changed entities that change what the worklist shows */
const REFRESH_ENTITIES = new Set(['segmentation', 'series', 'worklist', 'batch']);
const REFRESH_DELAY_MS = 200;

export type Decision = 'accept' | 'request-changes';
/** what a batch runs on: chosen series, or every series with one of these statuses */
export type BatchTarget = { seriesIds: number[] } | { status: CaseStatus[] };

const isBatchJob = (job: JobInfo) => job.type === BATCH_JOB_TYPE;

export class WorklistState {
  rows = $state.raw<WorklistRow[]>([]);
  queue = $state.raw<ReviewQueueEntry[]>([]);
  /** whether the review queue of the latest refresh has arrived (the rows come first) */
  queueLoaded = $state(false);
  batches = $state.raw<BatchInfo[]>([]);
  /** filter: statuses shown (empty: all), assignee (undefined: anyone, null: unassigned), search text */
  statuses = $state<CaseStatus[]>([]);
  assignee = $state<string | null | undefined>(undefined);
  text = $state('');
  sortKey = $state<WorklistSortKey>('lastChange');
  sortDir = $state<SortDirection>('desc');
  /** walk the review queue: cases with an AI result not yet decided, most in need of a look first */
  private review = $state(false);
  selection = $state.raw<ReadonlySet<number>>(new Set());
  /** the row the keyboard cursor is on (by series, so it stays put when the list re-sorts) */
  cursorId = $state<number | null>(null);
  loaded = $state(false);
  error = $state<string | null>(null);
  /** the last batch that ended, in words */
  batchNotice = $state<string | null>(null);
  batchModelId = $state<string | null>(null);
  /** the case opened from the worklist, and the series next / previous walk through */
  openCase = $state<number | null>(null);
  walk = $state.raw<number[]>([]);
  reviewError = $state<string | null>(null);
  reviewNotice = $state<string | null>(null);
  deciding = $state(false);

  scores = $derived(queueScores(this.queue));
  queueById = $derived(new Map(this.queue.map((e) => [e.seriesId, e])));
  rowById = $derived(new Map(this.rows.map((r) => [r.seriesId, r])));
  sort = $derived<{ key: WorklistSortKey; dir: SortDirection }>(this.reviewMode ? { key: 'priority', dir: 'desc' } : { key: this.sortKey, dir: this.sortDir });
  visible = $derived.by(() => {
    let statuses: readonly CaseStatus[] = this.statuses;
    if (this.reviewMode) {
      const chosen = this.statuses.filter((s) => REVIEW_STATUSES.includes(s));
      statuses = chosen.length > 0 ? chosen : REVIEW_STATUSES;
    }
    const rows = filterWorklist(this.rows, { statuses, assignee: this.assignee, text: this.text });
    return sortWorklist(rows, this.sort.key, this.sort.dir, this.scores);
  });
  private indexById = $derived(new Map(this.visible.map((r, i) => [r.seriesId, i])));
  /** index of the cursor in the visible rows (0 when its row is filtered out) */
  cursor = $derived(this.cursorId === null ? 0 : (this.indexById.get(this.cursorId) ?? 0));
  walkIndex = $derived(this.openCase === null ? -1 : this.walk.indexOf(this.openCase));

  readonly report: AgreementReportState;
  private shown = false;
  private stale = true;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private inFlight: Promise<void> | null = null;
  private queued: Promise<void> | null = null;
  private readonly offs: (() => void)[] = [];

  constructor(
    private readonly client: HostClient,
    private readonly viewer: ViewerState,
    /** switch the main area to the viewer (opening a case) */
    private readonly showViewer: () => void,
  ) {
    this.report = new AgreementReportState(client);
    this.offs.push(
      client.on('store.changed', (e) => REFRESH_ENTITIES.has(e.entity) && this.changed()),
      client.on('job.done', (job) => {
        if (!isBatchJob(job)) return;
        if (job.state === 'succeeded') {
          const r = BatchResultSchema.safeParse(job.result);
          if (r.success) this.batchNotice = `Batch ${r.data.batchId}: ${r.data.segmented} segmented${r.data.alreadyDone ? `, ${r.data.alreadyDone} done before` : ''}${r.data.failed.length ? `, ${r.data.failed.length} failed (${r.data.failed[0]!.error})` : ''}${r.data.pending ? `, ${r.data.pending} left` : ''}`;
        } else if (job.state === 'failed') this.batchNotice = `Batch failed: ${job.error?.message ?? 'unknown error'}`;
        this.changed();
      }),
    );
  }

  /** Whether the worklist is on screen: it refetches on store changes only then (and once when shown). */
  setShown(shown: boolean): void {
    this.shown = shown;
    if (shown && this.stale) void this.refresh();
  }

  /** Refetch rows, review queue and batches; calls while one is in flight share one more fetch after it. */
  refresh(): Promise<void> {
    this.stale = false;
    if (this.queued) return this.queued;
    if (this.inFlight) {
      this.queued = this.inFlight.then(() => {
        this.queued = null;
        return this.refresh();
      });
      return this.queued;
    }
    this.inFlight = this.fetchAll().finally(() => (this.inFlight = null));
    return this.inFlight;
  }

  /** Review order: the worklist sorted by the review queue, which is fetched when this turns on. */
  get reviewMode(): boolean {
    return this.review;
  }
  set reviewMode(on: boolean) {
    this.review = on;
    if (on) void this.fetchQueue();
  }

  private async fetchAll(): Promise<void> {
    try {
      const [rows, batches] = await Promise.all([this.client.call('worklist.list', {}), this.client.call('batch.list', {})]);
      this.rows = rows;
      this.batches = batches;
      const ids = new Set(rows.map((r) => r.seriesId));
      if ([...this.selection].some((id) => !ids.has(id))) this.selection = new Set([...this.selection].filter((id) => ids.has(id)));
      this.loaded = true;
      this.error = null;
    } catch (err) {
      this.error = (err as Error).message;
      return;
    }
    // the queue (which may compute label statistics for older AI versions) only when it is used
    if (this.review || this.openCase !== null) await this.fetchQueue();
  }

  private async fetchQueue(): Promise<void> {
    this.queueLoaded = false;
    try {
      this.queue = await this.client.call('worklist.reviewQueue', {});
      this.queueLoaded = true;
    } catch (err) {
      this.error = (err as Error).message;
    }
  }

  /** A store change: refetch after things calm down (edits arrive many times a second), if shown. */
  private changed(): void {
    this.stale = true;
    if (!this.shown) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.refresh();
    }, REFRESH_DELAY_MS);
  }

  // ---- filter, sort, cursor, selection

  toggleStatus(status: CaseStatus): void {
    this.statuses = this.statuses.includes(status) ? this.statuses.filter((s) => s !== status) : [...this.statuses, status];
  }

  /** Sort by a column: the same column again flips the direction; leaves review mode (which sorts by priority). */
  sortBy(key: WorklistSortKey): void {
    if (this.reviewMode && key === 'priority') return;
    if (!this.reviewMode && this.sortKey === key) this.sortDir = this.sortDir === 'asc' ? 'desc' : 'asc';
    else {
      this.sortKey = key;
      this.sortDir = defaultDirection(key);
    }
    this.reviewMode = false;
  }

  setCursor(index: number): void {
    const row = this.visible[Math.min(this.visible.length - 1, Math.max(0, index))];
    this.cursorId = row?.seriesId ?? null;
  }

  moveCursor(by: number): void {
    this.setCursor(this.cursor + by);
  }

  toggleSelected(seriesId: number): void {
    const next = new Set(this.selection);
    if (!next.delete(seriesId)) next.add(seriesId);
    this.selection = next;
  }

  /** Select every visible row, or clear the selection when they all are. */
  toggleAllVisible(): void {
    const all = this.visible.length > 0 && this.visible.every((r) => this.selection.has(r.seriesId));
    this.selection = all ? new Set() : new Set(this.visible.map((r) => r.seriesId));
  }

  // ---- assigning and batches

  async assign(assignee: string | null, seriesIds: number[] = [...this.selection]): Promise<boolean> {
    if (seriesIds.length === 0) return false;
    return this.attempt(async () => {
      await this.client.call('worklist.assign', { seriesIds, assignee });
      await this.refresh();
    });
  }

  /** Run a model as one resumable batch job over chosen series or every series with a status. */
  async runBatch(modelId: string, target: BatchTarget): Promise<boolean> {
    return this.attempt(async () => {
      this.batchNotice = null;
      await this.client.call('batch.segment', 'seriesIds' in target ? { modelId, seriesIds: target.seriesIds } : { modelId, where: { status: target.status } });
      await this.refresh();
    });
  }

  async resumeBatch(batchId: number): Promise<boolean> {
    return this.attempt(async () => {
      this.batchNotice = null;
      await this.client.call('batch.resume', { batchId });
      await this.refresh();
    });
  }

  async cancelBatch(batchId: number): Promise<boolean> {
    return this.attempt(async () => {
      const jobId = this.batches.find((b) => b.id === batchId)?.jobId;
      if (!jobId) throw new Error(`Batch ${batchId} is not running in this host: nothing to cancel here`);
      await this.client.call('jobs.cancel', { jobId });
      await this.refresh();
    });
  }

  // ---- the review walk

  /** The open case is the one the viewer shows (opening another series elsewhere leaves the walk). */
  get reviewing(): boolean {
    return this.openCase !== null && this.viewer.series?.id === this.openCase;
  }

  get openRow(): WorklistRow | null {
    return this.openCase === null ? null : (this.rowById.get(this.openCase) ?? null);
  }

  /** The reasons the open case is in the review queue, weightiest first. */
  get openReasons(): QueueReason[] {
    const entry = this.openCase === null ? undefined : this.queueById.get(this.openCase);
    return entry ? [...entry.reasons].sort((a, b) => b.score - a.score) : [];
  }

  get aiVersionId(): number | null {
    if (this.openCase === null) return null;
    return this.rowById.get(this.openCase)?.aiVersionId ?? this.queueById.get(this.openCase)?.aiVersionId ?? null;
  }

  /** Open a case in the viewer with its segmentation; next / previous then walk `walk`. */
  async open(seriesId: number, walk: number[] = this.visible.map((r) => r.seriesId)): Promise<void> {
    this.walk = walk;
    this.openCase = seriesId;
    this.cursorId = seriesId;
    this.reviewError = null;
    this.reviewNotice = null;
    if (!this.queueLoaded) void this.fetchQueue(); // the review bar shows the case's reasons
    this.showViewer();
    const opening = this.viewer.open(seriesId);
    await settledOr(() => this.viewer.series?.id === seriesId, opening);
    if (this.viewer.series?.id !== seriesId) return; // it failed, or another case was opened meanwhile
    await this.viewer.editing.start();
  }

  async step(by: 1 | -1): Promise<boolean> {
    const id = this.walk[this.walkIndex + by];
    if (this.walkIndex < 0 || id === undefined) {
      this.reviewNotice = by > 0 ? 'That was the last case in the list.' : 'This is the first case in the list.';
      return false;
    }
    await this.open(id, this.walk);
    return true;
  }

  /** Accept the open case, or request changes (a comment is required); then the next case. */
  async decide(decision: Decision, comment = ''): Promise<boolean> {
    const seriesId = this.openCase;
    if (seriesId === null) return false;
    if (this.deciding) {
      this.reviewError = 'Still saving the previous decision: try again in a moment.';
      return false;
    }
    if (decision === 'request-changes' && !comment.trim()) {
      this.reviewError = 'Say what should change.';
      return false;
    }
    this.deciding = true;
    this.reviewError = null;
    const editing = this.viewer.editing;
    const here = this.viewer.series?.id === seriesId;
    try {
      if (here) {
        editing.versions.closeComparison();
        await editing.flushed(); // every edit is stored before the decision (it becomes a version)
      }
      await this.client.call('worklist.decide', { seriesId, decision, comment: comment.trim() });
      const status: CaseStatus = decision === 'accept' ? 'accepted' : 'changes-requested';
      this.rows = this.rows.map((r) => (r.seriesId === seriesId ? { ...r, status } : r));
    } catch (err) {
      this.reviewError = (err as Error).message;
      return false;
    } finally {
      // decided: the next decision may come while the next case is still loading
      this.deciding = false;
    }
    this.changed();
    if (!(await this.step(1)) && here) await editing.reload(); // the last case: show its new state
    return true;
  }

  /** Whether the open case's AI version is shown as a diff against the working state. */
  get diffShown(): boolean {
    const c = this.viewer.editing.versions.comparison;
    return c !== null && c.version.id === this.aiVersionId && c.showDiff;
  }

  /** Show (or hide) where the working state differs from the latest AI version. */
  async toggleAiDiff(): Promise<void> {
    const versions = this.viewer.editing.versions;
    const aiVersionId = this.aiVersionId;
    this.reviewError = null;
    if (aiVersionId === null) {
      this.reviewError = 'This case has no AI version to compare with.';
      return;
    }
    if (this.diffShown) return versions.closeComparison();
    if (versions.comparison?.version.id !== aiVersionId) await versions.compare(aiVersionId);
    if (versions.comparison?.version.id !== aiVersionId) {
      this.reviewError = this.viewer.editing.error ?? 'The AI version could not be compared (is the segmentation open?).';
      return;
    }
    versions.showDiff(true);
  }

  leaveReview(): void {
    this.openCase = null;
    this.walk = [];
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const off of this.offs) off();
    this.report.dispose();
  }

  private async attempt(body: () => Promise<void>): Promise<boolean> {
    try {
      await body();
      this.error = null;
      return true;
    } catch (err) {
      this.error = (err as Error).message;
      return false;
    }
  }
}

/** Resolves once `condition` holds (checked every frame or so) or `settled` settles, whichever is first. */
function settledOr(condition: () => boolean, settled: Promise<unknown>): Promise<void> {
  return new Promise((resolve) => {
    const finish = () => {
      clearInterval(timer);
      resolve();
    };
    const timer = setInterval(() => condition() && finish(), 16);
    void settled.finally(finish);
  });
}
