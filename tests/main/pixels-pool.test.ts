// DecodePool: worker threads decode in parallel, errors stay with their file, crashed workers are replaced.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DecodePool, decodeDicomFile, PixelDataError } from '../../src/main/studies/dicom/pixels/index.js';

const PYTHON = '/usr/bin/python3'; // Debian's, with pydicom and numpy (not the pyenv python3 on PATH)
const GENERATOR = fileURLToPath(new URL('../../../tests/fixtures/make-pixel-variants.py', import.meta.url));
const WORKER = new URL('../../src/main/studies/dicom/pixels/decode-worker.js', import.meta.url);

interface Manifest {
  variants: { name: string; file: string }[];
  bad: { name: string; file: string }[];
}

function makeFixtures(families: string): { dir: string; manifest: Manifest } {
  if (!fs.existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: the pixel fixtures need Debian's python3 with pydicom and numpy`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'delineate-pixel-pool-'));
  const run = spawnSync(PYTHON, [GENERATOR, dir, '--only', families], { encoding: 'utf8', env: { ...process.env, NODE: process.execPath } });
  if (run.status !== 0) throw new Error(`make-pixel-variants.py failed (exit ${run.status}): ${run.stderr || run.error?.message}`);
  return { dir, manifest: JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as Manifest };
}

// bad_family rewrites some ct/mr files, so those families come along.
const { dir, manifest } = makeFixtures('ct,mr,rgb,mf,bad');
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const file = (name: string): string => path.join(dir, name);

test('decodes a batch in parallel; each bad file rejects alone with its own named error', async () => {
  const pool = new DecodePool(3);
  try {
    const good = manifest.variants.map((v) => file(v.file));
    const bad = manifest.bad.map((b) => file(b.file));
    const settled = await Promise.allSettled([...good, ...bad].map((f) => pool.decodeFile(f)));
    for (const [i, outcome] of settled.slice(0, good.length).entries()) {
      assert.equal(outcome.status, 'fulfilled', `${good[i]}: ${outcome.status === 'rejected' ? String(outcome.reason) : ''}`);
      const inThread = await decodeDicomFile(fs.readFileSync(good[i]!), good[i]!);
      assert.deepEqual(outcome.value, inThread, good[i]);
    }
    for (const [i, outcome] of settled.slice(good.length).entries()) {
      assert.equal(outcome.status, 'rejected', `${bad[i]} decoded although it is broken`);
      assert.ok(outcome.reason instanceof PixelDataError, String(outcome.reason));
      assert.ok(outcome.reason.message.startsWith(`${bad[i]}: `), outcome.reason.message);
    }
    assert.ok(pool.stats().peakBusy >= 2, `files never decoded concurrently: ${JSON.stringify(pool.stats())}`);
    assert.equal(pool.stats().workers, 3);
  } finally {
    await pool.close();
  }
});

test('frames come back as typed arrays that own their (transferred) buffers', async () => {
  const pool = new DecodePool(1);
  try {
    const { frames } = await pool.decodeFile(file('mf-jpeg-sv1.dcm'));
    assert.equal(frames.length, 3);
    for (const frame of frames) {
      assert.ok(frame instanceof Int16Array);
      assert.equal(frame.byteOffset, 0);
      assert.equal(frame.buffer.byteLength, frame.byteLength);
    }
  } finally {
    await pool.close();
  }
});

test('an unreadable file rejects with its path', async () => {
  const pool = new DecodePool(1);
  const missing = file('does-not-exist.dcm');
  try {
    await assert.rejects(pool.decodeFile(missing), (error: Error) => {
      assert.ok(error instanceof PixelDataError);
      assert.equal(error.message, `${missing}: cannot read the file (ENOENT)`);
      return true;
    });
  } finally {
    await pool.close();
  }
});

test('a crashed worker fails only its file and is replaced', async () => {
  // A stand-in worker script: the real one, plus a listener that kills the thread for "crash-*" paths.
  const script = path.join(dir, 'crashing-worker.mjs');
  fs.writeFileSync(
    script,
    // Static import: the real worker's listener must be attached before the first message arrives.
    `import ${JSON.stringify(WORKER.href)};
import { parentPort } from 'node:worker_threads';
parentPort.on('message', ({ path }) => {
  if (path.endsWith('crash-exit')) process.exit(3);
  if (path.endsWith('crash-throw')) throw new Error('boom');
});
`,
  );
  const pool = new DecodePool(1, { workerUrl: pathToFileURL(script) });
  const good = file('ct-explicit-le.dcm');
  try {
    const batch = await Promise.allSettled([pool.decodeFile('crash-exit'), pool.decodeFile(good), pool.decodeFile('crash-throw'), pool.decodeFile(good)]);
    assert.deepEqual(
      batch.map((o) => o.status),
      ['rejected', 'fulfilled', 'rejected', 'fulfilled'],
    );
    const [exit, , thrown] = batch as PromiseRejectedResult[];
    assert.match(String(exit!.reason.message), /^crash-exit: the decode worker exited \(code 3\)$/);
    assert.match(String(thrown!.reason.message), /^crash-throw: the decode worker crashed: boom$/);
    assert.equal(pool.stats().crashes, 2);
  } finally {
    await pool.close();
  }
});

test('headers queued together share messages, and each file gets its own header', async () => {
  const good = manifest.variants.map((v) => file(v.file)).filter((f) => !f.includes('bad'));
  const files = Array.from({ length: 40 }, (_, i) => good[i % good.length]!);
  const pool = new DecodePool(1);
  try {
    const headers = await Promise.all([...files, 'no-such-file.dcm'].map((f) => pool.readHeader(f)));
    files.forEach((f, i) => {
      const header = headers[i]!;
      assert.ok('instance' in header ? header.instance.file === f : header.skip, `${f}: ${JSON.stringify(header).slice(0, 200)}`);
    });
    assert.match(JSON.stringify(headers.at(-1)), /cannot read: ENOENT/);
    assert.ok(pool.stats().posts < files.length / 2, `headers were not batched: ${JSON.stringify(pool.stats())}`);
  } finally {
    await pool.close();
  }
});

test('a batch of headers that crashes its worker is retried one file per message, so the crash names its file', async () => {
  const script = path.join(dir, 'crashing-header-worker.mjs');
  fs.writeFileSync(
    script,
    `import ${JSON.stringify(WORKER.href)};
import { parentPort } from 'node:worker_threads';
parentPort.on('message', (post) => {
  if ((Array.isArray(post) ? post : [post]).some((r) => r.path.endsWith('crash-exit'))) process.exit(3);
});
`,
  );
  const pool = new DecodePool(1, { workerUrl: pathToFileURL(script) });
  const good = file('ct-explicit-le.dcm');
  try {
    const paths = [good, good, 'crash-exit', good, good, good, good, good];
    const outcomes = await Promise.allSettled(paths.map((p) => pool.readHeader(p)));
    assert.deepEqual(
      outcomes.map((o) => o.status),
      paths.map((p) => (p === 'crash-exit' ? 'rejected' : 'fulfilled')),
    );
    assert.match(String((outcomes[2] as PromiseRejectedResult).reason.message), /^crash-exit: the decode worker exited \(code 3\)$/);
    const answers = outcomes.filter((o) => o.status === 'fulfilled').map((o) => (o as PromiseFulfilledResult<object>).value);
    for (const answer of answers) assert.deepEqual(answer, answers[0], 'the files posted again are answered as usual');
    assert.equal(pool.stats().crashes, 2, 'once in its batch, once alone');
  } finally {
    await pool.close();
  }
});

test('close() rejects files still queued, and later calls', async () => {
  const pool = new DecodePool(1);
  const pending = Promise.allSettled(Array.from({ length: 4 }, () => pool.decodeFile(file('ct-j2k.dcm'))));
  await pool.close();
  for (const outcome of await pending) {
    assert.equal(outcome.status, 'rejected');
    assert.match(String(outcome.reason.message), /the decode pool was closed before the file was decoded$/);
  }
  await assert.rejects(pool.decodeFile(file('ct-j2k.dcm')), /the decode pool is closed/);
});

test('rejects a thread count below one', () => {
  assert.throws(() => new DecodePool(0), RangeError);
});
