/**
 * A node's catalog aggregates over a real lake (DuckDB over Parquet): coverage, distributions under the minimum
 * cell, no distribution of identifying or L4–L5 fields, ODS volume and loads by day.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { nodeAggregates } from '../../src/catalog/aggregates.ts';
import { CATALOG, catalogTable } from '../../src/catalog/definitions.ts';
import type { NodeAggregates } from '../../src/catalog/schemas.ts';
import { lakeColumns } from '../../src/model/dwd.ts';
import type { LoadRow } from '../../src/pipeline/service.ts';
import { ENCRYPTED_FIELDS } from '../../src/privacy/field-crypto.ts';
import { type Lake, openLake } from '../../src/store/index.ts';

const MIN_CELL = 5;
const NOW = new Date('2026-03-10T12:00:00Z');
let dir: string;
let lake: Lake;
let agg: NodeAggregates;

const LOADS: LoadRow[] = [
  load('l1', '2026-03-08T09:00:00Z', 'completed', 40, 38),
  load('l2', '2026-03-08T15:00:00Z', 'failed', 10, 0),
  load('l3', '2026-03-09T09:00:00Z', 'completed', 25, 25),
  load('l0', '2025-01-01T09:00:00Z', 'completed', 99, 99),
];

function load(loadId: string, startedAt: string, status: LoadRow['status'], recordsRead: number, rowsLoaded: number) {
  return {
    loadId,
    source: 'his',
    startedAt,
    finishedAt: startedAt,
    status,
    files: 1,
    recordsRead,
    rowsLoaded,
    rejected: 0,
  };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'catalog-agg-'));
  lake = await openLake({ dir: join(dir, 'lake') });
  const genders = [...Array(12).fill('M'), ...Array(6).fill('F'), 'U', 'U'];
  await lake.writeBatch({
    table: 'person',
    batchId: 'b1',
    columns: lakeColumns('person'),
    rows: genders.map((gender, i) => ({
      person_id: `P${i}`,
      name: `mer1.ciphertext-${i}`,
      gender,
      birth_date: i < 15 ? '1960-05-01' : '1971-02-03',
      year_of_birth: i < 15 ? 1960 : 1971,
      source_sha256: 'a'.repeat(64),
      source_position: `f:${i}`,
      mapping_version: 'his@1',
      load_id: 'l1',
    })),
  });
  await lake.writeBatch({
    table: 'measurement',
    batchId: 'b1',
    columns: lakeColumns('measurement'),
    rows: Array.from({ length: 60 }, (_, i) => ({
      person_id: `P${i % 20}`,
      measurement_code: '14749-6',
      value: 4 + (i % 30) / 10,
      unit: i < 58 ? 'mmol/L' : null,
      source_sha256: 'b'.repeat(64),
      source_position: `g:${i}`,
      mapping_version: 'lis@1',
      load_id: 'l3',
    })),
  });
  mkdirSync(join(dir, 'ods', 'ab'), { recursive: true });
  writeFileSync(join(dir, 'ods', 'ab', 'ab01'), 'x'.repeat(100));
  writeFileSync(join(dir, 'ods', 'ab', 'ab02'), 'y'.repeat(50));
  agg = await nodeAggregates({
    lake,
    loads: async (limit) => LOADS.slice(0, limit),
    odsDir: join(dir, 'ods'),
    minCell: MIN_CELL,
    now: () => NOW,
  });
});

after(async () => {
  await lake?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Every count anywhere in the answer (fields named count, nonNull, rows, persons, visits, other). */
function releasedCounts(value: unknown, key = ''): number[] {
  if (Array.isArray(value)) return value.flatMap((v) => releasedCounts(v, key));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => releasedCounts(v, k));
  }
  const countKeys = ['count', 'nonNull', 'persons', 'visits', 'other'];
  return typeof value === 'number' && countKeys.includes(key) ? [value] : [];
}

test('no released count is between 1 and the minimum cell − 1', () => {
  const small = releasedCounts(agg).filter((n) => n > 0 && n < MIN_CELL);
  assert.deepEqual(small, []);
  for (const t of Object.values(agg.dwd.tables)) assert.ok(t.rows === null || t.rows === 0 || t.rows >= MIN_CELL);
});

test('categories: a small category and the next smallest are hidden, labels and all', () => {
  const gender = agg.fields.person?.gender;
  assert.deepEqual(gender?.distribution, { kind: 'categories', categories: [{ value: 'M', count: 12 }], other: 8 });
  assert.equal(gender?.nonNull, 20);
  assert.equal(gender?.share, 1);
});

test('identifying and encrypted fields are counted for coverage but never summarized', () => {
  assert.equal(agg.fields.person?.name?.distribution, null);
  assert.equal(agg.fields.person?.name?.nonNull, 20);
  assert.equal(agg.fields.person?.person_id?.distribution, null);
  assert.equal(agg.fields.person?.source_position?.distribution, null);
  assert.equal(agg.fields.person?.phone?.nonNull, 0);
});

test('dates by year, numbers as a histogram with round bounds, coverage withheld when few rows lack a value', () => {
  assert.deepEqual(agg.fields.person?.birth_date?.distribution, {
    kind: 'years',
    categories: [
      { value: '1960', count: 15 },
      { value: '1971', count: 5 },
    ],
    other: 0,
  });
  const value = agg.fields.measurement?.value?.distribution;
  assert.equal(value?.kind, 'histogram');
  if (value?.kind === 'histogram') {
    const shown = value.bins.reduce((s, b) => s + (b.count ?? 0), 0);
    const hidden = 60 - shown;
    assert.ok(hidden === 0 || hidden >= MIN_CELL);
    for (const b of value.bins) if (b.from !== null) assert.equal(b.from, Number(b.from.toFixed(6)));
  }
  assert.equal(agg.fields.measurement?.unit?.share, null, '2 rows of 60 lack a unit: under the minimum cell');
});

test('persons, rows per table, ODS volume and loads by day', () => {
  assert.equal(agg.persons, 20);
  assert.equal(agg.visits, 0);
  assert.deepEqual(agg.dwd.tables.person?.rows, 20);
  assert.equal(agg.dwd.rows, 80);
  assert.deepEqual(agg.ods, { files: 2, bytes: 150, records: 40 + 25 + 99 });
  assert.deepEqual(agg.loads, [
    { day: '2026-03-08', loads: 2, failed: 1, records: 40, rows: 38 },
    { day: '2026-03-09', loads: 1, failed: 0, records: 25, rows: 25 },
  ]);
});

test('the catalog withholds distributions of every encrypted and every L4–L5 field', () => {
  for (const table of CATALOG) {
    for (const f of table.fields) {
      if (f.level >= 4 || ENCRYPTED_FIELDS[table.name].includes(f.name)) {
        assert.equal(f.distribution, 'none', `${table.name}.${f.name}`);
        assert.notEqual(f.withheld, null);
      }
    }
  }
  assert.equal(catalogTable('person').level, 4);
  assert.ok(catalogTable('note').fields.some((f) => f.name === 'load_id' && f.lineage));
});
