import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  findCrossing,
  nearestSlice,
  rasterisePolygons,
  SADDLE_CUT,
  signedArea,
  traceContours,
  withoutRepeats,
  type Polygon,
} from '../../src/shared/interchange/contours.js';
import { random } from '../helpers/random.js';

type Mask = { data: Uint8Array; w: number; h: number };

const poly = (...xy: number[]): Polygon => Float64Array.from(xy);

/** Discs and ellipses of random size, some with holes: the organ-like case. */
function blobs(seed: number, w: number, h: number): Mask {
  const rnd = random(seed);
  const data = new Uint8Array(w * h);
  for (let n = 0; n < 1 + Math.floor(rnd() * 5); n++) {
    const cx = rnd() * w;
    const cy = rnd() * h;
    const rx = 1 + rnd() * w * 0.4;
    const ry = 1 + rnd() * h * 0.4;
    const hole = rnd() < 0.4 ? 0.3 + rnd() * 0.4 : 0;
    for (let j = 0; j < h; j++)
      for (let i = 0; i < w; i++) {
        const r = ((i - cx) / rx) ** 2 + ((j - cy) / ry) ** 2 + (rnd() - 0.5) * 0.15;
        if (r <= 1 && r > hole * hole) data[j * w + i] = 1;
      }
  }
  return { data, w, h };
}

/** Independent noise: many one-voxel features and saddles (p = 0.5 is the worst case). */
function noise(seed: number, w: number, h: number, p: number): Mask {
  const rnd = random(seed);
  return { data: Uint8Array.from({ length: w * h }, () => (rnd() < p ? 1 : 0)), w, h };
}

function checkerboard(w: number, h: number, cell = 1): Mask {
  return { data: Uint8Array.from({ length: w * h }, (_, n) => ((Math.floor((n % w) / cell) + Math.floor(Math.floor(n / w) / cell)) % 2 === 0 ? 1 : 0)), w, h };
}

/** Rings inside rings: outer boundary, hole, island in the hole, hole in the island. */
function rings(w: number, h: number): Mask {
  const data = new Uint8Array(w * h);
  const c = [(w - 1) / 2, (h - 1) / 2];
  for (let j = 0; j < h; j++)
    for (let i = 0; i < w; i++) {
      const r = Math.hypot(i - c[0]!, j - c[1]!);
      if ((r < 3) || (r >= 5 && r < 8) || (r >= 10 && r < 14)) data[j * w + i] = 1;
    }
  return { data, w, h };
}

/** Number of corners where exactly two diagonal voxels are set (each gets two cuts). */
function saddles({ data, w, h }: Mask): number {
  let n = 0;
  const at = (i: number, j: number) => (i >= 0 && j >= 0 && i < w && j < h ? data[j * w + i]! : 0);
  for (let y = 0; y <= h; y++)
    for (let x = 0; x <= w; x++) {
      const [tl, tr, bl, br] = [at(x - 1, y - 1), at(x, y - 1), at(x - 1, y), at(x, y)];
      if (tl + tr + bl + br === 2 && tl === br) n++;
    }
  return n;
}

/** Connected components of voxels equal to `value` (4- or 8-connected); those touching the border flagged. */
function components({ data, w, h }: Mask, value: number, eight: boolean): { count: number; touchingBorder: number } {
  const seen = new Uint8Array(w * h);
  let count = 0;
  let touchingBorder = 0;
  const steps = eight ? [[1, 0], [-1, 0], [0, 1], [0, -1], [1, 1], [1, -1], [-1, 1], [-1, -1]] : [[1, 0], [-1, 0], [0, 1], [0, -1]];
  for (let s = 0; s < w * h; s++) {
    if (seen[s] || data[s] !== value) continue;
    count++;
    let border = false;
    const stack = [s];
    seen[s] = 1;
    while (stack.length) {
      const v = stack.pop()!;
      const i = v % w;
      const j = (v - i) / w;
      if (i === 0 || j === 0 || i === w - 1 || j === h - 1) border = true;
      for (const [di, dj] of steps) {
        const ni = i + di!;
        const nj = j + dj!;
        if (ni < 0 || nj < 0 || ni >= w || nj >= h) continue;
        const n = nj * w + ni;
        if (!seen[n] && data[n] === value) {
          seen[n] = 1;
          stack.push(n);
        }
      }
    }
    if (border) touchingBorder++;
  }
  return { count, touchingBorder };
}

