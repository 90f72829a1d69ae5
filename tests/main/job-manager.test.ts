import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { JobManager, type JobType } from '../../src/main/jobs/job-manager.js';
import { EventBus } from '../../src/main/services/event-bus.js';
import { DelineateError } from '../../src/shared/errors.js';
import type { JobInfo } from '../../src/shared/jobs.js';
import type { EventName } from '../../src/shared/contract.js';

interface Recorded {
  name: EventName;
  job: JobInfo;
  at: number;
}

/** Subscribe a recorder to a real bus; returns the list it fills. */
function record(bus: EventBus): Recorded[] {
  const events: Recorded[] = [];
  bus.subscribe((name, payload) => {
    if (name === 'job.progress' || name === 'job.done') events.push({ name, job: payload as JobInfo, at: Date.now() });
  });
  return events;
}

const of = (events: Recorded[], id: string, name?: EventName) => events.filter((e) => e.job.id === id && (name === undefined || e.name === name));

/** Polls until the condition holds (events are recorded from the start, so none can be missed). */
async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** A job that waits until aborted (honouring the signal), reporting one progress update first. */
function waitsForAbort(type = 'test.waits', runs: string[] = []): JobType<Record<string, never>> {
  return {
    type,
    label: 'Waits',
    description: 'waits for cancel',
    params: z.object({}).strict() as unknown as z.ZodType<Record<string, never>>,
    async run(_params, { signal, progress }) {
      runs.push(type);
      progress({ fraction: 0.25, stage: 'waiting', message: 'waiting for cancel' });
      await new Promise<void>((_resolve, reject) => {
        if (signal.aborted) reject(signal.reason);
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      });
    },
  };
}

const TIMEOUT = { timeout: 20_000 };

