import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { boundarySignedDistance2d, distanceMap2d, distanceMap3d, signedDistanceMap, squaredDistanceMap } from '../../src/shared/editing/distance-map.js';
import type { Vec3 } from '../../src/shared/volume.js';
import { random } from '../helpers/random.js';

function randomMask(dims: Vec3, density: number, seed: number): Uint8Array {
  const next = random(seed);
  return Uint8Array.from({ length: dims[0] * dims[1] * dims[2] }, () => (next() < density ? 1 : 0));
}

/** Distance (mm) from every voxel to the nearest voxel whose value is `target`, by trying them all. */
function bruteForce(mask: Uint8Array, dims: Vec3, spacing: Vec3, target: 0 | 1): Float64Array {
  const [nx, ny] = dims;
  const coords = (v: number): Vec3 => [v % nx, Math.floor(v / nx) % ny, Math.floor(v / (nx * ny))];
  const targets = [...mask.keys()].filter((v) => (mask[v] !== 0 ? 1 : 0) === target).map(coords);
  return Float64Array.from(mask, (_, v) => {
    const p = coords(v);
    let best = Infinity;
    for (const q of targets) best = Math.min(best, Math.hypot(...p.map((c, a) => (c - q[a]!) * spacing[a]!)));
    return best;
  });
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, label: string): void {
  assert.equal(actual.length, expected.length);
  for (let v = 0; v < expected.length; v++) {
    const a = actual[v]!;
    const e = expected[v]!;
    if (e === Infinity) assert.equal(a, Infinity, `${label}: voxel ${v}`);
    else assert.ok(Math.abs(a - e) <= 1e-5 * (1 + e), `${label}: voxel ${v} is ${a}, brute force ${e}`);
  }
}

