import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dispatch, type CallContext, type Handlers } from '../../src/main/services/dispatch.js';
import { DelineateError } from '../../src/shared/errors.js';
import type { JobInfo } from '../../src/shared/jobs.js';
import { METHODS } from '../../src/shared/contract.js';

const ctx: CallContext = { host: 'test' };

function jobInfo(id: string, type: string): JobInfo {
  return {
    id,
    type,
    label: type,
    state: 'queued',
    fraction: 0,
    stage: 'queued',
    message: '',
    createdAt: 1,
    startedAt: null,
    endedAt: null,
    error: null,
    result: null,
  };
}

/** Simple handlers that record what they were called with; some behaviours are switchable per test. */
function makeHandlers() {
  const calls: { method: string; params: unknown; ctx: CallContext }[] = [];
  let cancelBehaviour: 'ok' | 'delineate' | 'plain' | 'string' = 'ok';
  const handlers: Handlers = {
    'app.info': (params, c) => {
      calls.push({ method: 'app.info', params, ctx: c });
      return {
        name: 'Delineate',
        version: '9.9.9',
        host: 'browser',
        dataDir: '/tmp/x',
        sqliteVersion: '3.0.0',
        compute: { active: 'cpu', reason: 'test', cpuThreads: 1, cuda: { available: false, detail: 'none' }, onnxruntimeVersion: '0' },
      };
    },
    'diagnostics.echo': async ({ text, data }, c) => {
      calls.push({ method: 'diagnostics.echo', params: { text, data }, ctx: c });
      await new Promise((r) => setTimeout(r, 1));
      return { text: text.toUpperCase(), receivedBytes: data?.byteLength ?? 0 };
    },
    'jobs.list': () => [],
    'jobs.types': () => [],
    'jobs.start': ({ type, params }, c) => {
      calls.push({ method: 'jobs.start', params: { type, params }, ctx: c });
      return jobInfo('job-1', type);
    },
    'jobs.cancel': ({ jobId }) => {
      if (cancelBehaviour === 'delineate') throw new DelineateError('not_found', `No job ${jobId}`, { jobId });
      if (cancelBehaviour === 'plain') throw new Error('database is locked');
      if (cancelBehaviour === 'string') throw 'a bare string';
      return jobInfo(jobId, 'x');
    },
    'studies.list': () => [],
    'samples.list': () => [],
    'samples.open': () => ({ job: null, imported: null }),
    'studies.import': () => jobInfo('job-2', 'studies.import'),
    'series.get': () => {
      throw new DelineateError('not_found', 'none');
    },
    'series.find': () => {
      throw new DelineateError('not_found', 'none');
    },
    'series.slab': () => {
      throw new DelineateError('not_found', 'none');
    },
    'segmentation.open': () => {
      throw new DelineateError('not_found', 'none');
    },
    'segmentation.writeSlices': () => {
      throw new DelineateError('not_found', 'none');
    },
    'segmentation.setSegments': () => {
      throw new DelineateError('not_found', 'none');
    },
    'segmentation.review': () => {
      throw new DelineateError('not_found', 'none');
    },
    'segmentation.saveVersion': () => {
      throw new DelineateError('not_found', 'none');
    },
    'segmentation.keepMine': () => {
      throw new DelineateError('not_found', 'none');
    },
    'segmentation.versions': () => {
      throw new DelineateError('not_found', 'none');
    },
    'segmentation.loadVersion': () => {
      throw new DelineateError('not_found', 'none');
    },
    'segmentation.compare': () => {
      throw new DelineateError('not_found', 'none');
    },
    'users.list': () => ({ current: 'x', known: [] }),
    'users.select': () => ({ current: 'x', known: [] }),
    'audit.list': () => [],
    'models.list': () => [],
    'models.add': () => {
      throw new DelineateError('not_found', 'none');
    },
    'inference.segment': ({ modelId }) => jobInfo('job-2', `segment ${modelId}`),
    'export.mask': ({ format }) => jobInfo('job-3', `export ${format}`),
    'export.dataset': ({ name }) => jobInfo('job-4', `export ${name}`),
    'masks.import': ({ path }) => jobInfo('job-5', `import ${path}`),
    'worklist.list': () => [],
    'worklist.reviewQueue': () => [],
    'worklist.assign': ({ seriesIds }) => ({ updated: seriesIds.length }),
    'worklist.decide': () => {
      throw new DelineateError('not_found', 'no case');
    },
    'batch.segment': ({ modelId }) => jobInfo('job-6', `batch ${modelId}`),
    'batch.resume': ({ batchId }) => jobInfo('job-7', `resume ${batchId}`),
    'batch.list': () => [],
    'batch.cases': () => [],
    'segmentation.merge': () => {
      throw new DelineateError('not_found', 'no segmentation');
    },
    'reports.agreement': () => jobInfo('job-8', 'report'),
    'reports.read': ({ file }) => ({ file, html: '' }),
    'host.pickPaths': () => ({ supported: false, paths: [] }),
    'settings.get': () => {
      throw new DelineateError('not_found', 'none');
    },
    'settings.update': () => {
      throw new DelineateError('not_found', 'none');
    },
    'app.about': () => {
      throw new DelineateError('unavailable', 'none');
    },
    'studies.recent': () => [],
    'studies.markOpened': () => [],
    'uploads.import': ({ batchId }) => jobInfo('job-9', `upload ${batchId}`),
  };
  return {
    handlers,
    calls,
    setCancel(b: typeof cancelBehaviour) {
      cancelBehaviour = b;
    },
  };
}

