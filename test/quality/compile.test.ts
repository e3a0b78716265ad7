/**
 * Compiling rules to DuckDB SQL: the statements are pure text with values as parameters, and run against a real
 * lake of hand-made DWD rows they count exactly the planted failures (per row, person or source record), return
 * the failing rows' lineage, scope to one load, and treat absent tables as the rules promise.
 */

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type DwdTable, lakeColumns } from '../../src/model/dwd.ts';
import { openFieldCrypto } from '../../src/node/keys.ts';
import { type RowProtector, rowProtector } from '../../src/privacy/protect.ts';
import { type CompileContext, compileRule, parseRule, type QualityRuleInput } from '../../src/quality/index.ts';
import { type Lake, openLake } from '../../src/store/index.ts';

let dir: string;
let lake: Lake;
let present: Set<string>;
const AS_OF = '2026-05-01';

type Row = Record<string, unknown>;
let line = 0;
function lineage(load: string, position?: string): Row {
  return {
    source_sha256: 'f'.repeat(64),
    source_position: position ?? `x.csv:${++line}`,
    mapping_version: 'spec@1',
    load_id: load,
  };
}

let protect: RowProtector;

/** Writes rows as the loader would: through the node's protector (blind indexes, encryption). */
async function write(table: DwdTable, batchId: string, rows: Row[]): Promise<void> {
  await lake.writeBatch({ table, batchId, columns: lakeColumns(table), rows: rows.map((r) => protect(table, r)) });
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'quality-compile-'));
  lake = await openLake({ dir: join(dir, 'lake') });
  protect = rowProtector(await openFieldCrypto({ dataDir: dir, hasData: false }));
  const p = (person_id: string, extra: Row, position?: string) => ({
    person_id,
    gender: 'M',
    ...extra,
    ...lineage('L1', position),
  });
  await write('person', 'p1', [
    p('P1', { birth_date: '1950-01-01', id_number: '110101195001011234', name: '张三', phone: '13800000001' }),
    p('P2', { gender: 'X', birth_date: '1980-05-05' }, 'person.csv:20'),
    p('P2', { gender: 'X', birth_date: '1980-05-05' }, 'person.csv:21'),
    p('P3', { gender: 'F', birth_date: '1850-01-01', region_code: '12345' }),
    p('P4', { gender: null }),
    p('P9', {
      birth_date: '1950-01-01',
      id_number: '１１０１０１１９５００１０１１２３４',
      name: '张 三',
      phone: '139',
    }),
  ]);
  await write('visit_occurrence', 'v1', [
    {
      visit_id: 'V1',
      person_id: 'P1',
      visit_type: 'inpatient',
      start_date: '2020-01-10',
      end_date: '2020-01-05',
      ...lineage('L1'),
    },
    { visit_id: 'V2', person_id: 'P2', visit_type: 'outpatient', start_date: '2021-03-01', ...lineage('L1') },
  ]);
  await write('death', 'd1', [{ person_id: 'P1', death_date: '2025-01-01', ...lineage('L1') }]);
  const m = (id: string, extra: Row, load = 'L1', position?: string) => ({
    person_id: 'P1',
    visit_id: 'V1',
    measurement_code: '14749-6',
    value: 5.5,
    unit: 'mmol/L',
    measured_at: '2020-01-10T08:00:00Z',
    source_value: id,
    ...extra,
    ...lineage(load, position),
  });
  await write('measurement', 'm1', [
    m('ok', {}),
    m('scale', { value: 99 }),
    m('unit', { unit: 'mg/dL' }),
    m('before-birth', { measured_at: '1940-01-01T08:00:00Z' }),
    m('orphan', { person_id: 'PX' }),
    m('no-visit', { person_id: 'P2', visit_id: 'V404' }),
    m('dup-a', { measurement_code: '2823-3', value: 4.1 }, 'L1', 'lab.hl7#5/1(OBX)'),
    m('dup-b', { measurement_code: '2823-3', value: 4.2 }, 'L1', 'lab.hl7#5/2(OBX)'),
    m('dup-a', { measurement_code: '2823-3', value: 4.1 }, 'L1', 'lab.hl7#6/1(OBX)'),
    m('dup-b', { measurement_code: '2823-3', value: 4.2 }, 'L1', 'lab.hl7#6/2(OBX)'),
    m('after-death', { measured_at: '2030-01-01T08:00:00Z' }),
  ]);
  await write('measurement', 'm2', [m('negative', { person_id: 'P2', visit_id: 'V2', value: -1 }, 'L2')]);
  present = new Set(await lake.tables());
});

