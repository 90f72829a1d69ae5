import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DelineateError, ERROR_CODES, fromErrorEnvelope, isErrorCode, toErrorEnvelope } from '../../src/shared/errors.js';
import { ErrorEnvelopeSchema } from '../../src/shared/schemas.js';

describe('toErrorEnvelope', () => {
  test('a DelineateError keeps its code, message and details', () => {
    const err = new DelineateError('invalid_input', 'The file is not DICOM', { file: '/data/a.dcm', offset: 128 });
    assert.deepEqual(toErrorEnvelope(err), { code: 'invalid_input', message: 'The file is not DICOM', details: { file: '/data/a.dcm', offset: 128 } });
  });

  test('a DelineateError without details has no details key at all', () => {
    const envelope = toErrorEnvelope(new DelineateError('not_found', 'No study 12'));
    assert.deepEqual(envelope, { code: 'not_found', message: 'No study 12' });
    assert.equal(Object.hasOwn(envelope, 'details'), false);
  });

  test('a plain Error becomes internal with its message', () => {
    assert.deepEqual(toErrorEnvelope(new Error('disk on fire')), { code: 'internal', message: 'disk on fire' });
  });

  test('an Error with an empty message falls back to its name', () => {
    assert.deepEqual(toErrorEnvelope(new TypeError('')), { code: 'internal', message: 'TypeError' });
  });

  test('an AbortError becomes cancelled', () => {
    const controller = new AbortController();
    controller.abort();
    let thrown: unknown;
    try {
      controller.signal.throwIfAborted();
    } catch (err) {
      thrown = err;
    }
    assert.ok(thrown instanceof Error);
    assert.equal(thrown.name, 'AbortError');
    assert.deepEqual(toErrorEnvelope(thrown), { code: 'cancelled', message: 'Cancelled' });
  });

  test('any error named AbortError is cancelled, whatever its message', () => {
    const err = new Error('The operation was aborted by the user');
    err.name = 'AbortError';
    assert.equal(toErrorEnvelope(err).code, 'cancelled');
  });

  test('a thrown non-Error value becomes internal with its string form', () => {
    assert.deepEqual(toErrorEnvelope('boom'), { code: 'internal', message: 'boom' });
    assert.deepEqual(toErrorEnvelope(42), { code: 'internal', message: '42' });
    assert.deepEqual(toErrorEnvelope(undefined), { code: 'internal', message: 'undefined' });
  });

  test('every envelope it makes is valid against the wire schema', () => {
    for (const err of [new DelineateError('conflict', 'x', { a: 1 }), new Error('y'), 'z', null]) {
      assert.equal(ErrorEnvelopeSchema.safeParse(toErrorEnvelope(err)).success, true, String(err));
    }
  });
});

describe('fromErrorEnvelope', () => {
  test('rebuilds a throwable DelineateError with the same fields', () => {
    const err = fromErrorEnvelope({ code: 'too_large', message: 'Message too big', details: { limit: 10 } });
    assert.ok(err instanceof DelineateError);
    assert.ok(err instanceof Error);
    assert.equal(err.name, 'DelineateError');
    assert.equal(err.code, 'too_large');
    assert.equal(err.message, 'Message too big');
    assert.deepEqual(err.details, { limit: 10 });
  });

  test('round trip through the envelope is lossless', () => {
    const original = new DelineateError('unavailable', 'No CUDA', { provider: 'cuda' });
    const back = fromErrorEnvelope(toErrorEnvelope(original));
    assert.deepEqual(back.toEnvelope(), original.toEnvelope());
    const noDetails = fromErrorEnvelope({ code: 'cancelled', message: 'Cancelled' });
    assert.equal(noDetails.details, undefined);
    assert.deepEqual(noDetails.toEnvelope(), { code: 'cancelled', message: 'Cancelled' });
  });
});

describe('isErrorCode', () => {
  test('accepts every declared code', () => {
    for (const code of ERROR_CODES) assert.equal(isErrorCode(code), true, code);
  });

  test('rejects anything else', () => {
    for (const value of ['', 'INTERNAL', 'error', 'toString', 'constructor', 1, null, undefined, {}, ['internal']]) {
      assert.equal(isErrorCode(value), false, String(value));
    }
  });

  test('the declared code list is the one the hosts rely on', () => {
    assert.deepEqual(
      [...ERROR_CODES].sort(),
      ['bad_request', 'cancelled', 'conflict', 'internal', 'invalid_input', 'invalid_params', 'not_found', 'storage', 'too_large', 'unavailable', 'unknown_method'],
    );
  });
});
