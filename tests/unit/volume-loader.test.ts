import { test } from 'node:test';
import assert from 'node:assert/strict';
import { slabOrder } from '../../src/renderer/viewer/volume-loader.js';

test('slabOrder fetches the middle slice first, then covers every slice exactly once, middle outwards', () => {
  for (const [depth, perSlab] of [[600, 16], [7, 3], [1, 8], [10, 10], [33, 4]] as const) {
    const ranges = slabOrder(depth, perSlab);
    assert.deepEqual(ranges[0], [Math.floor(depth / 2), 1]);
    const seen = new Array<number>(depth).fill(0);
    for (const [start, count] of ranges) {
      assert.ok(count >= 1 && count <= perSlab, `count ${count}`);
      for (let k = start; k < start + count; k++) seen[k]!++;
    }
    assert.deepEqual(seen, new Array<number>(depth).fill(1), `depth ${depth}, slab ${perSlab}`);
  }
});