after(async () => {
  await lake.close();
  rmSync(dir, { recursive: true, force: true });
});

function rule(table: DwdTable, subcategory: string, check: unknown, extra: Partial<QualityRuleInput> = {}) {
  const category =
    {
      required: 'completeness',
      value_set: 'conformance',
      format: 'conformance',
      unit: 'conformance',
      relational: 'conformance',
    }[subcategory] ?? 'plausibility';
  return parseRule({
    id: `t.${table}.${subcategory}`,
    category,
    subcategory,
    table,
    severity: 'error',
    threshold: 0,
    check,
    description: { zh: '测试', en: 'test' },
    ...extra,
  });
}

async function counts(r: ReturnType<typeof parseRule>, ctx: Partial<CompileContext> = {}) {
  const c = compileRule(r, { present, asOf: AS_OF, ...ctx });
  assert.equal(c.kind, 'sql', r.id);
  if (c.kind !== 'sql') throw new Error('unreachable');
  const [row] = await lake.query(c.counts.sql, c.counts.params);
  const sample = await lake.query(c.sample.sql, c.sample.params);
  return { failing: Number(row?.failing), denominator: Number(row?.denominator), sample };
}

test('a rule whose table the lake lacks is not applicable; values travel as parameters, never as SQL text', () => {
  const r = rule('note', 'required', { kind: 'not_null', field: 'note_text' });
  assert.deepEqual(compileRule(r, { present, asOf: AS_OF }), {
    kind: 'not_applicable',
    reason: 'the lake has no note table',
  });
  const evil = "x' or 1=1 --";
  const c = compileRule(
    rule(
      'measurement',
      'value_set',
      { kind: 'value_set', field: 'unit', values: [evil] },
      { where: { measurement_code: [evil] } },
    ),
    { present, asOf: AS_OF, loadId: evil },
  );
  assert.equal(c.kind, 'sql');
  if (c.kind !== 'sql') return;
  assert.ok(!c.counts.sql.includes(evil), 'no value inside the SQL text');
  assert.deepEqual(c.counts.params, [evil, evil, evil]);
  assert.match(c.counts.sql, /t\.load_id = \$1/);
});

test('completeness, value sets and formats count rows or distinct persons', async () => {
  const gender = rule('person', 'required', { kind: 'not_null', field: 'gender' });
  assert.deepEqual((await counts(gender)).failing, 1);
  const values = rule('person', 'value_set', { kind: 'value_set', field: 'gender', values: ['M', 'F', 'U'] });
  assert.deepEqual([(await counts(values)).failing, (await counts(values)).denominator], [2, 5]);
  const perPerson = rule(
    'person',
    'value_set',
    { kind: 'value_set', field: 'gender', values: ['M', 'F', 'U'] },
    { countBy: 'person' },
  );
  assert.deepEqual([(await counts(perPerson)).failing, (await counts(perPerson)).denominator], [1, 4]);
  const format = rule('person', 'format', { kind: 'pattern', field: 'region_code', regex: '[0-9]{6}' });
  assert.deepEqual([(await counts(format)).failing, (await counts(format)).denominator], [1, 1]);
});

test('units per code and unit-scale ranges find mislabelled values, with lineage back to the source', async () => {
  const units = rule('measurement', 'unit', {
    kind: 'unit_per_code',
    codeField: 'measurement_code',
    unitField: 'unit',
    units: { '14749-6': ['mmol/L'], '2823-3': ['mmol/L'] },
  });
  const u = await counts(units);
  assert.deepEqual([u.failing, u.denominator], [1, 12]);
  assert.deepEqual(Object.keys(u.sample[0] ?? {}), ['source_sha256', 'source_position', 'mapping_version', 'load_id']);
  const scale = rule(
    'measurement',
    'unit',
    { kind: 'range', field: 'value', min: 1.5, max: 55 },
    { where: { measurement_code: ['14749-6'] } },
  );
  const s = await counts(scale);
  assert.deepEqual([s.failing, s.denominator], [2, 8], 'the 99 mmol/L and the -1 of load L2');
  assert.deepEqual(s.sample.map((r) => r.load_id).sort(), ['L1', 'L2']);
});

