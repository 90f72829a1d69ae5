/**
 * Immutable segmentation versions. A version stores either every non-empty slice (a snapshot) or the
 * sparse XOR deltas of the slices changed since its parent (slice-codec.ts). A new snapshot is taken
 * when the deltas since the last one would outweigh it (or a floor for small masks), or after
 * MAX_CHAIN versions, so loading any version reads one snapshot plus deltas no bigger than it, and a
 * long history of small edits costs about twice one compressed mask at most.
 */
import type { Database } from 'better-sqlite3';
import type { Segment } from '../../shared/editing/segments.js';
import type { Provenance, VersionInfo, VersionSource } from '../../shared/segmentation.js';
import { applySparseXor, compressSlice, decompressSliceInto } from './slice-codec.js';

/** When a new version is stored whole: tests shrink these to see snapshots on small grids. */
export interface SnapshotPolicy {
  /** versions between two snapshots at most (each costs a query when loading) */
  maxChain: number;
  /** deltas since the snapshot may add up to its size, or to this much for a small mask */
  minDeltaBudget: number;
}

export const MAX_CHAIN = 256;
export const DEFAULT_SNAPSHOT_POLICY: SnapshotPolicy = { maxChain: MAX_CHAIN, minDeltaBudget: 256 * 1024 };

export interface VersionRow {
  id: number;
  segmentation_id: number;
  number: number;
  parent_id: number | null;
  name: string;
  author: string;
  created_at: string;
  source: VersionSource;
  provenance: string;
  label_type: 'uint8' | 'uint16';
  segments: string;
  snapshot: 0 | 1;
  chain_length: number;
  chain_bytes: number;
  payload_bytes: number;
}

/** The grid a segmentation's slices live on, in bytes. */
export interface SliceLayout {
  sliceBytes: number;
  slices: number;
}

export interface NewVersion {
  segmentationId: number;
  parentId: number | null;
  name: string;
  author: string;
  source: VersionSource;
  provenance: Provenance;
  labelType: 'uint8' | 'uint16';
  segments: Segment[];
}

export class VersionStore {
  private readonly byId;
  private readonly sliceRows;
  private readonly oneSlice;

  constructor(
    private readonly db: Database,
    private readonly policy: SnapshotPolicy = DEFAULT_SNAPSHOT_POLICY,
  ) {
    this.byId = db.prepare('SELECT * FROM segmentation_versions WHERE id = ?');
    this.sliceRows = db.prepare('SELECT k, payload FROM version_slices WHERE version_id = ?');
    this.oneSlice = db.prepare('SELECT version_id, payload FROM version_slices WHERE k = ? AND version_id IN (SELECT value FROM json_each(?))');
  }

  get(id: number): VersionRow | undefined {
    return this.byId.get(id) as VersionRow | undefined;
  }

  list(segmentationId: number): VersionInfo[] {
    const rows = this.db.prepare('SELECT * FROM segmentation_versions WHERE segmentation_id = ? ORDER BY number').all(segmentationId) as VersionRow[];
    return rows.map(versionInfo);
  }

  /** The whole label map of a version, as bytes (slice after slice). */
  load(id: number, layout: SliceLayout): Uint8Array {
    const out = new Uint8Array(layout.sliceBytes * layout.slices);
    const chain = this.chain(id);
    const slice = (k: number) => out.subarray(k * layout.sliceBytes, (k + 1) * layout.sliceBytes);
    for (const row of this.sliceRows.iterate(chain[0]!.id) as Iterable<{ k: number; payload: Uint8Array }>) decompressSliceInto(row.payload, slice(row.k));
    for (const delta of chain.slice(1)) {
      for (const row of this.sliceRows.iterate(delta.id) as Iterable<{ k: number; payload: Uint8Array }>) applySparseXor(row.payload, slice(row.k));
    }
    return out;
  }

