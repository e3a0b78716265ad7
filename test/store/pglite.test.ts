/** What only the embedded database has: a data directory, its lock, fsync per commit, crash survival. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, sql } from 'kysely';
import { isMeridianError } from '../../src/errors/registry.ts';
import { openDatabase } from '../../src/store/index.ts';
import { PGliteDialect } from '../../src/store/pglite-dialect.ts';
import { DURABLE_START_PARAMS, DurableNodeFS } from '../../src/store/pglite-fs.ts';
import { startFixture } from './child.ts';
import { ACKS_MIGRATIONS, type AcksDatabase } from './fixtures/acks-schema.ts';
import { deferrer, tempDir } from './targets.ts';

test('data written with a dataDir is there after close and reopen', async (t) => {
  const defer = deferrer(t);
  const { dir, cleanup } = tempDir('meridian-pglite-');
  defer(cleanup);
  const first = await openDatabase<AcksDatabase>({ dataDir: dir, migrations: ACKS_MIGRATIONS });
  assert.equal(first.dialect, 'pglite');
  await first.db
    .insertInto('acks')
    .values([{ n: 1 }, { n: 2 }])
    .execute();
  await first.close();
  assert.ok(existsSync(join(dir, 'db', 'PG_VERSION')));
  assert.ok(!existsSync(join(dir, 'db.lock')), 'close releases the lock');

  const second = await openDatabase<AcksDatabase>({ dataDir: dir, migrations: ACKS_MIGRATIONS });
  defer(() => second.close());
  const rows = await second.db.selectFrom('acks').select('n').orderBy('n').execute();
  assert.deepEqual(rows, [{ n: 1 }, { n: 2 }]);
});

test('a data directory in use is refused, naming the process; free again after close', async (t) => {
  const defer = deferrer(t);
  const { dir, cleanup } = tempDir('meridian-pglite-');
  defer(cleanup);
  const first = await openDatabase({ dataDir: dir, migrations: [] });
  await assert.rejects(openDatabase({ dataDir: dir, migrations: [] }), (e: unknown) => {
    assert.ok(isMeridianError(e, 'MER_STORE_UNAVAILABLE'));
    assert.match(e.message, new RegExp(`in use by process ${process.pid} \\(this process\\)`));
    return true;
  });
  await first.close();
  await (await openDatabase({ dataDir: dir, migrations: [] })).close();
});

test('a lock left by a dead process is taken over', async (t) => {
  const defer = deferrer(t);
  const { dir, cleanup } = tempDir('meridian-pglite-');
  defer(cleanup);
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  writeFileSync(join(dir, 'db.lock'), `${dead.stdout}\n`);
  await (await openDatabase({ dataDir: dir, migrations: [] })).close();
});

test('a half-initialized cluster from a crashed first start is discarded', async (t) => {
  const defer = deferrer(t);
  const { dir, cleanup } = tempDir('meridian-pglite-');
  defer(cleanup);
  mkdirSync(join(dir, '.db-init-crashed', 'base'), { recursive: true });
  await (await openDatabase({ dataDir: dir, migrations: [] })).close();
  assert.deepEqual(readdirSync(dir).sort(), ['db']);
});

test('a non-empty db directory that holds no cluster is refused, not overwritten', async (t) => {
  const defer = deferrer(t);
  const { dir, cleanup } = tempDir('meridian-pglite-');
  defer(cleanup);
  mkdirSync(join(dir, 'db'));
  writeFileSync(join(dir, 'db', 'notes.txt'), 'keep me');
  await assert.rejects(openDatabase({ dataDir: dir, migrations: [] }), (e: unknown) =>
    isMeridianError(e, 'MER_STORE_UNAVAILABLE'),
  );
  assert.ok(existsSync(join(dir, 'db', 'notes.txt')));
});

test('every commit is flushed with fsync(2) before it returns', async (t) => {
  const defer = deferrer(t);
  const { dir, cleanup } = tempDir('meridian-pglite-');
  defer(cleanup);
  const fs = new DurableNodeFS(dir);
  const pg = await PGlite.create({ fs, startParams: [...DURABLE_START_PARAMS] });
  defer(() => pg.close());
  assert.deepEqual((await pg.query(`select current_setting('fsync') as f`)).rows, [{ f: 'on' }]);
  await pg.query('create table t (n int)');
  const before = fs.syncCount;
  for (let n = 0; n < 5; n++) await pg.query('insert into t values ($1)', [n]);
  assert.ok(fs.syncCount - before >= 5, `5 commits, ${fs.syncCount - before} fsyncs`);
});

test('every acknowledged commit survives SIGKILL of the process', async (t) => {
  const defer = deferrer(t);
  const { dir, cleanup } = tempDir('meridian-pglite-');
  defer(cleanup);
  const writer = startFixture('pglite-writer.ts', [dir]);
  defer(() => writer.kill());
  await writer.waitForLine(/^ack 40$/, 120_000);
  await writer.kill();
  const acked = Math.max(...writer.lines.filter((l) => l.startsWith('ack ')).map((l) => Number(l.slice(4))));

  const reopened = await openDatabase<AcksDatabase>({ dataDir: dir, migrations: ACKS_MIGRATIONS });
  defer(() => reopened.close());
  const rows = await reopened.db.selectFrom('acks').select('n').orderBy('n').execute();
  const committed = rows.map((r) => r.n);
  assert.ok(committed.length >= acked, `acknowledged ${acked}, found ${committed.length}`);
  assert.deepEqual(
    committed.slice(0, acked),
    Array.from({ length: acked }, (_, i) => i + 1),
  );
});

test('using db instead of trx inside a transaction fails after the wait limit instead of hanging', async (t) => {
  const defer = deferrer(t);
  const db = new Kysely<unknown>({ dialect: new PGliteDialect({ pglite: await PGlite.create(), waitTimeoutMs: 200 }) });
  defer(() => db.destroy());
  await assert.rejects(
    db.transaction().execute(async () => {
      await sql`select 1`.execute(db);
    }),
    (e: unknown) => isMeridianError(e, 'MER_STORE_UNAVAILABLE') && /through its trx/.test(e.message),
  );
  assert.deepEqual((await sql`select 1 as x`.execute(db)).rows, [{ x: 1 }], 'usable afterwards');
});

test('a transaction left open with raw SQL is rolled back when its connection is handed on', async (t) => {
  const defer = deferrer(t);
  const db = new Kysely<unknown>({ dialect: new PGliteDialect({ pglite: await PGlite.create() }) });
  defer(() => db.destroy());
  await sql`create table t (n int)`.execute(db);
  await db.connection().execute(async (conn) => {
    await sql`begin`.execute(conn);
    await sql`insert into t values (1)`.execute(conn);
  });
  assert.deepEqual((await sql`select count(*) as n from t`.execute(db)).rows, [{ n: 0 }]);
});