/** Every property a mask's contours must have; returns the contours for further checks. */
function checkRoundTrip(mask: Mask, what: string): Polygon[] {
  const { data, w, h } = mask;
  const contours = traceContours(data, w, h, 1);
  const back = rasterisePolygons(contours, w, h);
  assert.ok(Buffer.from(back).equals(Buffer.from(data)), `${what}: rasterised contours differ from the mask`);
  // every lattice corner kept: the same fill, and no vertex shared between or within contours
  const full = traceContours(data, w, h, 1, { simplify: false });
  assert.ok(Buffer.from(rasterisePolygons(full, w, h)).equals(Buffer.from(data)), `${what}: unsimplified contours differ`);
  const vertices = new Set<string>();
  let total = 0;
  for (const p of full)
    for (let a = 0; a < p.length; a += 2) {
      vertices.add(`${p[a]},${p[a + 1]}`);
      total++;
    }
  assert.equal(vertices.size, total, `${what}: contours touch (a vertex is visited twice)`);
  assert.equal(findCrossing(contours), null, `${what}: contours cross`);
  // the outline encloses exactly the voxels' area, less the saddle cuts
  const area = contours.reduce((sum, p) => sum + signedArea(p), 0);
  const voxels = data.reduce((sum, v) => sum + v, 0);
  assert.ok(Math.abs(area - (voxels - saddles(mask) * SADDLE_CUT * SADDLE_CUT)) < 1e-9, `${what}: area ${area} for ${voxels} voxels`);
  // one positive contour per 4-connected piece, one negative per enclosed 8-connected background piece
  const outer = contours.filter((p) => signedArea(p) > 0).length;
  const holes = contours.filter((p) => signedArea(p) < 0).length;
  assert.equal(outer, components(mask, 1, false).count, `${what}: outer contours`);
  const background = components(mask, 0, true);
  assert.equal(holes, background.count - background.touchingBorder, `${what}: holes`);
  return contours;
}

