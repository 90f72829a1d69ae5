// Backups with SQLite's online backup, and a damaged store: refused with what is wrong and which
// backup to restore, and left exactly as it was.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../../src/main/cli/main.js';
import { createServices } from '../../src/main/services/app-services.js';
import { listBackups } from '../../src/main/store/backup.js';
import { DATABASE_FILE, openDatabase } from '../../src/main/store/database.js';
import { makeSeries, tempDir } from '../helpers/dicom-fixtures.js';

async function cli(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env: {} });
  return { code, stdout, stderr };
}

const seriesCount = (dataDir: string) => {
  const { db } = openDatabase(dataDir);
  try {
    return (db.prepare('SELECT count(*) AS n FROM series').get() as { n: number }).n;
  } finally {
    db.close();
  }
};

describe('store backups and damage', () => {
  let dataDir: string;
  let inputDir: string;

  before(async () => {
    dataDir = tempDir('backup-store');
    inputDir = makeSeries(tempDir('backup-in'), [
      { name: 'a', slices: 3, rows: 8, cols: 8, series_number: 1 },
      { name: 'b', slices: 3, rows: 8, cols: 8, series_number: 2 },
    ]);
    const services = createServices({ dataDir, host: 'test' });
    await services.jobs.wait(services.jobs.start('studies.import', { paths: [inputDir] }).id);
    await services.close();
  });

  after(() => {
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(inputDir, { recursive: true, force: true });
  });

  test('a backup is a checked copy of the store; --keep prunes the oldest', async () => {
    const first = await cli('backup', '--data-dir', dataDir, '--json');
    assert.equal(first.code, 0, first.stderr);
    const { file } = JSON.parse(first.stdout) as { file: string };
    assert.ok(fs.existsSync(file));
    assert.equal(seriesCount(dataDir), 2);
    const copy = tempDir('backup-copy');
    fs.copyFileSync(file, path.join(copy, DATABASE_FILE));
    assert.equal(seriesCount(copy), 2, 'the backup holds the imported series');
    fs.rmSync(copy, { recursive: true, force: true });
    for (let n = 0; n < 3; n++) assert.equal((await cli('backup', '--data-dir', dataDir, '--keep', '2')).code, 0);
    const kept = listBackups(dataDir);
    assert.equal(kept.length, 2);
    assert.ok(!kept.includes(file), 'the oldest went first');
    assert.equal((await cli('backup', '--data-dir', dataDir, '--keep', '0')).code, 2);
  });

  for (const [damage, at, expected] of [
    ['a garbled header', 0, /not a database/],
    ['garbled pages', 4096, /damaged|malformed|not a database/],
  ] as const) {
    test(`${damage}: the store is refused, names the newest backup, is left untouched, and the backup restores it`, async () => {
      const broken = tempDir('backup-broken');
      fs.cpSync(dataDir, broken, { recursive: true });
      const store = path.join(broken, DATABASE_FILE);
      const bytes = fs.readFileSync(store);
      for (let i = at; i < Math.min(bytes.length, at + 4096); i++) bytes[i] = (bytes[i]! * 31 + 17) & 0xff;
      fs.writeFileSync(store, bytes);
      const before = fs.readFileSync(store);
      assert.throws(
        () => createServices({ dataDir: broken, host: 'test' }),
        (err: Error) => expected.test(err.message) && err.message.includes(listBackups(broken)[0]!) && /Nothing was written/.test(err.message),
      );
      const doctor = await cli('import', inputDir, '--data-dir', broken);
      assert.equal(doctor.code, 1);
      assert.match(doctor.stderr, /Cannot open the store/);
      assert.deepEqual(fs.readFileSync(store), before, 'the damaged file is exactly as it was');
      fs.copyFileSync(listBackups(broken)[0]!, store);
      assert.equal(seriesCount(broken), 2, 'restored from the backup');
      fs.rmSync(broken, { recursive: true, force: true });
    });
  }
});
