/**
 * Writes of one segmentation to the store, strictly in order, each naming the revision it was made on.
 * A write refused as stale (another window or process wrote since) stops the queue and raises
 * `conflict`: later edits stay on screen and in undo, and reach the store only through the user's
 * choice (keep mine as a new version, or take theirs).
 */
import type { Segment } from '../../shared/editing/segments.js';
import { DelineateError } from '../../shared/errors.js';
import type { SegmentationInfo } from '../../shared/segmentation.js';
import type { HostClient } from '../lib/host-client.js';

export interface Conflict {
  message: string;
  changedBy: string;
}

export class SegmentationSync {
  /** edits sent to the store and not yet confirmed */
  pendingWrites = $state(0);
  conflict = $state<Conflict | null>(null);
  /** slices autosaved since the head version */
  unsavedSlices = $state(0);
  /** the store's revision this window's state is based on */
  revision = 0;
  private id: number | null = null;
  private writes: Promise<void> = Promise.resolve();
  /** slices whose write failed (disk full, connection lost): sent again with the next edit */
  private failed = new Set<number>();

  constructor(
    private readonly client: HostClient,
    private readonly onError: (message: string) => void,
  ) {}

  /** Follow a freshly opened (or reloaded) segmentation. */
  reset(info: Pick<SegmentationInfo, 'id' | 'revision' | 'unsavedSlices'> | null): void {
    this.id = info?.id ?? null;
    this.revision = info?.revision ?? 0;
    this.unsavedSlices = info?.unsavedSlices ?? 0;
    this.conflict = null;
    this.failed.clear();
  }

  /** Take the result of a write made outside the queue (save version, review). */
  accept(info: Pick<SegmentationInfo, 'revision' | 'unsavedSlices'>): void {
    this.revision = info.revision;
    this.unsavedSlices = info.unsavedSlices;
  }

  writeSlices(slices: number[], data: Uint8Array | Uint16Array): void {
    this.enqueue(
      'Saving the segmentation',
      (id, baseRevision) => this.client.call('segmentation.writeSlices', { id, baseRevision, slices, data }),
      slices,
    );
  }

  /** Slices a failed write left unsaved (and forgets them: the caller sends them again). */
  takeFailed(): number[] {
    const slices = [...this.failed];
    this.failed.clear();
    return slices;
  }

  setSegments(segments: Segment[]): void {
    this.enqueue('Saving the segments', (id, baseRevision) => this.client.call('segmentation.setSegments', { id, baseRevision, segments }));
  }

  /** Resolves when every write so far has reached the store (or stopped at a conflict). */
  flushed(): Promise<void> {
    return this.writes;
  }

  private enqueue(what: string, write: (id: number, baseRevision: number) => Promise<SegmentationInfo>, slices: number[] = []): void {
    const id = this.id;
    if (id === null) return;
    this.pendingWrites++;
    this.writes = this.writes
      .then(async () => {
        if (this.conflict || this.id !== id) return; // held back until the conflict is resolved
        try {
          this.accept(await write(id, this.revision));
        } catch (err) {
          const details = err instanceof DelineateError ? err.details : undefined;
          if (err instanceof DelineateError && err.code === 'conflict' && details?.reason === 'stale') {
            this.conflict = { message: err.message, changedBy: String(details.changedBy ?? 'someone') };
          } else {
            for (const k of slices) this.failed.add(k);
            this.onError(`${what} failed: ${(err as Error).message}${slices.length ? ' The edit stays on screen and is saved again with your next change.' : ''}`);
          }
        }
      })
      .finally(() => this.pendingWrites--);
  }
}