describe('distance map', () => {
  test('equals brute force on random 3D masks with anisotropic spacing, to the mask and to its outside', () => {
    const dims: Vec3 = [11, 9, 7];
    const spacing: Vec3 = [0.7, 1.3, 2.5];
    for (const [density, seed] of [[0.08, 1], [0.5, 2], [0.97, 3]] as const) {
      const mask = randomMask(dims, density, seed);
      for (const target of [1, 0] as const) {
        assertClose(distanceMap3d(mask, dims, spacing, target), bruteForce(mask, dims, spacing, target), `density ${density} target ${target}`);
      }
    }
  });

  test('equals brute force when most lines hold no target (sparse mask, long z)', () => {
    const dims: Vec3 = [23, 17, 31];
    const spacing: Vec3 = [0.45, 0.9, 3];
    const mask = randomMask(dims, 0.002, 7);
    assert.ok(mask.some((v) => v === 1));
    assertClose(distanceMap3d(mask, dims, spacing), bruteForce(mask, dims, spacing, 1), 'sparse');
  });

  test('squared map is the square of the distance map; any non-zero value counts as inside', () => {
    const dims: Vec3 = [8, 6, 5];
    const spacing: Vec3 = [0.6, 0.6, 1.8];
    const mask = randomMask(dims, 0.2, 11).map((v, i) => v * (1 + (i % 7)));
    const d = distanceMap3d(mask, dims, spacing, 1);
    const d2 = squaredDistanceMap(mask, dims, spacing, 1);
    d.forEach((v, i) => assert.ok(Math.abs(v * v - d2[i]!) <= 1e-4 * (1 + d2[i]!)));
    assertClose(d, bruteForce(mask, dims, spacing, 1), 'multi-valued');
  });

  test('a limit turns everything beyond it into Infinity and leaves the rest exact', () => {
    const dims: Vec3 = [15, 12, 9];
    const spacing: Vec3 = [0.7, 0.7, 2.5];
    const mask = randomMask(dims, 0.01, 17);
    const exact = bruteForce(mask, dims, spacing, 1);
    const limited = squaredDistanceMap(mask, dims, spacing, 1, 9);
    let beyond = 0;
    exact.forEach((d, v) => {
      if (d * d > 9 + 1e-9) {
        beyond++;
        assert.equal(limited[v], Infinity, `voxel ${v} at ${d} mm`);
      } else assert.ok(Math.abs(limited[v]! - d * d) <= 1e-4, `voxel ${v}: ${limited[v]} vs ${d * d}`);
    });
    assert.ok(beyond > 0 && beyond < mask.length, 'the limit falls inside the range of distances');
    assert.deepEqual([...squaredDistanceMap(Uint8Array.from([1, 0, 0, 0, 0]), [5, 1, 1], [1, 1, 1], 1, 4)], [0, 1, 4, Infinity, Infinity]);
  });

  test('2D slices equal brute force', () => {
    const mask = randomMask([19, 13, 1], 0.1, 5);
    assertClose(distanceMap2d(mask, 19, 13, [0.4, 1.7]), bruteForce(mask, [19, 13, 1], [0.4, 1.7, 1], 1), '2D inside');
    assertClose(distanceMap2d(mask, 19, 13, [0.4, 1.7], 0), bruteForce(mask, [19, 13, 1], [0.4, 1.7, 1], 0), '2D outside');
  });

  test('no target anywhere gives Infinity; every voxel a target gives 0', () => {
    const dims: Vec3 = [4, 3, 2];
    assert.ok(distanceMap3d(new Uint8Array(24), dims, [1, 1, 1]).every((v) => v === Infinity));
    assert.ok(distanceMap3d(new Uint8Array(24).fill(1), dims, [1, 1, 1]).every((v) => v === 0));
    assert.throws(() => distanceMap3d(new Uint8Array(23), dims, [1, 1, 1]), RangeError);
  });

  test('signed distance: negative inside, positive outside, in mm along each axis', () => {
    const line = Uint8Array.from([0, 0, 1, 1, 1, 0, 0]);
    assert.deepEqual([...signedDistanceMap(line, [7, 1, 1], [2, 1, 1])], [4, 2, -2, -4, -2, 2, 4]);
    assert.deepEqual([...signedDistanceMap(line, [1, 1, 7], [1, 1, 0.5])], [1, 0.5, -0.5, -1, -0.5, 0.5, 1]);
    // a 3×3 square in a 5×5 slice, pixels 1 mm × 3 mm: the centre is 2 mm from the outside along x, 6 mm along y
    const square = Uint8Array.from({ length: 25 }, (_, p) => (p % 5 >= 1 && p % 5 <= 3 && p >= 5 && p < 20 ? 1 : 0));
    const sd = signedDistanceMap(square, [5, 5, 1], [1, 3, 1]);
    assert.equal(sd[12], -2);
    assert.equal(sd[7], -2);
    assert.equal(sd[6], -1);
    assert.equal(sd[2], 3);
    assert.equal(sd[0], Math.fround(Math.hypot(1, 3)));
  });

  test('boundary signed distance: to the midpoints between differing neighbours, ±half a pixel beside the edge', () => {
    const [w, h] = [17, 12];
    const spacing: [number, number] = [0.6, 1.4];
    const mask = randomMask([w, h, 1], 0.4, 13);
    // the boundary points: midpoints of face-neighbour pairs that differ
    const mids: [number, number][] = [];
    for (let b = 0; b < h; b++) {
      for (let a = 0; a < w; a++) {
        if (a + 1 < w && mask[a + w * b] !== mask[a + 1 + w * b]) mids.push([(a + 0.5) * spacing[0], b * spacing[1]]);
        if (b + 1 < h && mask[a + w * b] !== mask[a + w * (b + 1)]) mids.push([a * spacing[0], (b + 0.5) * spacing[1]]);
      }
    }
    const sd = boundarySignedDistance2d(mask, w, h, spacing);
    for (let p = 0; p < w * h; p++) {
      const [x, y] = [(p % w) * spacing[0], Math.floor(p / w) * spacing[1]];
      const d = Math.min(...mids.map(([mx, my]) => Math.hypot(x - mx, y - my)));
      const expected = mask[p] ? -d : d;
      assert.ok(Math.abs(sd[p]! - expected) <= 1e-5 * (1 + d), `pixel ${p}: ${sd[p]} vs ${expected}`);
    }
    const line = Uint8Array.from([0, 0, 1, 1, 1, 0]);
    assert.deepEqual([...boundarySignedDistance2d(line, 6, 1, [2, 1])], [3, 1, -1, -3, -1, 1]);
  });

  test('boundary signed distance of a full slice measures to the slice edge; an empty one is +Infinity', () => {
    const full = boundarySignedDistance2d(new Uint8Array(15).fill(1), 5, 3, [1, 2]);
    assert.deepEqual([...full], [-0.5, -1, -1, -1, -0.5, -0.5, -1.5, -2.5, -1.5, -0.5, -0.5, -1, -1, -1, -0.5]);
    assert.ok(boundarySignedDistance2d(new Uint8Array(15), 5, 3, [1, 2]).every((v) => v === Infinity));
  });
});
