import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { DATABASE_FILE, currentSchemaVersion, integrityCheck, migrate, openDatabase, sqliteVersion } from '../../src/main/store/database.js';
import { MIGRATIONS, type Migration, type MigrationContext } from '../../src/main/store/migrations.js';
import { DelineateError } from '../../src/shared/errors.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'delineate-db-test-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

let counter = 0;
/** A fresh, not yet existing data directory under the suite's temp root. */
function freshDir(): string {
  counter++;
  return path.join(root, `case-${counter}`, 'data');
}

function tableNames(db: Database): string[] {
  return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
}

function migrationRows(db: Database): { version: number; name: string }[] {
  return db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all() as { version: number; name: string }[];
}

function appMeta(db: Database): Record<string, string> {
  const rows = db.prepare('SELECT key, value FROM app_meta').all() as { key: string; value: string }[];
  return Object.fromEntries(rows.map((r) => [r.key, r.value]));
}

/** Open file descriptors of this process pointing at paths under dir (Linux only). */
function openFilesUnder(dir: string): string[] {
  return fs.readdirSync('/proc/self/fd').flatMap((fd) => {
    try {
      const target = fs.readlinkSync(`/proc/self/fd/${fd}`);
      return target.startsWith(dir) ? [target] : [];
    } catch {
      return [];
    }
  });
}

const migration1 = MIGRATIONS.find((m) => m.version === 1)!;
const addNotes: Migration = {
  version: 2,
  name: 'notes',
  up(db) {
    db.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL) STRICT');
  },
};

describe('openDatabase', () => {
  test('creates the directory and the file, with WAL journal and foreign keys on', () => {
    const dir = freshDir();
    assert.equal(fs.existsSync(dir), false);
    const { db, file, applied } = openDatabase(dir);
    try {
      assert.equal(file, path.join(dir, DATABASE_FILE));
      assert.ok(fs.statSync(file).isFile());
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
      assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
      assert.equal(db.pragma('busy_timeout', { simple: true }), 5000);
      assert.deepEqual(applied, MIGRATIONS.map((m) => m.version));
      assert.equal(currentSchemaVersion(db), MIGRATIONS.at(-1)!.version);
      assert.match(sqliteVersion(db), /^3\.\d+\.\d+$/);
    } finally {
      db.close();
    }
    // WAL is a property of the file: a plain connection sees it too
    const raw = new BetterSqlite3(path.join(dir, DATABASE_FILE), { readonly: true });
    try {
      assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
    } finally {
      raw.close();
    }
  });

  test('foreign keys are enforced on the opened connection', () => {
    const { db } = openDatabase(freshDir());
    try {
      db.exec('CREATE TABLE parent (id INTEGER PRIMARY KEY); CREATE TABLE child (pid INTEGER REFERENCES parent(id))');
      assert.throws(() => db.prepare('INSERT INTO child (pid) VALUES (99)').run(), /FOREIGN KEY constraint failed/);
    } finally {
      db.close();
    }
  });

  test('reopening applies nothing and keeps the same store_id', () => {
    const dir = freshDir();
    const first = openDatabase(dir);
    const meta1 = appMeta(first.db);
    const rows1 = migrationRows(first.db);
    first.db.close();

    const second = openDatabase(dir);
    try {
      assert.deepEqual(second.applied, []);
      assert.deepEqual(appMeta(second.db), meta1);
      assert.deepEqual(migrationRows(second.db), rows1);
    } finally {
      second.db.close();
    }
  });

  test('two stores get different store ids', () => {
    const a = openDatabase(freshDir());
    const b = openDatabase(freshDir());
    try {
      assert.notEqual(appMeta(a.db).store_id, appMeta(b.db).store_id);
    } finally {
      a.db.close();
      b.db.close();
    }
  });

  test('integrityCheck is ok on a fresh store', () => {
    const { db } = openDatabase(freshDir());
    try {
      assert.deepEqual(integrityCheck(db), { ok: true, problems: [] });
    } finally {
      db.close();
    }
  });

  test('a store written by a newer Delineate is refused with conflict and left untouched', () => {
    const dir = freshDir();
    const { db, file } = openDatabase(dir);
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(999, 'from the future', '2099-01-01T00:00:00.000Z');
    const rowsBefore = migrationRows(db);
    const tablesBefore = tableNames(db);
    db.close();
    const bytesBefore = fs.readFileSync(file);

    assert.throws(
      () => openDatabase(dir),
      (err: unknown) => {
        assert.ok(err instanceof DelineateError);
        assert.equal(err.code, 'conflict');
        assert.deepEqual(err.details, { current: 999, latest: MIGRATIONS.at(-1)!.version });
        assert.match(err.message, /999/);
        return true;
      },
    );
    assert.deepEqual(openFilesUnder(dir), [], 'the refused store is closed again');

    const check = new BetterSqlite3(file, { readonly: true });
    try {
      assert.deepEqual(migrationRows(check), rowsBefore);
      assert.deepEqual(tableNames(check), tablesBefore);
    } finally {
      check.close();
    }
    assert.ok(fs.readFileSync(file).equals(bytesBefore), 'the database file is byte-for-byte unchanged');
  });

  test('a file that is not SQLite gives invalid_input naming the file, and is not left open', () => {
    const dir = freshDir();
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, DATABASE_FILE);
    const garbage = Buffer.from('This is not an SQLite database, just some bytes somebody saved here.\n'.repeat(64));
    fs.writeFileSync(file, garbage);

    assert.throws(
      () => openDatabase(dir),
      (err: unknown) => {
        assert.ok(err instanceof DelineateError, `expected DelineateError, got ${String(err)}`);
        assert.equal(err.code, 'invalid_input');
        assert.ok(err.message.includes(file), `message names the file: ${err.message}`);
        assert.match(err.message, /not a database/);
        assert.deepEqual(err.details, { file });
        return true;
      },
    );
    assert.ok(fs.readFileSync(file).equals(garbage), 'the file is not overwritten');
    assert.equal(fs.existsSync(`${file}-wal`), false, 'no WAL file was created next to it');
    if (process.platform === 'linux') assert.deepEqual(openFilesUnder(dir), [], 'no file handle stays open on the bad file');
  });
});