test('a load-scoped run checks only that load’s rows but references the whole table', async () => {
  const negative = rule('measurement', 'atemporal', { kind: 'range', field: 'value', min: 0 });
  assert.deepEqual(
    [(await counts(negative, { loadId: 'L2' })).failing, (await counts(negative, { loadId: 'L2' })).denominator],
    [1, 1],
  );
  assert.equal((await counts(negative, { loadId: 'L1' })).failing, 0);
  const person = rule('measurement', 'relational', {
    kind: 'reference',
    field: 'person_id',
    refTable: 'person',
    refField: 'person_id',
  });
  assert.equal((await counts(person, { loadId: 'L2' })).failing, 0, 'P2 of load L1 is found');
  assert.equal((await counts(person)).failing, 1, 'PX is not a person');
});

test('referential integrity into an absent table fails every reference; an order check against one passes', async () => {
  const visit = rule('measurement', 'relational', {
    kind: 'reference',
    field: 'visit_id',
    refTable: 'visit_occurrence',
    refField: 'visit_id',
  });
  assert.equal((await counts(visit)).failing, 1, 'V404');
  const withoutVisits = new Set([...present].filter((t) => t !== 'visit_occurrence'));
  assert.deepEqual(
    [(await counts(visit, { present: withoutVisits })).failing, (await counts(visit)).denominator],
    [12, 12],
  );
  const death = rule('measurement', 'temporal', {
    kind: 'ref_order',
    field: 'measured_at',
    op: 'not_after',
    refTable: 'death',
    refField: 'death_date',
  });
  assert.equal((await counts(death)).failing, 1, 'the 2030 result after the 2025 death');
  const withoutDeath = new Set([...present].filter((t) => t !== 'death'));
  assert.equal((await counts(death, { present: withoutDeath })).failing, 0);
});

test('temporal plausibility: before birth, discharge before admission, age over the limit', async () => {
  const birth = rule('measurement', 'temporal', {
    kind: 'ref_order',
    field: 'measured_at',
    op: 'not_before',
    refTable: 'person',
    refField: 'birth_date',
  });
  assert.equal((await counts(birth)).failing, 1);
  const discharge = rule('visit_occurrence', 'temporal', {
    kind: 'field_order',
    field: 'end_date',
    notBefore: 'start_date',
  });
  assert.deepEqual([(await counts(discharge)).failing, (await counts(discharge)).denominator], [1, 1]);
  const age = rule('person', 'atemporal', { kind: 'age', field: 'birth_date', maxYears: 130 }, { countBy: 'person' });
  assert.deepEqual([(await counts(age)).failing, (await counts(age)).denominator], [1, 4]);
  assert.equal((await counts(age, { asOf: '1979-01-01' })).failing, 0, 'the reference date comes from the context');
});

test('exact duplicates ignore lineage and count per source record; near duplicates compare blind indexes of normalized identifiers', async () => {
  const dupRows = rule('measurement', 'uniqueness', { kind: 'duplicate' });
  assert.equal((await counts(dupRows)).failing, 2, 'two OBX rows repeat');
  const dupRecords = rule('measurement', 'uniqueness', { kind: 'duplicate' }, { countBy: 'record' });
  const d = await counts(dupRecords);
  assert.equal(d.failing, 1, 'one repeated message');
  assert.deepEqual(
    d.sample.map((r) => r.source_position),
    ['lab.hl7#6/1(OBX)', 'lab.hl7#6/2(OBX)'],
  );
  const persons = rule('person', 'uniqueness', { kind: 'duplicate' }, { countBy: 'record' });
  assert.equal((await counts(persons)).failing, 1, 'P2 twice');
  const near = rule('person', 'uniqueness', {
    kind: 'near_duplicate',
    key: 'person_id',
    same: ['gender', 'birth_date'],
    anyOf: [{ field: 'id_number_bidx' }, { field: 'name_bidx' }],
  });
  const n = await counts(near);
  assert.equal(n.failing, 1, 'P9 is P1 with a full-width ID number and a space in the name');
  const exactOnly = rule('person', 'uniqueness', {
    kind: 'near_duplicate',
    key: 'person_id',
    same: ['gender', 'birth_date'],
    anyOf: [{ field: 'phone_bidx' }],
  });
  assert.equal((await counts(exactOnly)).failing, 0, 'their phones differ');
  const clear = rule('person', 'uniqueness', {
    kind: 'near_duplicate',
    key: 'person_id',
    same: ['gender', 'birth_date'],
    anyOf: [{ field: 'id_number' }, { field: 'name' }],
  });
  assert.equal((await counts(clear)).failing, 0, 'encrypted identifiers never compare equal (fresh nonces)');
});
