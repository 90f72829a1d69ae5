/**
 * Planar contours of a label map and back, as RTSTRUCT needs them: trace the boundary of one label on
 * one slice into closed polygons, fill polygons back into voxels (even-odd), and check foreign ones.
 *
 * Coordinates are voxel (i, j) of the slice: voxel (i, j) is the unit square centred on (i, j).
 * Contours follow voxel edges (the exact outline of the voxels' union) rather than marching squares
 * through voxel centres: both rasterise back exactly when sampled at voxel centres, but edge contours
 * also keep every voxel's full area, so a planning system that fills by area coverage, or computes
 * volumes and DVHs from the polygons, gets the same voxels and volume (a one-voxel structure is a
 * square of area 1, not a diamond of area ½ sitting exactly at a 50% coverage threshold).
 */

/** A closed polygon: x0, y0, x1, y1, … in voxel (i, j); the last point joins the first (not repeated). */
export type Polygon = Float64Array;

/** Pixel range [i0, i1) × [j0, j1) of a slice. */
export interface Box {
  i0: number;
  j0: number;
  i1: number;
  j1: number;
}

/**
 * Where two foreground voxels meet only at a corner (a saddle), each boundary cuts that voxel's
 * corner by this much (in voxels) along both edges, so contours never touch. The cut triangles
 * (area SADDLE_CUT²/2 each) lie far from any voxel centre.
 */
export const SADDLE_CUT = 0.25;

export interface TraceOptions {
  /** where labels of slice k start (k · width · height); default 0 */
  offset?: number;
  /** only voxels in this box count (the box must hold every voxel of the label); default the slice */
  box?: Box;
  /** keep only the corners where the outline turns (default true); false keeps every lattice corner */
  simplify?: boolean;
}

// directions: 0 east (+i), 1 south (+j), 2 west (−i), 3 north (−j); "right turn" is d + 1
const DX = [1, 0, -1, 0] as const;
const DY = [0, 1, 0, -1] as const;
// corner configuration bits: voxel up-left 1, up-right 2, down-left 4, down-right 8
const SADDLE_A = 1 | 8;
const SADDLE_B = 2 | 4;
/**
 * The one edge leaving a corner (foreground kept on the right, so outer boundaries run clockwise on
 * screen and have positive shoelace area in (i, j), holes negative); -1 for none or a saddle.
 */
const OUT_DIR = [-1, 2, 3, 2, 1, 1, -1, 1, 0, -1, 3, 2, 0, 0, 3, -1];

/**
 * The boundary of voxels equal to `value` on one slice, as closed polygons along voxel edges: one per
 * outer boundary (positive area) and one per hole (negative area). Foreground voxels that touch only
 * at a corner stay separate (4-connected foreground), with the corner cut by SADDLE_CUT.
 */