describe('contours: mask → contours → mask is exact', () => {
  test('blobs, some with holes, of many sizes (100 random cases)', () => {
    for (let seed = 1; seed <= 100; seed++) {
      const rnd = random(seed * 7919);
      checkRoundTrip(blobs(seed, 3 + Math.floor(rnd() * 60), 3 + Math.floor(rnd() * 60)), `blobs seed ${seed}`);
    }
  });

  test('noise at several densities: one-voxel features, saddles everywhere (60 cases)', () => {
    for (let seed = 1; seed <= 60; seed++) {
      const p = [0.05, 0.3, 0.5, 0.7, 0.95][seed % 5]!;
      checkRoundTrip(noise(seed, 1 + (seed % 23), 1 + ((seed * 7) % 29), p), `noise seed ${seed} p ${p}`);
    }
  });

  test('checkerboards: every interior corner a saddle, foreground voxels stay separate', () => {
    const one = checkerboard(9, 7);
    const contours = checkRoundTrip(one, 'checkerboard 1');
    assert.equal(contours.length, 32, 'one contour per set voxel');
    checkRoundTrip(checkerboard(16, 12, 3), 'checkerboard 3');
    // the inverse: background voxels separate, foreground one 8-connected web with holes
    const inverse = checkerboard(9, 7);
    inverse.data.forEach((v, n) => (inverse.data[n] = 1 - v));
    checkRoundTrip(inverse, 'inverse checkerboard');
  });

  test('rings with holes and islands in holes', () => {
    const contours = checkRoundTrip(rings(31, 29), 'rings');
    assert.deepEqual(contours.map((p) => Math.sign(signedArea(p))).sort(), [-1, -1, 1, 1, 1]);
  });

  test('shapes touching the image edge, full and one-voxel images', () => {
    checkRoundTrip({ data: new Uint8Array(12).fill(1), w: 4, h: 3 }, 'full image');
    checkRoundTrip({ data: Uint8Array.of(1), w: 1, h: 1 }, 'one voxel');
    checkRoundTrip({ data: Uint8Array.of(0), w: 1, h: 1 }, 'one empty voxel');
    const frame = { data: new Uint8Array(8 * 6), w: 8, h: 6 };
    for (let j = 0; j < 6; j++) for (let i = 0; i < 8; i++) if (i === 0 || j === 0 || i === 7 || j === 5) frame.data[j * 8 + i] = 1;
    const contours = checkRoundTrip(frame, 'frame along the border');
    assert.equal(contours.length, 2);
    const single = traceContours(Uint8Array.of(0, 0, 0, 0, 1, 0, 0, 0, 0), 3, 3, 1);
    assert.deepEqual([...single[0]!], [1.5, 0.5, 1.5, 1.5, 0.5, 1.5, 0.5, 0.5], 'the voxel square, clockwise on screen');
    assert.equal(signedArea(single[0]!), 1);
  });

  test('one label of a label map, found by offset and box, equals the whole-slice trace', () => {
    const rnd = random(5);
    const [w, h, d] = [20, 16, 3];
    const labels = Uint8Array.from({ length: w * h * d }, () => Math.floor(rnd() * 4));
    for (let k = 0; k < d; k++)
      for (const value of [1, 2, 3]) {
        let box = { i0: w, j0: h, i1: 0, j1: 0 };
        for (let j = 0; j < h; j++)
          for (let i = 0; i < w; i++)
            if (labels[k * w * h + j * w + i] === value) box = { i0: Math.min(box.i0, i), j0: Math.min(box.j0, j), i1: Math.max(box.i1, i + 1), j1: Math.max(box.j1, j + 1) };
        const whole = traceContours(labels, w, h, value, { offset: k * w * h });
        const boxed = traceContours(labels, w, h, value, { offset: k * w * h, box });
        const expected = Uint8Array.from({ length: w * h }, (_, n) => (labels[k * w * h + n] === value ? 1 : 0));
        assert.ok(Buffer.from(rasterisePolygons(boxed, w, h)).equals(Buffer.from(expected)), `slice ${k} value ${value}`);
        assert.deepEqual(boxed.map((p) => [...p]).sort(), whole.map((p) => [...p]).sort());
      }
  });

  test('filled by area coverage (4×4 samples per voxel, at least half inside), as some planning systems do, too', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const { data, w, h } = seed % 2 ? blobs(seed, 25, 20) : noise(seed, 17, 13, 0.5);
      // voxel (i, j) spans [i - 0.5, i + 0.5]: on a 4× grid its samples are the centres 4i .. 4i + 3
      const fine = traceContours(data, w, h, 1).map((p) => p.map((v) => (v + 0.5) * 4 - 0.5));
      const samples = rasterisePolygons(fine, 4 * w, 4 * h);
      for (let j = 0; j < h; j++)
        for (let i = 0; i < w; i++) {
          let covered = 0;
          for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) covered += samples[(4 * j + y) * 4 * w + 4 * i + x]!;
          assert.equal(covered >= 8 ? 1 : 0, data[j * w + i], `seed ${seed}: voxel (${i}, ${j}) covered ${covered}/16`);
          assert.ok(covered <= 1 || covered >= 15, `seed ${seed}: voxel (${i}, ${j}) only partly covered (${covered}/16)`);
        }
    }
  });

  test('collinear reduction keeps only turning points', () => {
    const mask = { data: new Uint8Array(10 * 10), w: 10, h: 10 };
    for (let j = 2; j < 8; j++) for (let i = 1; i < 9; i++) mask.data[j * 10 + i] = 1;
    assert.equal(traceContours(mask.data, 10, 10, 1)[0]!.length / 2, 4);
    assert.equal(traceContours(mask.data, 10, 10, 1, { simplify: false })[0]!.length / 2, 28);
  });
});

describe('contours: filling foreign contours', () => {
  test('a keyhole contour (outer and inner joined by a zero-width channel) fills like outer + hole', () => {
    const outer = [1.5, 1.5, 12.5, 1.5, 12.5, 12.5, 1.5, 12.5];
    const inner = [4.5, 4.5, 4.5, 9.5, 9.5, 9.5, 9.5, 4.5];
    const xor = rasterisePolygons([poly(...outer), poly(...inner)], 15, 15);
    // channel straight down from the outer top edge at x = 7 to the hole's top edge, and back
    const keyhole = poly(1.5, 1.5, 7, 1.5, 7, 4.5, 4.5, 4.5, 4.5, 9.5, 9.5, 9.5, 9.5, 4.5, 7, 4.5, 7, 1.5, 12.5, 1.5, 12.5, 12.5, 1.5, 12.5);
    assert.equal(findCrossing([keyhole]), null, 'a keyhole channel is not a crossing');
    const filled = rasterisePolygons([keyhole], 15, 15);
    // DICOM: points on the contour path are inside, so the channel's voxel centres (x = 7) count
    const expected = xor.slice();
    for (let j = 2; j <= 4; j++) expected[j * 15 + 7] = 1;
    assert.ok(Buffer.from(filled).equals(Buffer.from(expected)));
    assert.equal(xor.reduce((s, v) => s + v, 0), 11 * 11 - 5 * 5);
  });

  test('contours through voxel centres (as some exporters write them) include their boundary voxels', () => {
    const square = rasterisePolygons([poly(2, 2, 5, 2, 5, 5, 2, 5)], 8, 8);
    for (let j = 0; j < 8; j++) for (let i = 0; i < 8; i++) assert.equal(square[j * 8 + i], i >= 2 && i <= 5 && j >= 2 && j <= 5 ? 1 : 0, `(${i}, ${j})`);
    // the same after rounding in a decimal string (points a hair inside or outside)
    const rounded = rasterisePolygons([poly(2.0000004, 1.9999996, 4.9999996, 2.0000004, 5.0000004, 4.9999996, 1.9999996, 5.0000004)], 8, 8);
    assert.ok(Buffer.from(rounded).equals(Buffer.from(square)), 'centres within rounding of the contour are on it');
    const diamond = rasterisePolygons([poly(4, 1, 7, 4, 4, 7, 1, 4)], 9, 9);
    for (let j = 0; j < 9; j++) for (let i = 0; i < 9; i++) assert.equal(diamond[j * 9 + i], Math.abs(i - 4) + Math.abs(j - 4) <= 3 ? 1 : 0, `(${i}, ${j})`);
  });

  test('contours beyond the image are clipped to it', () => {
    const filled = rasterisePolygons([poly(-10, -10, 2.5, -10, 2.5, 30, -10, 30)], 5, 4);
    assert.deepEqual([...filled], [1, 1, 1, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0]);
  });
});

