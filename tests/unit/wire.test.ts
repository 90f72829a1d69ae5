import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WireFormatError, decodeMessage, encodeMessage, type ServerMessage } from '../../src/shared/wire.js';

const MAGIC = [0x44, 0x4c, 0x4e, 0x31]; // "DLN1"
const align8 = (n: number) => (n + 7) & ~7;

/** Build a binary frame by hand (independently of encodeMessage) so malformed variants are easy to make. */
function buildFrame(headerText: string | Uint8Array, parts: Uint8Array[] = [], declaredHeaderLength?: number): Uint8Array {
  const header = typeof headerText === 'string' ? new TextEncoder().encode(headerText) : headerText;
  let cursor = align8(8 + header.byteLength);
  const starts = parts.map((p) => {
    const start = cursor;
    cursor = align8(cursor + p.byteLength);
    return start;
  });
  const frame = new Uint8Array(Math.max(cursor, 8 + header.byteLength));
  frame.set(MAGIC, 0);
  new DataView(frame.buffer).setUint32(4, declaredHeaderLength ?? header.byteLength, true);
  frame.set(header, 8);
  parts.forEach((p, i) => frame.set(p, starts[i]!));
  return frame;
}

function event(payload: unknown): ServerMessage {
  return { kind: 'event', name: 'test.event', payload };
}

function asFrame(encoded: string | Uint8Array): Uint8Array {
  assert.ok(encoded instanceof Uint8Array, `expected a binary frame, got ${typeof encoded}`);
  return encoded;
}

function headerOf(frame: Uint8Array): { parts: number[]; message: unknown } {
  const length = new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint32(4, true);
  return JSON.parse(new TextDecoder().decode(frame.subarray(8, 8 + length))) as { parts: number[]; message: unknown };
}

describe('encodeMessage', () => {
  test('a message without binary is the JSON text of the message', () => {
    const message: ServerMessage = { kind: 'response', id: 7, ok: true, result: { a: [1, 'two', null], b: { c: true } } };
    const encoded = encodeMessage(message);
    assert.equal(typeof encoded, 'string');
    assert.deepEqual(JSON.parse(encoded as string), message);
    assert.deepEqual(decodeMessage(encoded), message);
  });

  test('a message with binary is a DLN1 frame whose header lists the part lengths and placeholders', () => {
    const frame = asFrame(encodeMessage(event({ a: new Float32Array([1, 2, 3]), b: new Uint8Array([9]) })));
    assert.deepEqual([...frame.subarray(0, 4)], MAGIC);
    const header = headerOf(frame);
    assert.deepEqual(header.parts, [12, 1]);
    assert.deepEqual(header.message, {
      kind: 'event',
      name: 'test.event',
      payload: { a: { $binary: 0, type: 'Float32Array' }, b: { $binary: 1, type: 'Uint8Array' } },
    });
  });

  test('parts start at 8-byte aligned offsets, padding is zero, and the frame ends aligned', () => {
    // odd lengths force padding after the header and after every part
    const parts = [new Uint8Array([1, 2, 3]), new Uint8Array([4, 5, 6, 7, 8]), new Uint8Array([9])];
    const frame = asFrame(encodeMessage(event({ parts })));
    const headerLength = new DataView(frame.buffer).getUint32(4, true);
    let cursor = align8(8 + headerLength);
    for (let i = 8 + headerLength; i < cursor; i++) assert.equal(frame[i], 0, `header padding byte ${i}`);
    for (const part of parts) {
      assert.equal(cursor % 8, 0);
      assert.deepEqual([...frame.subarray(cursor, cursor + part.byteLength)], [...part]);
      const end = cursor + part.byteLength;
      cursor = align8(end);
      for (let i = end; i < cursor; i++) assert.equal(frame[i], 0, `part padding byte ${i}`);
    }
    assert.equal(frame.byteLength, cursor);
    assert.equal(frame.byteLength % 8, 0);
  });

  test('a Node Buffer is sent as a binary Uint8Array part, not as JSON numbers', () => {
    const buffer = Buffer.from([1, 2, 3, 250]);
    const encoded = encodeMessage(event({ bytes: buffer }));
    assert.ok(encoded instanceof Uint8Array, 'a Buffer must make the message binary');
    const header = headerOf(encoded);
    assert.deepEqual(header.parts, [4]);
    assert.deepEqual(header.message, { kind: 'event', name: 'test.event', payload: { bytes: { $binary: 0, type: 'Uint8Array' } } });
    const decoded = decodeMessage(encoded) as { payload: { bytes: Uint8Array } };
    assert.equal(decoded.payload.bytes.constructor, Uint8Array);
    assert.deepEqual([...decoded.payload.bytes], [1, 2, 3, 250]);
  });

  test('a subarray view sends only its own bytes', () => {
    const whole = new Int16Array([10, 20, 30, 40, 50]);
    const view = whole.subarray(1, 3);
    const decoded = decodeMessage(encodeMessage(event({ view }))) as { payload: { view: Int16Array } };
    assert.ok(decoded.payload.view instanceof Int16Array);
    assert.deepEqual([...decoded.payload.view], [20, 30]);
  });
});