describe('JobManager', () => {
  test('a job runs to succeeded with its result, fraction 1 and the full event sequence', TIMEOUT, async () => {
    const bus = new EventBus();
    const events = record(bus);
    const jobs = new JobManager(bus);
    let seenParams: unknown;
    jobs.register({
      type: 'test.add',
      label: 'Add',
      description: 'adds',
      params: z.object({ a: z.number(), b: z.number() }),
      async run(params, { progress }) {
        seenParams = params;
        progress({ fraction: 0.5, stage: 'adding' });
        await sleep(5);
        return { sum: params.a + params.b };
      },
    });
    const started = jobs.start('test.add', { a: 2, b: 40 });
    assert.equal(started.type, 'test.add');
    assert.equal(started.label, 'Add');
    assert.match(started.id, /^[0-9a-f-]{36}$/);
    const done = await jobs.wait(started.id);
    assert.deepEqual(seenParams, { a: 2, b: 40 });
    assert.equal(done.state, 'succeeded');
    assert.deepEqual(done.result, { sum: 42 });
    assert.equal(done.fraction, 1);
    assert.equal(done.stage, 'done');
    assert.equal(done.error, null);
    assert.ok(done.startedAt !== null && done.endedAt !== null && done.endedAt >= done.startedAt && done.startedAt >= done.createdAt);
    assert.deepEqual(jobs.get(started.id), done);

    const mine = of(events, started.id);
    assert.equal(mine[0]!.name, 'job.progress');
    assert.equal(mine[0]!.job.state, 'queued');
    assert.ok(mine.some((e) => e.name === 'job.progress' && e.job.state === 'running'));
    assert.equal(mine.at(-1)!.name, 'job.done');
    assert.equal(mine.at(-1)!.job.state, 'succeeded');
    assert.equal(of(events, started.id, 'job.done').length, 1);
    // the last progress event already shows the terminal state, just before job.done
    assert.equal(mine.at(-2)!.name, 'job.progress');
    assert.equal(mine.at(-2)!.job.state, 'succeeded');
  });

  test('a job returning undefined succeeds with result null', TIMEOUT, async () => {
    const jobs = new JobManager(new EventBus());
    jobs.register({ type: 't.void', label: 'v', description: 'v', params: z.object({}), async run() {} });
    const done = await jobs.wait(jobs.start('t.void', {}).id);
    assert.equal(done.state, 'succeeded');
    assert.equal(done.result, null);
  });

  test('progress fractions are clamped to 0..1 and null is kept', TIMEOUT, async () => {
    const bus = new EventBus();
    const jobs = new JobManager(bus, { progressIntervalMs: 0 });
    const seen: (number | null)[] = [];
    jobs.register({
      type: 't.clamp',
      label: 'c',
      description: 'c',
      params: z.object({}),
      async run(_p, { progress }) {
        await sleep(1); // run starts synchronously inside start(): let `id` be assigned first
        for (const fraction of [5, -3, null, 0.4]) {
          progress({ fraction });
          seen.push(jobs.get(id).fraction);
        }
        await sleep(1);
      },
    });
    const id = jobs.start('t.clamp', {}).id;
    await jobs.wait(id);
    assert.deepEqual(seen, [1, 0, null, 0.4]);
  });

  test('progress events are throttled and the last update of a burst is not lost', TIMEOUT, async () => {
    const bus = new EventBus();
    const events = record(bus);
    const interval = 100;
    const jobs = new JobManager(bus, { progressIntervalMs: interval });
    const UPDATES = 1000;
    let loopEnded = 0;
    jobs.register({
      type: 't.chatty',
      label: 'Chatty',
      description: 'emits 1000 progress updates over about 300 ms',
      params: z.object({}),
      async run(_p, { progress }) {
        for (let i = 0; i < UPDATES; i++) {
          progress({ fraction: (i + 1) / UPDATES, stage: 'chatting', message: `update ${i + 1}` });
          if (i % 34 === 33) await sleep(10); // ~30 pauses: the burst lasts about 300 ms
        }
        loopEnded = Date.now();
        // stay running well past one interval so the trailing emit (not the final one) must carry the last update
        await sleep(interval * 3);
        return 'ok';
      },
    });
    const id = jobs.start('t.chatty', {}).id;
    const done = await jobs.wait(id);
    assert.equal(done.state, 'succeeded');

    const progressEvents = of(events, id, 'job.progress');
    const running = progressEvents.filter((e) => e.job.state === 'running');
    const first = running[0]!;
    const elapsed = loopEnded - first.at + interval * 3;
    // emits are at least one interval apart, apart from the forced 'running' one: a generous bound
    const bound = Math.ceil(elapsed / interval) + 3;
    assert.ok(running.length <= bound, `${running.length} running progress events in ${elapsed} ms (bound ${bound}) for ${UPDATES} updates`);
    assert.ok(running.length >= 3, `expected several progress events during a ${elapsed} ms burst, got ${running.length}`);
    assert.ok(progressEvents.length < 30, `far fewer events than updates, got ${progressEvents.length}`);

    // the trailing emit: an event still 'running' shows the very last update
    const last = running.at(-1)!;
    assert.equal(last.job.message, `update ${UPDATES}`);
    assert.equal(last.job.fraction, 1);
    assert.ok(last.at >= loopEnded, 'the trailing event was sent after the burst ended');
    assert.ok(last.at - loopEnded < interval * 3, 'the trailing event came within the throttle window, before the job ended');

    // consecutive non-forced running events are (about) one interval apart; timers may fire a ms early
    for (let i = 1; i < running.length; i++) {
      const gap = running[i]!.at - running[i - 1]!.at;
      assert.ok(gap >= interval - 5, `gap ${gap} ms between progress events ${i - 1} and ${i}`);
    }
  });

  test('cancel of a running job ends cancelled and emits job.done exactly once', TIMEOUT, async () => {
    const bus = new EventBus();
    const events = record(bus);
    const jobs = new JobManager(bus);
    jobs.register(waitsForAbort());
    const { id } = jobs.start('test.waits', {});
    await until(() => of(events, id, 'job.progress').some((e) => e.job.message === 'waiting for cancel'), 'the job to report progress');
    const afterCancel = jobs.cancel(id);
    assert.equal(afterCancel.state, 'running', 'cancel only asks: the job is still settling');
    assert.equal(afterCancel.message, 'Cancelling…');
    const done = await jobs.wait(id);
    assert.equal(done.state, 'cancelled');
    assert.equal(done.message, 'Cancelled');
    assert.equal(done.error, null);
    assert.ok(done.endedAt !== null);

    // cancelling again returns the finished job unchanged and sends nothing
    const countBefore = events.length;
    assert.deepEqual(jobs.cancel(id), done);
    await sleep(250); // longer than the throttle interval: any stray trailing emit would have fired
    assert.equal(events.length, countBefore);
    assert.equal(of(events, id, 'job.done').length, 1);
    assert.equal(of(events, id).at(-1)!.name, 'job.done');
  });

  test('cancel of a queued job ends cancelled without ever running it', TIMEOUT, async () => {
    const bus = new EventBus();
    const events = record(bus);
    const jobs = new JobManager(bus, { concurrency: 1 });
    const runs: string[] = [];
    jobs.register(waitsForAbort('test.first', runs));
    jobs.register(waitsForAbort('test.second', runs));
    const first = jobs.start('test.first', {});
    const second = jobs.start('test.second', {});
    assert.equal(jobs.get(first.id).state, 'running');
    assert.equal(jobs.get(second.id).state, 'queued');

    const cancelled = jobs.cancel(second.id);
    assert.equal(cancelled.state, 'cancelled');
    assert.equal(cancelled.message, 'Cancelled before it started');
    assert.equal(cancelled.startedAt, null);
    assert.ok(cancelled.endedAt !== null);
    assert.deepEqual(await jobs.wait(second.id), cancelled);

    jobs.cancel(first.id);
    assert.equal((await jobs.wait(first.id)).state, 'cancelled');
    await sleep(50); // a wrongly still-queued job would start now that the slot is free
    assert.deepEqual(runs, ['test.first']);
    assert.equal(of(events, second.id, 'job.done').length, 1);
    assert.ok(!of(events, second.id).some((e) => e.job.state === 'running'));
  });

  test('a queued job starts when a slot frees (concurrency 1)', TIMEOUT, async () => {
    const jobs = new JobManager(new EventBus(), { concurrency: 1 });
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    jobs.register({ type: 't.gate', label: 'g', description: 'g', params: z.object({ n: z.string() }), async run({ n }) {
      order.push(`start ${n}`);
      if (n === 'a') await gate;
      order.push(`end ${n}`);
      return n;
    } });
    const a = jobs.start('t.gate', { n: 'a' });
    const b = jobs.start('t.gate', { n: 'b' });
    await sleep(20);
    assert.deepEqual(order, ['start a']);
    assert.equal(jobs.get(b.id).state, 'queued');
    release();
    assert.equal((await jobs.wait(b.id)).result, 'b');
    assert.equal((await jobs.wait(a.id)).result, 'a');
    assert.deepEqual(order, ['start a', 'end a', 'start b', 'end b']);
  });

  test('a failing job ends failed with the error envelope', TIMEOUT, async () => {
    const bus = new EventBus();
    const events = record(bus);
    const jobs = new JobManager(bus);
    jobs.register({
      type: 't.fails',
      label: 'f',
      description: 'f',
      params: z.object({ plain: z.boolean() }),
      async run({ plain }) {
        await sleep(1);
        if (plain) throw new Error('segfault in codec');
        throw new DelineateError('invalid_input', 'Not a DICOM file', { file: '/x/y.dcm' });
      },
    });
    const typed = await jobs.wait(jobs.start('t.fails', { plain: false }).id);
    assert.equal(typed.state, 'failed');
    assert.deepEqual(typed.error, { code: 'invalid_input', message: 'Not a DICOM file', details: { file: '/x/y.dcm' } });
    assert.equal(typed.message, 'Not a DICOM file');
    assert.equal(typed.result, null);

    const plain = await jobs.wait(jobs.start('t.fails', { plain: true }).id);
    assert.equal(plain.state, 'failed');
    assert.deepEqual(plain.error, { code: 'internal', message: 'segfault in codec' });
    assert.equal(of(events, typed.id, 'job.done').length, 1);
    assert.equal(of(events, plain.id, 'job.done').length, 1);
  });

  test('a job that ignores the signal but finishes after cancel still ends cancelled', TIMEOUT, async () => {
    const bus = new EventBus();
    const events = record(bus);
    const jobs = new JobManager(bus);
    let finished = false;
    jobs.register({
      type: 't.stubborn',
      label: 's',
      description: 's',
      params: z.object({ throwAtEnd: z.boolean() }),
      async run({ throwAtEnd }) {
        await sleep(150); // does not look at the signal
        finished = true;
        if (throwAtEnd) throw new Error('late failure');
        return { computed: true };
      },
    });
    for (const throwAtEnd of [false, true]) {
      finished = false;
      const { id } = jobs.start('t.stubborn', { throwAtEnd });
      await sleep(20);
      jobs.cancel(id);
      const done = await jobs.wait(id);
      assert.equal(finished, true, 'the job ran to its end');
      assert.equal(done.state, 'cancelled');
      assert.equal(done.result, null, 'its result is dropped');
      assert.equal(done.error, null, 'a failure after cancel is not reported as failed');
      assert.equal(of(events, id, 'job.done').length, 1);
    }
  });

  test('invalid params and unknown types throw DelineateError with the right codes and start nothing', TIMEOUT, () => {
    const bus = new EventBus();
    const events = record(bus);
    const jobs = new JobManager(bus);
    jobs.register({ type: 't.n', label: 'n', description: 'n', params: z.object({ n: z.number().int() }), async run() {} });
    const expectCode = (code: string) => (err: unknown) => {
      assert.ok(err instanceof DelineateError, String(err));
      assert.equal(err.code, code);
      return true;
    };
    assert.throws(() => jobs.start('t.n', { n: 'three' }), expectCode('invalid_params'));
    assert.throws(() => jobs.start('t.n', { n: 1.5 }), expectCode('invalid_params'));
    assert.throws(() => jobs.start('t.n', undefined), expectCode('invalid_params'));
    assert.throws(() => jobs.start('t.missing', { n: 1 }), expectCode('not_found'));
    assert.throws(() => jobs.get('nope'), expectCode('not_found'));
    assert.throws(() => jobs.cancel('nope'), expectCode('not_found'));
    assert.deepEqual(jobs.list(), []);
    assert.equal(events.length, 0);
  });

  test('wait on an unknown job rejects with not_found', TIMEOUT, async () => {
    const jobs = new JobManager(new EventBus());
    await assert.rejects(jobs.wait('nope'), (err: unknown) => err instanceof DelineateError && err.code === 'not_found');
  });

  test('registering a type twice is refused', TIMEOUT, () => {
    const jobs = new JobManager(new EventBus());
    const type: JobType<unknown> = { type: 't.dup', label: 'd', description: 'd', params: z.unknown(), async run() {} };
    jobs.register(type);
    assert.throws(() => jobs.register(type), /registered twice/);
  });

  test('userInitiated start of a type that is not user-startable is refused; startableTypes lists only startable ones', TIMEOUT, async () => {
    const jobs = new JobManager(new EventBus());
    jobs.register({ type: 't.internal', label: 'Internal', description: 'not for users', params: z.object({}), async run() {} });
    jobs.register({
      type: 't.public',
      label: 'Public',
      description: 'for users',
      params: z.object({ k: z.number().default(1) }),
      userStartable: { defaultParams: { k: 3 } },
      async run({ k }) {
        return k;
      },
    });
    assert.deepEqual(jobs.startableTypes(), [{ type: 't.public', label: 'Public', description: 'for users', defaultParams: { k: 3 } }]);
    assert.throws(
      () => jobs.start('t.internal', {}, { userInitiated: true }),
      (err: unknown) => err instanceof DelineateError && err.code === 'not_found',
    );
    assert.deepEqual(jobs.list(), []);
    // the same type started by the app itself is fine
    const internal = jobs.start('t.internal', {}, { label: 'Custom label' });
    assert.equal(internal.label, 'Custom label');
    assert.equal((await jobs.wait(internal.id)).state, 'succeeded');
    const pub = jobs.start('t.public', {}, { userInitiated: true });
    assert.equal((await jobs.wait(pub.id)).result, 1);
  });

  test('list returns every job, newest first', TIMEOUT, async () => {
    const jobs = new JobManager(new EventBus());
    jobs.register({ type: 't.quick', label: 'q', description: 'q', params: z.object({}), async run() {} });
    const a = jobs.start('t.quick', {});
    await sleep(5);
    const b = jobs.start('t.quick', {});
    await Promise.all([jobs.wait(a.id), jobs.wait(b.id)]);
    assert.deepEqual(jobs.list().map((j) => j.id), [b.id, a.id]);
  });

  test('shutdown cancels running and queued jobs and resolves when all have settled', TIMEOUT, async () => {
    const bus = new EventBus();
    const events = record(bus);
    const jobs = new JobManager(bus, { concurrency: 2 });
    const runs: string[] = [];
    jobs.register(waitsForAbort('test.waits', runs));
    const ids = [jobs.start('test.waits', {}).id, jobs.start('test.waits', {}).id, jobs.start('test.waits', {}).id];
    assert.deepEqual(ids.map((id) => jobs.get(id).state), ['running', 'running', 'queued']);

    await jobs.shutdown();
    for (const id of ids) {
      assert.equal(jobs.get(id).state, 'cancelled');
      assert.equal(of(events, id, 'job.done').length, 1);
    }
    await sleep(30);
    assert.equal(runs.length, 2, 'the queued job never started, even after running ones freed their slots');
    await jobs.shutdown(); // nothing left: resolves at once
  });
});
