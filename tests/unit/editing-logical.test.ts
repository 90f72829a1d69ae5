import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { LabelArray } from '../../src/shared/editing/grid.js';
import { applyLabelWrites, type LabelWrite } from '../../src/shared/editing/label-writes.js';
import { extractSegment, logicalOperation, type LogicalOp } from '../../src/shared/editing/logical.js';

const N = 20;
const A = 1;
const B = 2;
const C = 3;

function cube(data: Uint8Array, min: number, max: number, value: number): void {
  for (let k = min; k <= max; k++) for (let j = min; j <= max; j++) for (let i = min; i <= max; i++) data[i + N * (j + N * k)] = value;
}

/** A = [2,9]³ less the corner B took (448), B = [6,13]³ drawn over it (512), C = [0,1]³ (8); M = the region [0,5]³ (216). */
function fixture(): { data: Uint8Array; mask: Uint8Array } {
  const data = new Uint8Array(N ** 3);
  cube(data, 2, 9, A);
  cube(data, 6, 13, B);
  cube(data, 0, 1, C);
  const mask = new Uint8Array(N ** 3);
  cube(mask, 0, 5, 1);
  return { data, mask };
}

const count = (data: ArrayLike<number>, value: number): number => {
  let n = 0;
  for (let i = 0; i < data.length; i++) if (data[i] === value) n++;
  return n;
};

function applied(data: LabelArray, writes: LabelWrite[], writable?: (value: number) => Uint8Array): LabelArray {
  const out = data.slice();
  applyLabelWrites(out, writes, writable);
  return out;
}

const counts = (data: LabelArray) => [A, B, C].map((v) => count(data, v));

describe('logical operators', () => {
  test('fixture sizes', () => {
    const { data, mask } = fixture();
    assert.deepEqual(counts(data), [448, 512, 8]);
    assert.equal(count(mask, 1), 216);
  });

  test('with a region: union, intersect, subtract, copy give the set operations', () => {
    const { data, mask } = fixture();
    const before = data.slice();
    const expected: Record<LogicalOp, { writes: [number, number][]; counts: number[] }> = {
      union: { writes: [[A, 152]], counts: [600, 512, 0] },
      intersect: { writes: [[0, 384]], counts: [64, 512, 8] },
      subtract: { writes: [[0, 64]], counts: [384, 512, 8] },
      copy: { writes: [[0, 384], [A, 152]], counts: [216, 512, 0] },
    };
    for (const [op, want] of Object.entries(expected) as [LogicalOp, (typeof expected)[LogicalOp]][]) {
      const writes = logicalOperation(data, op, A, mask);
      assert.deepEqual(writes.map((w) => [w.value, w.voxels]), want.writes, op);
      assert.deepEqual(counts(applied(data, writes)), want.counts, op);
    }
    assert.deepEqual(data, before, 'input not mutated');
  });

  test('the caller’s write table decides: a locked C keeps its voxels in a union', () => {
    const { data, mask } = fixture();
    const lockedC = () => Uint8Array.from({ length: 256 }, (_, c) => (c === C ? 0 : 1));
    assert.deepEqual(counts(applied(data, logicalOperation(data, 'union', A, mask), lockedC)), [592, 512, 8]);
  });

  test('with another segment of the same map: union and copy move it, intersect clears, subtract is a no-op', () => {
    const { data } = fixture();
    assert.deepEqual(counts(applied(data, logicalOperation(data, 'union', A, B))), [960, 0, 8]);
    assert.deepEqual(counts(applied(data, logicalOperation(data, 'intersect', A, B))), [0, 512, 8]);
    assert.deepEqual(logicalOperation(data, 'subtract', A, B), []);
    assert.deepEqual(counts(applied(data, logicalOperation(data, 'copy', A, B))), [512, 0, 8]);
    // the extracted segment as a region behaves the same
    assert.deepEqual(counts(applied(data, logicalOperation(data, 'copy', A, extractSegment(data, B)))), [512, 0, 8]);
  });

  test('A with itself: only subtract changes anything', () => {
    const { data } = fixture();
    assert.deepEqual(logicalOperation(data, 'union', A, A), []);
    assert.deepEqual(logicalOperation(data, 'intersect', A, A), []);
    assert.deepEqual(logicalOperation(data, 'copy', A, A), []);
    assert.deepEqual(counts(applied(data, logicalOperation(data, 'subtract', A, A))), [0, 512, 8]);
  });

  test('matches the per-voxel rule on random maps and regions (uint16 labels)', () => {
    let s = 7;
    const rnd = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const data = Uint16Array.from({ length: 9 * 8 * 7 }, () => [0, 0, 500, 501, 502][Math.floor(rnd() * 5)]!);
    const mask = Uint8Array.from(data, () => (rnd() < 0.4 ? 1 : 0));
    const rule: Record<LogicalOp, (c: number, inB: boolean) => number> = {
      union: (c, inB) => (inB ? 500 : c),
      intersect: (c, inB) => (c === 500 && !inB ? 0 : c),
      subtract: (c, inB) => (c === 500 && inB ? 0 : c),
      copy: (c, inB) => (inB ? 500 : c === 500 ? 0 : c),
    };
    for (const op of Object.keys(rule) as LogicalOp[]) {
      for (const modifier of [mask, 501]) {
        const writes = logicalOperation(data, op, 500, modifier);
        const want = Uint16Array.from(data, (c, i) => rule[op](c, typeof modifier === 'number' ? c === modifier : mask[i] === 1));
        assert.deepEqual(applied(data, writes), want, `${op} ${typeof modifier}`);
        const listed = writes.reduce((n, w) => n + w.voxels, 0);
        assert.equal(listed, count(data.map((c, i) => (c === want[i] ? 0 : 1)), 1), `${op}: exactly the changing voxels are listed`);
      }
    }
  });

  test('extractSegment and argument checks', () => {
    const { data, mask } = fixture();
    const a = extractSegment(data, A);
    assert.equal(count(a, 1), 448);
    assert.equal(a[2 + N * (2 + N * 2)], 1);
    assert.equal(a[6 + N * (6 + N * 6)], 0);
    assert.throws(() => logicalOperation(data, 'union', 0, mask), RangeError);
    assert.throws(() => logicalOperation(data, 'union', 256, mask), RangeError);
    assert.throws(() => logicalOperation(data, 'union', A, 0), RangeError);
    assert.throws(() => logicalOperation(data, 'union', A, new Uint8Array(5)), RangeError);
    assert.throws(() => logicalOperation(data, 'xor' as LogicalOp, A, mask), RangeError);
  });
});