describe('migrations', () => {
  test('migration 1 creates app_meta with a 32-hex-char store_id and an ISO created_at', () => {
    assert.equal(migration1.version, 1);
    const dir = freshDir();
    const before = Date.now();
    const { db, applied } = openDatabase(dir, [migration1]);
    try {
      assert.deepEqual(applied, [1]);
      assert.deepEqual(tableNames(db), ['app_meta', 'schema_migrations']);
      const columns = (db.pragma('table_info(app_meta)') as { name: string; type: string; pk: number }[]).map((c) => [c.name, c.type, c.pk]);
      assert.deepEqual(columns, [['key', 'TEXT', 1], ['value', 'TEXT', 0]]);
      const meta = appMeta(db);
      assert.deepEqual(Object.keys(meta).sort(), ['created_at', 'store_id']);
      assert.match(meta.store_id!, /^[0-9a-f]{32}$/);
      assert.match(meta.created_at!, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      const created = Date.parse(meta.created_at!);
      assert.ok(created >= before - 1000 && created <= Date.now() + 1000, `created_at ${meta.created_at} is now`);
      assert.deepEqual(migrationRows(db), [{ version: 1, name: 'app metadata' }]);
      const appliedAt = (db.prepare('SELECT applied_at FROM schema_migrations WHERE version = 1').get() as { applied_at: string }).applied_at;
      assert.ok(Math.abs(Date.parse(appliedAt) - Date.now()) < 60_000, `applied_at ${appliedAt}`);
      // app_meta is STRICT: a non-text value is refused
      assert.throws(() => db.prepare('INSERT INTO app_meta (key, value) VALUES (?, ?)').run('x', Buffer.from([1])), /cannot store BLOB/);
    } finally {
      db.close();
    }
  });

  test('MIGRATIONS are numbered 1..n without gaps and each has a name', () => {
    assert.ok(MIGRATIONS.length >= 1);
    MIGRATIONS.forEach((m, i) => {
      assert.equal(m.version, i + 1);
      assert.ok(m.name.length > 0);
    });
  });

  test('on an existing v1 store, migrate applies only the new v2', () => {
    const dir = freshDir();
    const v1 = openDatabase(dir, [migration1]);
    const storeId = appMeta(v1.db).store_id;
    v1.db.close();

    const v2 = openDatabase(dir, [migration1, addNotes]);
    try {
      assert.deepEqual(v2.applied, [2]);
      assert.equal(currentSchemaVersion(v2.db), 2);
      assert.deepEqual(tableNames(v2.db), ['app_meta', 'notes', 'schema_migrations']);
      assert.equal(appMeta(v2.db).store_id, storeId, 'migration 1 did not run again');
      assert.deepEqual(migrationRows(v2.db), [
        { version: 1, name: 'app metadata' },
        { version: 2, name: 'notes' },
      ]);
      assert.deepEqual(migrate(v2.db, [migration1, addNotes], { dataDir: ':memory:' }), [], 'running again applies nothing');
    } finally {
      v2.db.close();
    }
  });

  test('migrate on an empty connection applies every migration in order', () => {
    const db = new BetterSqlite3(':memory:');
    try {
      const order: number[] = [];
      const tracked = [migration1, addNotes].map((m) => ({ ...m, up: (d: Database, c: MigrationContext) => (order.push(m.version), m.up(d, c)) }));
      assert.deepEqual(migrate(db, tracked, { dataDir: ':memory:' }), [1, 2]);
      assert.deepEqual(order, [1, 2]);
    } finally {
      db.close();
    }
  });

  test('a failing migration rolls back: its table is not created and its version not recorded', () => {
    const dir = freshDir();
    openDatabase(dir, [migration1]).db.close();
    const broken: Migration = {
      version: 2,
      name: 'broken',
      up(db) {
        db.exec('CREATE TABLE half_done (id INTEGER PRIMARY KEY)');
        db.exec("INSERT INTO app_meta (key, value) VALUES ('half', 'done')");
        db.exec('THIS IS NOT SQL');
      },
    };
    assert.throws(() => openDatabase(dir, [migration1, broken]), /syntax error/);

    const { db, applied } = openDatabase(dir, [migration1]);
    try {
      assert.deepEqual(applied, []);
      assert.equal(currentSchemaVersion(db), 1);
      assert.deepEqual(tableNames(db), ['app_meta', 'schema_migrations']);
      assert.equal(appMeta(db).half, undefined, 'data written by the failed migration is rolled back');
      assert.deepEqual(integrityCheck(db), { ok: true, problems: [] });
    } finally {
      db.close();
    }
    // the failure left the store usable: fixing the migration applies it
    const fixed = openDatabase(dir, [migration1, addNotes]);
    try {
      assert.deepEqual(fixed.applied, [2]);
    } finally {
      fixed.db.close();
    }
  });

  test('a failure in a later migration keeps the earlier ones of the same run', () => {
    const db = new BetterSqlite3(':memory:');
    try {
      const failing: Migration = { version: 3, name: 'fails', up: () => { throw new Error('nope'); } };
      assert.throws(() => migrate(db, [migration1, addNotes, failing], { dataDir: ':memory:' }), /nope/);
      assert.equal(currentSchemaVersion(db), 2);
      assert.deepEqual(tableNames(db), ['app_meta', 'notes', 'schema_migrations']);
    } finally {
      db.close();
    }
  });

  test('migrate refuses a schema newer than the list with conflict, without changing it', () => {
    const db = new BetterSqlite3(':memory:');
    try {
      migrate(db, [migration1, addNotes], { dataDir: ':memory:' });
      assert.throws(
        () => migrate(db, [migration1], { dataDir: ':memory:' }),
        (err: unknown) => err instanceof DelineateError && err.code === 'conflict' && err.details?.current === 2 && err.details?.latest === 1,
      );
      assert.equal(currentSchemaVersion(db), 2);
      assert.deepEqual(tableNames(db), ['app_meta', 'notes', 'schema_migrations']);
    } finally {
      db.close();
    }
  });
});