export function traceContours(labels: ArrayLike<number>, width: number, height: number, value: number, options: TraceOptions = {}): Polygon[] {
  const offset = options.offset ?? 0;
  const box = options.box ?? { i0: 0, j0: 0, i1: width, j1: height };
  const simplify = options.simplify ?? true;
  const w = box.i1 - box.i0;
  const h = box.j1 - box.j0;
  if (w <= 0 || h <= 0) return [];
  // foreground with a one-voxel empty border, so every corner has four neighbours
  const pw = w + 2;
  const inside = new Uint8Array(pw * (h + 2));
  for (let y = 0; y < h; y++) {
    const row = offset + (box.j0 + y) * width + box.i0;
    for (let x = 0; x < w; x++) if (labels[row + x] === value) inside[(y + 1) * pw + x + 1] = 1;
  }
  // corners (cx, cy), cx in 0..w, cy in 0..h; corner (cx, cy) is the up-left corner of local voxel (cx, cy)
  const cw = w + 1;
  const config = (cx: number, cy: number): number => {
    const top = cy * pw + cx;
    const bottom = top + pw;
    return inside[top]! | (inside[top + 1]! << 1) | (inside[bottom]! << 2) | (inside[bottom + 1]! << 3);
  };
  const visited = new Uint8Array(cw * (h + 1)); // bit d: the edge leaving this corner in direction d was walked
  const polygons: Polygon[] = [];
  const x0 = box.i0 - 0.5;
  const y0 = box.j0 - 0.5;
  for (let cy = 0; cy <= h; cy++) {
    for (let cx = 0; cx <= w; cx++) {
      const c = config(cx, cy);
      if (c === 0 || c === 15) continue;
      const leaving = c === SADDLE_A ? 0b0101 : c === SADDLE_B ? 0b1010 : 1 << OUT_DIR[c]!;
      for (let start = 0; start < 4; start++) {
        if (!(leaving & (1 << start)) || visited[cy * cw + cx]! & (1 << start)) continue;
        const points: number[] = [];
        let x = cx;
        let y = cy;
        let d = start;
        do {
          visited[y * cw + x]! |= 1 << d;
          x += DX[d]!;
          y += DY[d]!;
          const here = config(x, y);
          const saddle = here === SADDLE_A || here === SADDLE_B;
          const next = saddle ? (d + 1) % 4 : OUT_DIR[here]!;
          const px = x0 + x;
          const py = y0 + y;
          if (saddle) points.push(px - SADDLE_CUT * DX[d]!, py - SADDLE_CUT * DY[d]!, px + SADDLE_CUT * DX[next]!, py + SADDLE_CUT * DY[next]!);
          else if (next !== d || !simplify) points.push(px, py);
          d = next;
        } while (x !== cx || y !== cy || d !== start);
        polygons.push(Float64Array.from(points));
      }
    }
  }
  return polygons;
}

/** Shoelace area in voxels²: positive for outer boundaries as traced, negative for holes. */
export function signedArea(polygon: Polygon): number {
  const n = polygon.length / 2;
  let sum = 0;
  for (let a = 0, b = n - 1; a < n; b = a++) sum += polygon[2 * b]! * polygon[2 * a + 1]! - polygon[2 * a]! * polygon[2 * b + 1]!;
  return sum / 2;
}

/** Centres closer than this (voxels) to a contour count as on it, and so inside (PS3.3 C.8.8.6.3). */
export const ON_CONTOUR = 1e-3;

/**
 * Fill closed polygons even-odd at voxel centres, row by row, calling span(j, iStart, iEnd) for each
 * run of inside voxels [iStart, iEnd] (inclusive, clipped to the slice; runs may overlap). Centres
 * on a contour (within ON_CONTOUR) count as inside, as DICOM says points on the path belong to the
 * ROI. Our own contours keep ≥ 0.25 voxel from every centre, so they come back exactly.
 */