describe('dispatch', () => {
  test('the hand-made handlers cover every contract method', () => {
    assert.deepEqual(Object.keys(makeHandlers().handlers).sort(), [...METHODS].sort());
  });

  test('success returns ok with the handler result, passing parsed params and the context', async () => {
    const { handlers, calls } = makeHandlers();
    const outcome = await dispatch(handlers, 'diagnostics.echo', { text: 'hello', data: new Uint8Array(5) }, ctx);
    assert.deepEqual(outcome, { ok: true, result: { text: 'HELLO', receivedBytes: 5 } });
    assert.equal(calls.length, 1);
    assert.equal(calls[0]!.method, 'diagnostics.echo');
    assert.equal(calls[0]!.ctx, ctx);
  });

  test('a synchronous handler result is returned too', async () => {
    const { handlers } = makeHandlers();
    const outcome = await dispatch(handlers, 'app.info', {}, ctx);
    assert.equal(outcome.ok, true);
    assert.equal((outcome as { result: { version: string } }).result.version, '9.9.9');
  });

  test('missing params (undefined or null) are treated as {}', async () => {
    const { handlers, calls } = makeHandlers();
    assert.equal((await dispatch(handlers, 'app.info', undefined, ctx)).ok, true);
    assert.equal((await dispatch(handlers, 'app.info', null, ctx)).ok, true);
    assert.deepEqual(calls.map((c) => c.params), [{}, {}]);
  });

  test('schema defaults are applied before the handler sees params', async () => {
    const { handlers, calls } = makeHandlers();
    const outcome = await dispatch(handlers, 'jobs.start', { type: 'test.countdown' }, ctx);
    assert.equal(outcome.ok, true);
    assert.deepEqual(calls[0]!.params, { type: 'test.countdown', params: {} });
  });

  for (const method of ['no.such.method', '', 42, null, undefined, 'toString', '__proto__', 'constructor']) {
    test(`unknown method ${JSON.stringify(method) ?? 'undefined'} gives unknown_method and calls nothing`, async () => {
      const { handlers, calls } = makeHandlers();
      const outcome = await dispatch(handlers, method, {}, ctx);
      assert.equal(outcome.ok, false);
      assert.equal(outcome.ok === false && outcome.error.code, 'unknown_method');
      assert.equal(calls.length, 0);
    });
  }

  test('bad params give invalid_params with the issues (path and message) in details', async () => {
    const { handlers, calls } = makeHandlers();
    const outcome = await dispatch(handlers, 'diagnostics.echo', { text: 12, extra: true }, ctx);
    assert.equal(outcome.ok, false);
    if (outcome.ok) return;
    assert.equal(outcome.error.code, 'invalid_params');
    assert.match(outcome.error.message, /^Invalid params for diagnostics\.echo: /);
    const issues = outcome.error.details?.issues as { path: string[]; message: string }[];
    assert.ok(Array.isArray(issues));
    assert.ok(issues.length >= 2, `expected an issue for text and for the extra key, got ${JSON.stringify(issues)}`);
    for (const issue of issues) {
      assert.ok(Array.isArray(issue.path) && issue.path.every((p) => typeof p === 'string'));
      assert.equal(typeof issue.message, 'string');
    }
    assert.ok(issues.some((i) => i.path.join('.') === 'text'), 'an issue names the text field');
    assert.equal(calls.length, 0, 'the handler is not called');
  });

  test('params that are not an object give invalid_params with a root issue', async () => {
    const { handlers } = makeHandlers();
    const outcome = await dispatch(handlers, 'jobs.cancel', 'job-1', ctx);
    assert.equal(outcome.ok, false);
    if (outcome.ok) return;
    assert.equal(outcome.error.code, 'invalid_params');
    assert.match(outcome.error.message, /\(root\)/);
    assert.deepEqual((outcome.error.details?.issues as { path: string[] }[])[0]!.path, []);
  });

  test('binary params that are not binary are refused', async () => {
    const { handlers } = makeHandlers();
    const outcome = await dispatch(handlers, 'diagnostics.echo', { text: 'x', data: [1, 2, 3] }, ctx);
    assert.equal(outcome.ok === false && outcome.error.code, 'invalid_params');
  });

  test('a handler throwing DelineateError keeps its code, message and details', async () => {
    const h = makeHandlers();
    h.setCancel('delineate');
    const outcome = await dispatch(h.handlers, 'jobs.cancel', { jobId: 'j-9' }, ctx);
    assert.deepEqual(outcome, { ok: false, error: { code: 'not_found', message: 'No job j-9', details: { jobId: 'j-9' } } });
  });

  test('a handler throwing a plain Error gives internal with its message', async () => {
    const h = makeHandlers();
    h.setCancel('plain');
    const outcome = await dispatch(h.handlers, 'jobs.cancel', { jobId: 'j-9' }, ctx);
    assert.deepEqual(outcome, { ok: false, error: { code: 'internal', message: 'database is locked' } });
  });

  test('a handler throwing a non-Error gives internal and dispatch still resolves', async () => {
    const h = makeHandlers();
    h.setCancel('string');
    const outcome = await dispatch(h.handlers, 'jobs.cancel', { jobId: 'j-9' }, ctx);
    assert.deepEqual(outcome, { ok: false, error: { code: 'internal', message: 'a bare string' } });
  });

  test('an async handler that rejects is caught the same way', async () => {
    const { handlers } = makeHandlers();
    const rejecting: Handlers = { ...handlers, 'jobs.list': async () => Promise.reject(new DelineateError('unavailable', 'store closed')) };
    const outcome = await dispatch(rejecting, 'jobs.list', {}, ctx);
    assert.deepEqual(outcome, { ok: false, error: { code: 'unavailable', message: 'store closed' } });
  });
});
