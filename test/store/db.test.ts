/**
 * The operational database suite, run unchanged on PGlite (default) and on PostgreSQL
 * (MERIDIAN_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test): a fresh database per test.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAbortedTransactionError, type Kysely, sql } from 'kysely';
import { isMeridianError } from '../../src/errors/registry.ts';
import { type Database, MIGRATIONS_TABLE, type Migration, openDatabase } from '../../src/store/index.ts';
import { applyMigrations } from '../../src/store/migrations.ts';
import { freshDatabase, TARGET } from './targets.ts';

// biome-ignore lint/suspicious/noExplicitAny: tests create their tables on the fly.
type AnyDb = any;

const createEvents: Migration = {
  id: 'test-0001-events',
  async up(db) {
    await db.schema
      .createTable('events')
      .addColumn('seq', 'serial', (c) => c.primaryKey())
      .addColumn('what', 'text', (c) => c.notNull().unique())
      .execute();
  },
};

function recordEvent(id: string, what: string): Migration {
  return {
    id,
    async up(db) {
      await db.insertInto('events').values({ what }).execute();
    },
  };
}

async function events(db: Kysely<AnyDb>): Promise<string[]> {
  const rows = await db.selectFrom('events').select('what').orderBy('seq').execute();
  return rows.map((row: { what: string }) => row.what);
}

async function appliedIds(db: Kysely<AnyDb>): Promise<string[]> {
  const rows = await db.selectFrom(MIGRATIONS_TABLE).select('id').orderBy('applied_at').orderBy('id').execute();
  return rows.map((row: { id: string }) => row.id);
}

async function withDatabase(
  t: { after(fn: () => Promise<void>): void },
  migrations: readonly Migration[],
  opts: { persistent?: boolean } = {},
): Promise<{ handle: Database<AnyDb>; reopen(list: readonly Migration[]): Promise<Database<AnyDb>> }> {
  const fresh = freshDatabase(opts);
  const handles: Database<AnyDb>[] = [];
  t.after(async () => {
    for (const h of handles) await h.close();
    await fresh.cleanup();
  });
  const reopen = async (list: readonly Migration[]) => {
    const h = await openDatabase<AnyDb>({ ...fresh.options, migrations: list });
    handles.push(h);
    return h;
  };
  return { handle: await reopen(migrations), reopen };
}

test(`[${TARGET}] openDatabase reports its dialect`, async (t) => {
  const { handle } = await withDatabase(t, []);
  assert.equal(handle.dialect, TARGET);
});

test(`[${TARGET}] migrations apply in list order, once; reopening applies only new ones`, async (t) => {
  const list = [createEvents, recordEvent('test-0002-first', 'first'), recordEvent('test-0003-second', 'second')];
  const { handle, reopen } = await withDatabase(t, list, { persistent: true });
  assert.deepEqual(await events(handle.db), ['first', 'second']);
  assert.deepEqual((await appliedIds(handle.db)).sort(), list.map((m) => m.id).sort());
  await handle.close();

  const again = await reopen(list);
  assert.deepEqual(await events(again.db), ['first', 'second'], 'reopen is a no-op');
  await again.close();

  const more = await reopen([...list, recordEvent('test-0004-third', 'third')]);
  assert.deepEqual(await events(more.db), ['first', 'second', 'third']);
  assert.equal((await appliedIds(more.db)).length, 4);
});

test(`[${TARGET}] a failing migration rolls back, names its id and cause, and keeps the earlier ones`, async (t) => {
  const broken: Migration = {
    id: 'test-0002-broken',
    async up(db) {
      await db.schema.createTable('half_done').addColumn('id', 'integer').execute();
      await sql`select 1 / 0`.execute(db);
    },
  };
  const { handle, reopen } = await withDatabase(t, [createEvents], { persistent: true });
  await handle.close();
  await assert.rejects(reopen([createEvents, broken, recordEvent('test-0003-after', 'after')]), (e: unknown) => {
    assert.ok(isMeridianError(e, 'MER_STORE_MIGRATION_FAILED'));
    assert.match(e.message, /test-0002-broken/);
    assert.match(e.message, /division by zero/);
    assert.equal(e.details?.id, 'test-0002-broken');
    assert.equal(e.details?.sqlState, '22012');
    return true;
  });
  const after = await reopen([createEvents]);
  assert.deepEqual(await appliedIds(after.db), ['test-0001-events']);
  const tables = await sql<{ n: number }>`select count(*) as n from information_schema.tables
    where table_schema = current_schema() and table_name = 'half_done'`.execute(after.db);
  assert.equal(tables.rows[0]?.n, 0, 'the failed migration left no table');
  assert.deepEqual(await events(after.db), [], 'the migration after it did not run');
});

test(`[${TARGET}] a migration changed after it was applied is refused`, async (t) => {
  const { handle, reopen } = await withDatabase(t, [createEvents], { persistent: true });
  await handle.close();
  const edited: Migration = {
    id: 'test-0001-events',
    async up(db) {
      await db.schema.createTable('events').addColumn('seq', 'bigserial').execute();
    },
  };
  await assert.rejects(reopen([edited]), (e: unknown) => {
    assert.ok(isMeridianError(e, 'MER_STORE_MIGRATION_FAILED'));
    assert.match(e.message, /test-0001-events was changed after it was applied/);
    return true;
  });
  const sameCodeAnotherObject: Migration = {
    id: 'test-0001-events',
    async up(db) {
      await db.schema
        .createTable('events')
        .addColumn('seq', 'serial', (c) => c.primaryKey())
        .addColumn('what', 'text', (c) => c.notNull().unique())
        .execute();
    },
  };
  await (await reopen([sameCodeAnotherObject])).close();
});

test(`[${TARGET}] malformed and duplicate migration ids are refused before anything runs`, async (t) => {
  const fresh = freshDatabase();
  t.after(() => fresh.cleanup());
  for (const list of [[{ ...createEvents, id: 'Events' }], [createEvents, createEvents]]) {
    await assert.rejects(openDatabase({ ...fresh.options, migrations: list }), (e: unknown) => {
      assert.ok(isMeridianError(e, 'MER_STORE_MIGRATION_FAILED'));
      return true;
    });
  }
});

test(`[${TARGET}] concurrent starts apply each migration exactly once`, async (t) => {
  const list = [createEvents, recordEvent('test-0002-once', 'once')];
  if (TARGET === 'postgres') {
    const fresh = freshDatabase();
    const handles = await Promise.all(
      Array.from({ length: 4 }, () => openDatabase<AnyDb>({ ...fresh.options, migrations: list })),
    );
    t.after(async () => {
      for (const h of handles) await h.close();
      await fresh.cleanup();
    });
    const [first] = handles;
    assert.ok(first);
    assert.deepEqual(await events(first.db), ['once']);
    assert.equal((await appliedIds(first.db)).length, 2);
  } else {
    const { handle } = await withDatabase(t, []);
    const applied = await Promise.all(Array.from({ length: 4 }, () => applyMigrations(handle.db, list)));
    assert.deepEqual(applied.flat().sort(), list.map((m) => m.id).sort());
    assert.deepEqual(await events(handle.db), ['once']);
  }
});

test(`[${TARGET}] a transaction commits as a whole or rolls back as a whole`, async (t) => {
  const { handle } = await withDatabase(t, [createEvents]);
  const { db } = handle;
  await db.transaction().execute(async (trx: Kysely<AnyDb>) => {
    await trx.insertInto('events').values({ what: 'a' }).execute();
    await trx.insertInto('events').values({ what: 'b' }).execute();
  });
  await assert.rejects(
    db.transaction().execute(async (trx: Kysely<AnyDb>) => {
      await trx.insertInto('events').values({ what: 'c' }).execute();
      throw new Error('changed my mind');
    }),
    /changed my mind/,
  );
  assert.deepEqual(await events(db), ['a', 'b']);

  const trx = await db.startTransaction().execute();
  await trx.insertInto('events').values({ what: 'd' }).execute();
  const sp = await trx.savepoint('before_e').execute();
  await sp.insertInto('events').values({ what: 'e' }).execute();
  await sp.rollbackToSavepoint('before_e').execute();
  await trx.commit().execute();
  assert.deepEqual(await events(db), ['a', 'b', 'd']);
});

test(`[${TARGET}] a transaction with a failed statement cannot commit (same error on both dialects)`, async (t) => {
  const { handle } = await withDatabase(t, [createEvents]);
  await assert.rejects(
    handle.db.transaction().execute(async (trx: Kysely<AnyDb>) => {
      await trx.insertInto('events').values({ what: 'x' }).execute();
      await trx
        .insertInto('events')
        .values({ what: 'x' })
        .execute()
        .catch(() => undefined);
    }),
    (e: unknown) => isAbortedTransactionError(e),
  );
  assert.deepEqual(await events(handle.db), []);
});

test(`[${TARGET}] concurrent transactions stay correct; on PGlite they never interleave`, async (t) => {
  const counter: Migration = {
    id: 'test-0001-counter',
    async up(db) {
      await db.schema
        .createTable('counter')
        .addColumn('n', 'integer', (c) => c.notNull())
        .execute();
      await db.insertInto('counter').values({ n: 0 }).execute();
    },
  };
  const { handle } = await withDatabase(t, [counter]);
  const trace: string[] = [];
  await Promise.all(
    Array.from({ length: 6 }, (_, i) =>
      handle.db.transaction().execute(async (trx: Kysely<AnyDb>) => {
        trace.push(`${i}:begin`);
        const row = await trx.selectFrom('counter').select('n').forUpdate().executeTakeFirstOrThrow();
        await sleep(10);
        await trx
          .updateTable('counter')
          .set({ n: row.n + 1 })
          .execute();
        trace.push(`${i}:end`);
      }),
    ),
  );
  const final = await handle.db.selectFrom('counter').select('n').executeTakeFirstOrThrow();
  assert.equal(final.n, 6);
  if (handle.dialect === 'pglite') {
    for (let k = 0; k < trace.length; k += 2) {
      assert.equal(trace[k]?.split(':')[0], trace[k + 1]?.split(':')[0], `interleaved: ${trace.join(' ')}`);
    }
  }
});

test(`[${TARGET}] constraint errors carry the SQLSTATE on both dialects`, async (t) => {
  const { handle } = await withDatabase(t, [createEvents]);
  await handle.db.insertInto('events').values({ what: 'dup' }).execute();
  await assert.rejects(handle.db.insertInto('events').values({ what: 'dup' }).execute(), { code: '23505' });
  const result = await handle.db.deleteFrom('events').where('what', '=', 'dup').executeTakeFirst();
  assert.equal(result.numDeletedRows, 1n);
});

test(`[${TARGET}] values come back as the same JS types on both dialects`, async (t) => {
  const { handle } = await withDatabase(t, []);
  const { rows } = await sql<Record<string, unknown>>`select
      42::int8 as small, 9007199254740993::int8 as big, count(*) as n,
      7::int4 as i4, 1.25::float8 as f8, 12.50::numeric as num,
      date '2026-03-01' as d, timestamp '2026-03-01 08:30:00.123' as ts,
      timestamptz '2026-03-01 08:30:00+08' as tz, '\\x0aff'::bytea as bytes,
      true as flag, '{"a":[1,2]}'::jsonb as doc,
      array[1, 9007199254740993]::int8[] as ints, array[date '2026-01-02', null] as dates,
      array['a b', 'c"d', null]::text[] as texts, null::text as nothing
    from (values (1), (2)) as v(x)`.execute(handle.db);
  assert.deepEqual(rows[0], {
    small: 42,
    big: 9007199254740993n,
    n: 2,
    i4: 7,
    f8: 1.25,
    num: '12.50',
    d: '2026-03-01',
    ts: new Date('2026-03-01T08:30:00.123Z'),
    tz: new Date('2026-03-01T00:30:00Z'),
    bytes: Buffer.from([0x0a, 0xff]),
    flag: true,
    doc: { a: [1, 2] },
    ints: [1, 9007199254740993n],
    dates: ['2026-01-02', null],
    texts: ['a b', 'c"d', null],
    nothing: null,
  });
});

test(`[${TARGET}] parameters round-trip (Date, bigint, Buffer, JSON)`, async (t) => {
  const table: Migration = {
    id: 'test-0001-params',
    async up(db) {
      await db.schema
        .createTable('params')
        .addColumn('at', 'timestamptz')
        .addColumn('day', 'date')
        .addColumn('big', 'bigint')
        .addColumn('raw', 'bytea')
        .addColumn('doc', 'jsonb')
        .execute();
    },
  };
  const { handle } = await withDatabase(t, [table]);
  const at = new Date('2026-03-01T08:30:00.456Z');
  await handle.db
    .insertInto('params')
    .values({ at, day: '2026-03-01', big: 2n ** 60n, raw: Buffer.from('héllo'), doc: JSON.stringify({ k: 'v' }) })
    .execute();
  assert.deepEqual(await handle.db.selectFrom('params').selectAll().executeTakeFirst(), {
    at,
    day: '2026-03-01',
    big: 2n ** 60n,
    raw: Buffer.from('héllo'),
    doc: { k: 'v' },
  });
});

test(`[${TARGET}] the schema option creates the schema and puts it first on the search_path`, async (t) => {
  const fresh = freshDatabase();
  const schema = fresh.options.schema ?? 'isolated_here';
  const handle = await openDatabase<AnyDb>({ ...fresh.options, schema, migrations: [createEvents] });
  t.after(async () => {
    await handle.close();
    await fresh.cleanup();
  });
  const { rows } = await sql<{ s: string }>`select current_schema() as s`.execute(handle.db);
  assert.equal(rows[0]?.s, schema);
  const owner = await sql<{ table_schema: string }>`select table_schema from information_schema.tables
    where table_name = ${MIGRATIONS_TABLE} and table_schema in (${schema}, 'public')`.execute(handle.db);
  assert.deepEqual(
    owner.rows.map((r) => r.table_schema),
    [schema],
  );
});

test('a schema name that needs quoting is refused', async () => {
  await assert.rejects(openDatabase({ schema: 'Robert"; drop', migrations: [] }), (e: unknown) =>
    isMeridianError(e, 'MER_CONFIG_INVALID'),
  );
});

test('unreachable PostgreSQL gives MER_STORE_UNAVAILABLE naming host:port, never the password', async () => {
  await assert.rejects(
    openDatabase({ databaseUrl: 'postgres://meridian:s3cr3t-pw@127.0.0.1:1/clinical', migrations: [] }),
    (e: unknown) => {
      assert.ok(isMeridianError(e, 'MER_STORE_UNAVAILABLE'));
      assert.match(e.message, /127\.0\.0\.1:1/);
      assert.doesNotMatch(`${e.message} ${JSON.stringify(e.details)} ${JSON.stringify(e.toBody())}`, /s3cr3t/);
      assert.equal(e.details?.port, 1);
      return true;
    },
  );
});

test('a database URL that is not a postgres:// URL is refused without echoing it', async () => {
  for (const databaseUrl of ['not a url with pass:w0rd', 'mysql://u:w0rd@h/db']) {
    await assert.rejects(openDatabase({ databaseUrl, migrations: [] }), (e: unknown) => {
      assert.ok(isMeridianError(e, 'MER_CONFIG_INVALID'));
      assert.doesNotMatch(e.message, /w0rd/);
      return true;
    });
  }
});