export function fillSpans(polygons: readonly Polygon[], width: number, height: number, span: (j: number, i0: number, i1: number) => void): void {
  // edges crossing each row j (ymin ≤ j < ymax), bucketed by row in one flat array
  let yMin = Infinity;
  let yMax = -Infinity;
  for (const p of polygons)
    for (let a = 1; a < p.length; a += 2) {
      yMin = Math.min(yMin, p[a]!);
      yMax = Math.max(yMax, p[a]!);
    }
  const jFirst = Math.max(0, Math.ceil(yMin - ON_CONTOUR));
  const jLast = Math.min(height - 1, Math.floor(yMax + ON_CONTOUR));
  if (jFirst > jLast) return;
  const rows = jLast - jFirst + 1;
  const counts = new Int32Array(rows + 1);
  const eachEdge = (visit: (xa: number, ya: number, xb: number, yb: number) => void): void => {
    for (const p of polygons) {
      const n = p.length / 2;
      for (let a = 0, b = n - 1; a < n; b = a++) {
        // order endpoints so an edge and its reverse (a keyhole channel) give bit-identical crossings
        const [xa, ya, xb, yb] = p[2 * b + 1]! < p[2 * a + 1]! || (p[2 * b + 1] === p[2 * a + 1] && p[2 * b]! < p[2 * a]!)
          ? [p[2 * b]!, p[2 * b + 1]!, p[2 * a]!, p[2 * a + 1]!]
          : [p[2 * a]!, p[2 * a + 1]!, p[2 * b]!, p[2 * b + 1]!];
        visit(xa, ya, xb, yb);
      }
    }
  };
  const onRow = (y: number): boolean => Math.abs(y - Math.round(y)) <= ON_CONTOUR;
  const rowRange = (ya: number, yb: number): [number, number] => [Math.max(jFirst, Math.ceil(ya)), Math.min(jLast + 1, Math.ceil(yb))];
  eachEdge((_xa, ya, _xb, yb) => {
    const [from, to] = rowRange(ya, yb);
    for (let j = from; j < to; j++) counts[j - jFirst + 1]!++;
  });
  for (let r = 0; r < rows; r++) counts[r + 1]! += counts[r]!;
  const xs = new Float64Array(counts[rows]!);
  const fillAt = counts.slice(0, rows);
  eachEdge((xa, ya, xb, yb) => {
    const [from, to] = rowRange(ya, yb);
    for (let j = from; j < to; j++) xs[fillAt[j - jFirst]!++] = xa + ((j - ya) * (xb - xa)) / (yb - ya);
    // edges along a row (within tolerance) and vertices on a centre lie on the path: inside
    if (onRow(ya) && Math.abs(yb - Math.round(ya)) <= ON_CONTOUR) emit(Math.round(ya), Math.min(xa, xb), Math.max(xa, xb));
    else {
      if (onRow(ya)) emit(Math.round(ya), xa, xa);
      if (onRow(yb)) emit(Math.round(yb), xb, xb);
    }
  });
  function emit(j: number, xFrom: number, xTo: number): void {
    const i0 = Math.max(0, Math.ceil(xFrom - ON_CONTOUR));
    const i1 = Math.min(width - 1, Math.floor(xTo + ON_CONTOUR));
    if (j >= 0 && j < height && i0 <= i1) span(j, i0, i1);
  }
  for (let r = 0; r < rows; r++) {
    const row = xs.subarray(counts[r]!, counts[r + 1]!).sort();
    for (let c = 0; c + 1 < row.length; c += 2) emit(jFirst + r, row[c]!, row[c + 1]!);
  }
}

/** Even-odd fill of closed polygons at voxel centres into a width × height mask (1 inside). */
export function rasterisePolygons(polygons: readonly Polygon[], width: number, height: number): Uint8Array {
  const mask = new Uint8Array(width * height);
  fillSpans(polygons, width, height, (j, i0, i1) => mask.fill(1, j * width + i0, j * width + i1 + 1));
  return mask;
}

/**
 * A contour as read: consecutive repeated points dropped, and the last point too when it repeats the
 * first (CLOSED_PLANAR implies the closing edge and says the first point is not repeated, but some
 * writers repeat it anyway).
 */
export function withoutRepeats(polygon: Polygon): Polygon {
  const n = polygon.length / 2;
  const out: number[] = [];
  for (let a = 0; a < n; a++) {
    const x = polygon[2 * a]!;
    const y = polygon[2 * a + 1]!;
    if (out.length && out[out.length - 2] === x && out[out.length - 1] === y) continue;
    out.push(x, y);
  }
  while (out.length > 2 && out[0] === out[out.length - 2] && out[1] === out[out.length - 1]) out.length -= 2;
  return Float64Array.from(out);
}

export interface Crossing {
  /** index of the contour and segment (segment s runs from point s to point s + 1) of each side */
  a: { contour: number; segment: number };
  b: { contour: number; segment: number };
  /** where they cross, in voxel (i, j) */
  at: [number, number];
}

/** Distance below which points count as on a line (voxels): touching and keyhole channels are fine. */
export const CROSSING_TOLERANCE = 1e-4;

/**
 * The first place where two segments of these closed polygons properly cross (each passes through
 * the other's interior), or null. Segments that only touch, share an endpoint or run along each
 * other (a keyhole channel) do not count: even-odd filling reads those unambiguously. Segments are
 * bucketed in a uniform grid so long contours cost about O(n), not O(n²).
 */
