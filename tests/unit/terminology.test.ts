import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SegmentSchema } from '../../src/shared/segmentation.js';
import { COMMON_TERMS, findTerm } from '../../src/shared/terminology.js';

test('every common term is a valid segment terminology with SNOMED CT codes, listed once', () => {
  for (const term of COMMON_TERMS) {
    const segment = { value: 1, name: term.type.meaning, color: [1, 2, 3], visible: true, locked: false, ...term };
    assert.ok(SegmentSchema.safeParse(segment).success, term.type.meaning);
    assert.match(term.type.value, /^\d{6,9}$/);
    assert.equal(term.type.scheme, 'SCT');
  }
  assert.equal(new Set(COMMON_TERMS.map((t) => t.type.value)).size, COMMON_TERMS.length);
  assert.equal(findTerm({ scheme: 'SCT', value: '10200004', meaning: 'x' })?.type.meaning, 'Liver');
  assert.equal(findTerm({ scheme: 'DCM', value: '10200004', meaning: 'x' }), undefined);
});