describe('decodeMessage round trip', () => {
  test('typed arrays, ArrayBuffer and DataView nested in objects and arrays come back equal and of the same class', () => {
    const dataViewBytes = new Uint8Array([0xde, 0xad, 0xbe, 0xef, 0x01]);
    const arrayBuffer = new Uint8Array([5, 4, 3, 2, 1, 0, 7]).buffer;
    const message = event({
      volume: {
        spacing: [0.5, 0.5, 1.25],
        voxels: new Float32Array([0, -1.5, 3.25, Number.MAX_VALUE, -0]),
        mask: new Uint8Array([0, 1, 255]),
      },
      slices: [new Int16Array([-32768, 0, 32767]), { raw: arrayBuffer }, [new DataView(dataViewBytes.buffer)]],
      name: 'study',
      empty: new Float32Array(0),
    });
    const decoded = decodeMessage(encodeMessage(message)) as {
      kind: string;
      name: string;
      payload: {
        volume: { spacing: number[]; voxels: Float32Array; mask: Uint8Array };
        slices: [Int16Array, { raw: ArrayBuffer }, [DataView]];
        name: string;
        empty: Float32Array;
      };
    };
    const p = decoded.payload;
    assert.equal(decoded.kind, 'event');
    assert.equal(decoded.name, 'test.event');
    assert.equal(p.name, 'study');
    assert.deepEqual(p.volume.spacing, [0.5, 0.5, 1.25]);

    assert.equal(p.volume.voxels.constructor, Float32Array);
    assert.deepEqual(p.volume.voxels, new Float32Array([0, -1.5, 3.25, Number.MAX_VALUE, -0]));
    assert.ok(Object.is(p.volume.voxels[4], -0), '-0 survives (bytes, not JSON)');
    assert.equal(p.volume.mask.constructor, Uint8Array);
    assert.deepEqual(p.volume.mask, new Uint8Array([0, 1, 255]));
    assert.equal(p.slices[0].constructor, Int16Array);
    assert.deepEqual(p.slices[0], new Int16Array([-32768, 0, 32767]));

    assert.equal(p.slices[1].raw.constructor, ArrayBuffer);
    assert.deepEqual([...new Uint8Array(p.slices[1].raw)], [5, 4, 3, 2, 1, 0, 7]);

    const dv = p.slices[2][0];
    assert.equal(dv.constructor, DataView);
    assert.equal(dv.byteLength, 5);
    assert.equal(dv.getUint32(0, false), 0xdeadbeef);
    assert.equal(dv.getUint8(4), 1);

    assert.equal(p.empty.constructor, Float32Array);
    assert.equal(p.empty.length, 0);
  });

  test('every supported typed-array class round-trips', () => {
    const arrays = [
      new Int8Array([-128, 127]),
      new Uint8ClampedArray([0, 255]),
      new Uint16Array([65535, 1]),
      new Uint32Array([4294967295, 2]),
      new Int32Array([-2147483648, 3]),
      new Float64Array([Math.PI, -Infinity, NaN]),
      new BigInt64Array([-(2n ** 63n), 5n]),
      new BigUint64Array([2n ** 64n - 1n, 6n]),
    ];
    const decoded = decodeMessage(encodeMessage(event({ arrays }))) as { payload: { arrays: ArrayBufferView[] } };
    assert.equal(decoded.payload.arrays.length, arrays.length);
    arrays.forEach((original, i) => {
      const back = decoded.payload.arrays[i]!;
      assert.equal(back.constructor, original.constructor, `class of #${i}`);
      assert.deepEqual(back, original);
    });
  });

  test('decoded typed arrays are views onto the frame (zero-copy) at 8-aligned offsets', () => {
    const frame = asFrame(encodeMessage(event({ a: new Float32Array([1, 2, 3]), b: new Float64Array([4, 5]), c: new Uint8Array([6]) })));
    const decoded = decodeMessage(frame) as { payload: { a: Float32Array; b: Float64Array; c: Uint8Array } };
    for (const view of [decoded.payload.a, decoded.payload.b, decoded.payload.c]) {
      assert.equal(view.buffer, frame.buffer, 'view shares the frame buffer');
      assert.equal(view.byteOffset % 8, 0);
    }
    // writing through the frame is visible in the decoded view: proves it is not a copy
    const offset = decoded.payload.a.byteOffset;
    new DataView(frame.buffer).setFloat32(offset, 42, true);
    assert.equal(decoded.payload.a[0], 42);
  });

  test('a frame that starts at an unaligned offset still decodes (by copying the misaligned part)', () => {
    const frame = asFrame(encodeMessage(event({ a: new Float32Array([1.5, 2.5]), d: new Float64Array([7.25]) })));
    const backing = new Uint8Array(frame.byteLength + 1);
    backing.set(frame, 1);
    const unaligned = backing.subarray(1);
    const decoded = decodeMessage(unaligned) as { payload: { a: Float32Array; d: Float64Array } };
    assert.deepEqual(decoded.payload.a, new Float32Array([1.5, 2.5]));
    assert.deepEqual(decoded.payload.d, new Float64Array([7.25]));
    assert.notEqual(decoded.payload.a.buffer, backing.buffer, 'misaligned part is copied');
  });

  test('a frame inside a larger, aligned buffer decodes views into that buffer', () => {
    const frame = asFrame(encodeMessage(event({ a: new Float32Array([3, 4]) })));
    const backing = new Uint8Array(frame.byteLength + 16);
    backing.set(frame, 8);
    const decoded = decodeMessage(backing.subarray(8, 8 + frame.byteLength)) as { payload: { a: Float32Array } };
    assert.deepEqual(decoded.payload.a, new Float32Array([3, 4]));
    assert.equal(decoded.payload.a.buffer, backing.buffer);
  });
});