export function findCrossing(polygons: readonly Polygon[]): Crossing | null {
  const segs: { contour: number; segment: number; count: number; x1: number; y1: number; x2: number; y2: number }[] = [];
  polygons.forEach((p, contour) => {
    const n = p.length / 2;
    for (let s = 0; s < n; s++) {
      const t = (s + 1) % n;
      segs.push({ contour, segment: s, count: n, x1: p[2 * s]!, y1: p[2 * s + 1]!, x2: p[2 * t]!, y2: p[2 * t + 1]! });
    }
  });
  if (segs.length < 2) return null;
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  let length = 0;
  for (const s of segs) {
    minX = Math.min(minX, s.x1, s.x2);
    minY = Math.min(minY, s.y1, s.y2);
    maxX = Math.max(maxX, s.x1, s.x2);
    maxY = Math.max(maxY, s.y1, s.y2);
    length += Math.hypot(s.x2 - s.x1, s.y2 - s.y1);
  }
  // cells about one mean segment long, but never more than ~4 per segment
  let cell = Math.max(length / segs.length, 1e-9);
  while (((maxX - minX) / cell + 1) * ((maxY - minY) / cell + 1) > 4 * segs.length + 16) cell *= 2;
  const gw = Math.floor((maxX - minX) / cell) + 1;
  const gh = Math.floor((maxY - minY) / cell) + 1;
  const cellsOf = (s: (typeof segs)[number], visit: (cell: number) => void): void => {
    const cx0 = Math.floor((Math.min(s.x1, s.x2) - minX) / cell);
    const cx1 = Math.floor((Math.max(s.x1, s.x2) - minX) / cell);
    const cy0 = Math.floor((Math.min(s.y1, s.y2) - minY) / cell);
    const cy1 = Math.floor((Math.max(s.y1, s.y2) - minY) / cell);
    for (let cy = cy0; cy <= cy1; cy++) for (let cx = cx0; cx <= cx1; cx++) visit(cy * gw + cx);
  };
  const start = new Int32Array(gw * gh + 1);
  for (const s of segs) cellsOf(s, (c) => start[c + 1]!++);
  for (let c = 0; c < gw * gh; c++) start[c + 1]! += start[c]!;
  const members = new Int32Array(start[gw * gh]!);
  const at = start.slice(0, gw * gh);
  segs.forEach((s, index) => cellsOf(s, (c) => (members[at[c]!++] = index)));
  for (let c = 0; c < gw * gh; c++) {
    for (let m = start[c]!; m < start[c + 1]!; m++) {
      for (let o = m + 1; o < start[c + 1]!; o++) {
        const p = segs[members[m]!]!;
        const q = segs[members[o]!]!;
        if (p.contour === q.contour && ((p.segment + 1) % p.count === q.segment || (q.segment + 1) % q.count === p.segment)) continue;
        const hit = properCrossing(p, q);
        if (hit) return { a: { contour: p.contour, segment: p.segment }, b: { contour: q.contour, segment: q.segment }, at: hit };
      }
    }
  }
  return null;
}

type Segment = { x1: number; y1: number; x2: number; y2: number };

/** Signed distance of (x, y) from the line through s (0 when s has no length). */
function side(s: Segment, x: number, y: number): number {
  const len = Math.hypot(s.x2 - s.x1, s.y2 - s.y1);
  if (len === 0) return 0;
  const d = ((s.x2 - s.x1) * (y - s.y1) - (s.y2 - s.y1) * (x - s.x1)) / len;
  return Math.abs(d) <= CROSSING_TOLERANCE ? 0 : d;
}

function properCrossing(p: Segment, q: Segment): [number, number] | null {
  const a = side(p, q.x1, q.y1);
  const b = side(p, q.x2, q.y2);
  if (a === 0 || b === 0 || Math.sign(a) === Math.sign(b)) return null;
  const c = side(q, p.x1, p.y1);
  const d = side(q, p.x2, p.y2);
  if (c === 0 || d === 0 || Math.sign(c) === Math.sign(d)) return null;
  const t = c / (c - d);
  return [p.x1 + t * (p.x2 - p.x1), p.y1 + t * (p.y2 - p.y1)];
}

/** The slice plane a contour's points lie nearest to, and how far (in slices) the farthest point is off it. */
export function nearestSlice(ks: ArrayLike<number>): { slice: number; offPlane: number } {
  let sum = 0;
  for (let a = 0; a < ks.length; a++) sum += ks[a]!;
  const slice = Math.round(sum / ks.length);
  let offPlane = 0;
  for (let a = 0; a < ks.length; a++) offPlane = Math.max(offPlane, Math.abs(ks[a]! - slice));
  return { slice, offPlane };
}