describe('contours: validation', () => {
  test('a bow-tie crosses itself, and where', () => {
    const crossing = findCrossing([poly(0, 0, 4, 4, 4, 0, 0, 4)]);
    assert.ok(crossing);
    assert.deepEqual(crossing.at, [2, 2]);
    assert.deepEqual([crossing.a.segment, crossing.b.segment].sort(), [0, 2]);
  });

  test('a crossing far along a long contour is found (grid buckets), and a long clean contour passes quickly', () => {
    // a 4000-point zig-zag comb whose last tooth is bent back across its neighbour
    const pts: number[] = [];
    for (let t = 0; t < 1000; t++) pts.push(t * 2, 0, t * 2, 50, t * 2 + 1, 50, t * 2 + 1, 0);
    pts.push(2000, -10, 0, -10);
    const clean = poly(...pts);
    const started = performance.now();
    assert.equal(findCrossing([clean]), null);
    assert.ok(performance.now() - started < 500, 'grid search is fast');
    const bent = pts.slice();
    bent[2 * 3997] = 1990.5; // a vertex of the 999th tooth moved across the 995th tooth's sides
    const crossing = findCrossing([poly(...bent)]);
    assert.ok(crossing, 'the bent tooth crosses');
    assert.ok(crossing.at[0] > 1990 && crossing.at[0] < 2000);
  });

  test('touching at a vertex or a point on an edge is not a crossing', () => {
    assert.equal(findCrossing([poly(0, 0, 2, 2, 4, 0, 4, 4, 2, 2, 0, 4)]), null, 'figure-8 through a shared vertex');
    assert.equal(findCrossing([poly(0, 0, 4, 0, 4, 4, 2, 0.00001, 0, 4)]), null, 'vertex within tolerance of an edge');
    assert.ok(findCrossing([poly(0, 0, 4, 0, 4, 4, 2, -0.1, 0, 4)]), 'vertex clearly past the edge crosses it');
    assert.equal(findCrossing([poly(0, 0, 3, 0, 3, 3, 0, 3), poly(1, 1, 2, 1, 2, 2, 1, 2)]), null, 'nested contours');
    assert.ok(findCrossing([poly(0, 0, 3, 0, 3, 3, 0, 3), poly(2, 1, 5, 1, 5, 2, 2, 2)]), 'overlapping contours cross');
  });

  test('repeated points and a repeated closing point are dropped before counting', () => {
    assert.deepEqual([...withoutRepeats(poly(0, 0, 1, 0, 1, 0, 1, 1, 0, 0))], [0, 0, 1, 0, 1, 1]);
    assert.equal(withoutRepeats(poly(3, 3, 3, 3, 3, 3)).length, 2, 'one point left: open');
    assert.equal(withoutRepeats(poly(0, 0, 1, 1, 0, 0)).length, 4, 'two points left: open');
  });

  test('nearest slice plane and how far off', () => {
    const near = nearestSlice([4, 4, 4.0000001]);
    assert.equal(near.slice, 4);
    assert.ok(Math.abs(near.offPlane - 1e-7) < 1e-12);
    const tilted = nearestSlice([3.8, 4.0, 4.2]);
    assert.equal(tilted.slice, 4);
    assert.ok(Math.abs(tilted.offPlane - 0.2) < 1e-12);
  });
});