describe('decodeMessage rejects malformed input with WireFormatError', () => {
  const placeholder = (type: string, index = 0) => ({ $binary: index, type });
  const header = (parts: unknown, message: unknown = { x: placeholder('Uint8Array') }) => JSON.stringify({ parts, message });

  const cases: [string, () => string | Uint8Array, RegExp][] = [
    ['invalid JSON text', () => 'not json{', /not valid JSON/],
    ['bad magic', () => {
      const f = buildFrame(header([1]), [new Uint8Array([1])]);
      f[0] = 0x58; // "X"
      return f;
    }, /DLN1/],
    ['a frame shorter than the fixed header', () => new Uint8Array([0x44, 0x4c, 0x4e, 0x31, 0]), /DLN1/],
    ['header length beyond the frame', () => buildFrame(header([]), [], 10_000), /shorter than its header/],
    ['non-UTF-8 header', () => buildFrame(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])), /UTF-8/],
    ['header that is not JSON', () => buildFrame('{"parts":[1],'), /not valid JSON/],
    ['header that is JSON null', () => buildFrame('null'), /not a JSON object/],
    ['parts list missing', () => buildFrame(JSON.stringify({ message: {} })), /parts list/],
    ['negative part length', () => buildFrame(header([-1])), /parts list/],
    ['non-integer part length', () => buildFrame(header([1.5]), [new Uint8Array(2)]), /parts list/],
    ['parts longer than the frame', () => buildFrame(header([4096]), [new Uint8Array(8)]), /shorter than its parts/],
    ['unknown view type', () => buildFrame(header([4], { x: placeholder('Float16Thing') }), [new Uint8Array(4)]), /unknown type/],
    ['an inherited property name as view type', () => buildFrame(header([4], { x: placeholder('constructor') }), [new Uint8Array(4)]), /unknown type/],
    ['length not a multiple of the element size', () => buildFrame(header([6], { x: placeholder('Float32Array') }), [new Uint8Array(6)]), /multiple of Float32Array/],
    ['placeholder pointing past the parts', () => buildFrame(header([4], { x: placeholder('Uint8Array', 3) }), [new Uint8Array(4)]), /not in the frame/],
  ];

  for (const [name, make, pattern] of cases) {
    test(name, () => {
      const input = make();
      assert.throws(
        () => decodeMessage(input),
        (err: unknown) => {
          assert.ok(err instanceof WireFormatError, `expected WireFormatError, got ${String(err)}`);
          assert.match(err.message, pattern);
          return true;
        },
      );
    });
  }

  test('the hand-built frame helper makes frames the decoder accepts (so the cases above fail for their stated reason)', () => {
    const ok = buildFrame(header([4], { x: placeholder('Float32Array') }), [new Uint8Array(new Float32Array([2.5]).buffer)]);
    assert.deepEqual(decodeMessage(ok), { x: new Float32Array([2.5]) });
  });
});