  /** Slice k of a version (one query over its chain). */
  loadSlice(id: number, k: number, sliceBytes: number): Uint8Array {
    const out = new Uint8Array(sliceBytes);
    const [snapshot, ...deltas] = this.chain(id);
    const rows = new Map((this.oneSlice.all(k, JSON.stringify([snapshot!.id, ...deltas.map((d) => d.id)])) as { version_id: number; payload: Uint8Array }[]).map((r) => [r.version_id, r.payload]));
    const first = rows.get(snapshot!.id);
    if (first) decompressSliceInto(first, out);
    for (const delta of deltas) {
      const payload = rows.get(delta.id);
      if (payload) applySparseXor(payload, out);
    }
    return out;
  }

  /**
   * Store a new version: the parent's content with `deltas` (k → sparse XOR payload against the
   * parent's slice) applied. When a snapshot is due, `whole()` gives the new content in full. Call
   * inside the caller's transaction. Returns the new version's id.
   */
  create(version: NewVersion, layout: SliceLayout, deltas: ReadonlyMap<number, Uint8Array>, whole: () => Uint8Array): number {
    const parent = version.parentId === null ? undefined : this.get(version.parentId);
    const deltaBytes = [...deltas.values()].reduce((n, p) => n + p.byteLength, 0);
    const asDelta = parent && parent.chain_length + 1 < this.policy.maxChain && parent.chain_bytes + deltaBytes <= Math.max(this.policy.minDeltaBudget, this.snapshotBytes(parent.id));
    let slices: [number, Uint8Array][];
    if (asDelta) {
      slices = [...deltas].filter(([, payload]) => payload.byteLength > 0);
    } else {
      const state = whole();
      slices = [];
      for (let k = 0; k < layout.slices; k++) {
        const payload = compressSlice(state.subarray(k * layout.sliceBytes, (k + 1) * layout.sliceBytes));
        if (payload.byteLength) slices.push([k, payload]);
      }
    }
    const number = this.nextNumber(version.segmentationId);
    const payloadBytes = slices.reduce((n, [, p]) => n + p.byteLength, 0);
    const { lastInsertRowid } = this.db
      .prepare(
        'INSERT INTO segmentation_versions (segmentation_id, number, parent_id, name, author, created_at, source, provenance, label_type, segments, snapshot, chain_length, chain_bytes, payload_bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        version.segmentationId,
        number,
        version.parentId,
        version.name,
        version.author,
        new Date().toISOString(),
        version.source,
        JSON.stringify(version.provenance),
        version.labelType,
        JSON.stringify(version.segments),
        asDelta ? 0 : 1,
        asDelta ? parent.chain_length + 1 : 0,
        asDelta ? parent.chain_bytes + payloadBytes : 0,
        payloadBytes,
      );
    const id = Number(lastInsertRowid);
    const insert = this.db.prepare('INSERT INTO version_slices (version_id, k, payload) VALUES (?, ?, ?)');
    for (const [k, payload] of slices) insert.run(id, k, payload);
    return id;
  }

  /** The number the segmentation's next version will get. */
  nextNumber(segmentationId: number): number {
    return ((this.db.prepare('SELECT max(number) AS n FROM segmentation_versions WHERE segmentation_id = ?').get(segmentationId) as { n: number | null }).n ?? 0) + 1;
  }

  /** The version and its ancestors back to the nearest snapshot, oldest (the snapshot) first. */
  private chain(id: number): VersionRow[] {
    const chain: VersionRow[] = [];
    let row = this.get(id);
    while (row) {
      chain.unshift(row);
      if (row.snapshot) return chain;
      row = row.parent_id === null ? undefined : this.get(row.parent_id);
    }
    throw new Error(`version ${id} has no snapshot among its ancestors: the store is damaged`);
  }

  private snapshotBytes(id: number): number {
    return this.chain(id)[0]!.payload_bytes;
  }
}

export function versionInfo(row: VersionRow): VersionInfo {
  return {
    id: row.id,
    segmentationId: row.segmentation_id,
    number: row.number,
    parentId: row.parent_id,
    name: row.name,
    author: row.author,
    createdAt: row.created_at,
    source: row.source,
    provenance: JSON.parse(row.provenance) as Provenance,
    segments: JSON.parse(row.segments) as Segment[],
    snapshot: row.snapshot === 1,
    payloadBytes: row.payload_bytes,
  };
}
