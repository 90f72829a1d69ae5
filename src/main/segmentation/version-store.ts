/**
 * Immutable segmentation versions. A version stores either every non-empty slice (a snapshot) or the
 * XOR deltas of the slices changed since its parent; a snapshot is forced every SNAPSHOT_EVERY
 * versions, and whenever the deltas would outweigh half a snapshot, so loading any version reads one
 * snapshot and at most SNAPSHOT_EVERY - 1 small deltas.
 */
import type { Database } from 'better-sqlite3';
import type { Segment } from '../../shared/editing/segments.js';
import type { Provenance, VersionInfo, VersionSource } from '../../shared/segmentation.js';
import { applyXorDelta, compressSlice, decompressSliceInto, isZero, xorInto } from './slice-codec.js';

export const SNAPSHOT_EVERY = 16;

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

  constructor(private readonly db: Database) {
    this.byId = db.prepare('SELECT * FROM segmentation_versions WHERE id = ?');
    this.sliceRows = db.prepare('SELECT k, payload FROM version_slices WHERE version_id = ?');
    this.oneSlice = db.prepare('SELECT payload FROM version_slices WHERE version_id = ? AND k = ?');
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
      for (const row of this.sliceRows.iterate(delta.id) as Iterable<{ k: number; payload: Uint8Array }>) applyXorDelta(row.payload, slice(row.k));
    }
    return out;
  }

  /** Slice k of a version. */
  loadSlice(id: number, k: number, sliceBytes: number): Uint8Array {
    const out = new Uint8Array(sliceBytes);
    const [snapshot, ...deltas] = this.chain(id);
    const first = this.oneSlice.get(snapshot!.id, k) as { payload: Uint8Array } | undefined;
    if (first) decompressSliceInto(first.payload, out);
    for (const delta of deltas) {
      const row = this.oneSlice.get(delta.id, k) as { payload: Uint8Array } | undefined;
      if (row) applyXorDelta(row.payload, out);
    }
    return out;
  }

  /**
   * Store a new version whose content is the parent's with `changed` slices (k → full new content)
   * replaced. Call inside the caller's transaction. Returns the new version's id.
   */
  create(version: NewVersion, layout: SliceLayout, changed: ReadonlyMap<number, Uint8Array>): number {
    const parent = version.parentId === null ? undefined : this.get(version.parentId);
    let deltas: [number, Uint8Array][] | null = null;
    if (parent && parent.chain_length + 1 < SNAPSHOT_EVERY) {
      deltas = [];
      for (const [k, bytes] of changed) {
        const xor = this.loadSlice(parent.id, k, layout.sliceBytes);
        xorInto(xor, bytes);
        if (!isZero(xor)) deltas.push([k, compressSlice(xor)]);
      }
      const deltaBytes = deltas.reduce((n, [, p]) => n + p.byteLength, 0);
      if (deltaBytes > this.snapshotBytes(parent.id) / 2) deltas = null;
    }
    let slices: [number, Uint8Array][];
    if (deltas) {
      slices = deltas;
    } else {
      const state = parent ? this.load(parent.id, layout) : new Uint8Array(layout.sliceBytes * layout.slices);
      for (const [k, bytes] of changed) state.set(bytes, k * layout.sliceBytes);
      slices = [];
      for (let k = 0; k < layout.slices; k++) {
        const payload = compressSlice(state.subarray(k * layout.sliceBytes, (k + 1) * layout.sliceBytes));
        if (payload.byteLength) slices.push([k, payload]);
      }
    }
    const number = ((this.db.prepare('SELECT max(number) AS n FROM segmentation_versions WHERE segmentation_id = ?').get(version.segmentationId) as { n: number | null }).n ?? 0) + 1;
    const payloadBytes = slices.reduce((n, [, p]) => n + p.byteLength, 0);
    const { lastInsertRowid } = this.db
      .prepare(
        'INSERT INTO segmentation_versions (segmentation_id, number, parent_id, name, author, created_at, source, provenance, label_type, segments, snapshot, chain_length, payload_bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
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
        deltas ? 0 : 1,
        deltas ? parent!.chain_length + 1 : 0,
        payloadBytes,
      );
    const id = Number(lastInsertRowid);
    const insert = this.db.prepare('INSERT INTO version_slices (version_id, k, payload) VALUES (?, ?, ?)');
    for (const [k, payload] of slices) insert.run(id, k, payload);
    return id;
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
