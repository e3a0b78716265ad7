/**
 * De-identification cores: keyed pseudonyms, per-patient date shifting (intervals preserved across tables),
 * generalization, and the spec's validation with errors naming the unknown table, field or misfit rule.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { isMeridianError } from '../../src/errors/registry.ts';
import { DWD_TABLES, type DwdTable } from '../../src/model/dwd.ts';
import { dateShiftDays, isoDateToDay } from '../../src/privacy/date-shift.ts';
import {
  ageBand,
  ageYears,
  codePrefix,
  defaultDeidSpec,
  deidentifyExtract,
  generalizeRare,
  parseDeidSpec,
  planExtract,
  pseudonym,
  regionPrefix,
  tableExtract,
  withRules,
} from '../../src/privacy/index.ts';

const KEY_A = Buffer.alloc(32, 1);
const KEY_B = Buffer.alloc(32, 2);
const CTX = { projectKey: KEY_A, maxShiftDays: 365, referenceDate: '2025-01-01' };

function specProblems(input: unknown): string[] {
  try {
    parseDeidSpec(input);
  } catch (e) {
    assert.ok(isMeridianError(e, 'MER_PRIVACY_SPEC_INVALID'), String(e));
    return (e.details?.problems as string[]) ?? [];
  }
  assert.fail('the spec was accepted');
}

test('pseudonyms are stable under one key, differ across keys and across domains', () => {
  fc.assert(
    fc.property(fc.string({ minLength: 1 }), (value) => {
      assert.equal(pseudonym(KEY_A, 'person_id', value), pseudonym(KEY_A, 'person_id', value));
      assert.notEqual(pseudonym(KEY_A, 'person_id', value), pseudonym(KEY_B, 'person_id', value));
      assert.notEqual(pseudonym(KEY_A, 'person_id', value), pseudonym(KEY_A, 'visit_id', value));
      assert.match(pseudonym(KEY_A, 'person_id', value), /^[0-9a-f]{32}$/);
    }),
  );
  assert.throws(
    () => pseudonym(Buffer.alloc(16), 'person_id', 'x'),
    (e) => isMeridianError(e, 'MER_PRIVACY_INVALID_OPTION'),
  );
});

test('date offsets lie in ±N days, are never zero, and differ across keys', () => {
  fc.assert(
    fc.property(fc.string({ minLength: 1, maxLength: 20 }), fc.integer({ min: 1, max: 3650 }), (person, maxDays) => {
      const d = dateShiftDays({ key: KEY_A, personKey: person, maxDays });
      assert.ok(d !== 0 && Math.abs(d) <= maxDays, `${d} within ±${maxDays}`);
    }),
  );
  const persons = Array.from({ length: 200 }, (_, i) => `P${i}`);
  const a = persons.map((p) => dateShiftDays({ key: KEY_A, personKey: p, maxDays: 365 }));
  const b = persons.map((p) => dateShiftDays({ key: KEY_B, personKey: p, maxDays: 365 }));
  assert.ok(new Set(a).size > 150, 'offsets spread over the window');
  assert.ok(
    a.some((d, i) => d !== b[i]),
    'another key gives other offsets',
  );
  assert.throws(
    () => dateShiftDays({ key: KEY_A, personKey: 'p', maxDays: 0 }),
    (e) => isMeridianError(e, 'MER_PRIVACY_INVALID_OPTION'),
  );
});

test("date shifting moves all of a patient's dates in every table by one offset, preserving intervals", () => {
  const spec = defaultDeidSpec();
  const day = fc.integer({ min: isoDateToDay('2000-01-01') as number, max: isoDateToDay('2030-12-31') as number });
  const iso = (d: number) => new Date(d * 86_400_000).toISOString().slice(0, 10);
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.constantFrom('p1', 'p2', 'p3'), day, day, day), { minLength: 1, maxLength: 30 }),
      (events) => {
        const visits = events.map(([p, s, e], i) => ({
          visit_id: `v${i}`,
          person_id: p,
          start_date: iso(s),
          end_date: iso(e),
        }));
        const conditions = events.map(([p, , , c], i) => ({ person_id: p, visit_id: `v${i}`, condition_date: iso(c) }));
        const v = deidentifyExtract(
          visits,
          planExtract(spec, {
            visit_id: { table: 'visit_occurrence', field: 'visit_id' },
            person_id: { table: 'visit_occurrence', field: 'person_id' },
            start_date: { table: 'visit_occurrence', field: 'start_date' },
            end_date: { table: 'visit_occurrence', field: 'end_date' },
          }),
          CTX,
        );
        const c = deidentifyExtract(
          conditions,
          planExtract(spec, {
            person_id: { table: 'condition_occurrence', field: 'person_id' },
            visit_id: { table: 'condition_occurrence', field: 'visit_id' },
            condition_date: { table: 'condition_occurrence', field: 'condition_date' },
          }),
          CTX,
        );
        const dayOf = (x: unknown) => isoDateToDay(x as string) as number;
        const offsets = new Map<string, number>();
        events.forEach(([p, s, e, cd], i) => {
          const out = v[i] as Record<string, unknown>;
          const cond = c[i] as Record<string, unknown>;
          const offset = dayOf(out.start_date) - s;
          assert.notEqual(offset, 0);
          assert.equal(offsets.get(p) ?? offset, offset, `one offset for ${p}`);
          offsets.set(p, offset);
          assert.equal(dayOf(out.end_date) - dayOf(out.start_date), e - s, 'length of stay kept');
          assert.equal(dayOf(cond.condition_date) - dayOf(out.start_date), cd - s, 'interval across tables kept');
          assert.equal(cond.person_id, out.person_id, 'one pseudonym per person across tables');
          assert.equal(cond.visit_id, out.visit_id, 'one pseudonym per visit across tables');
        });
      },
    ),
  );
});

test('timestamps shift by whole days, keeping the time of day', () => {
  const plan = planExtract(defaultDeidSpec(), {
    person_id: { table: 'measurement', field: 'person_id' },
    measured_at: { table: 'measurement', field: 'measured_at' },
  });
  const at = new Date('2024-03-05T07:31:00Z');
  const [row] = deidentifyExtract([{ person_id: 'p1', measured_at: at }], plan, CTX);
  const shifted = row?.measured_at as Date;
  const days = dateShiftDays({ key: KEY_A, personKey: 'p1', maxDays: 365 });
  assert.equal(shifted.getTime() - at.getTime(), days * 86_400_000);
});

test('generalization: age bands, years, region prefixes, code prefixes, rare values', () => {
  assert.equal(ageYears('1960-06-15', '2025-06-14'), 64);
  assert.equal(ageYears('1960-06-15', '2025-06-15'), 65);
  assert.equal(ageBand(64, { width: 10, topAge: 90 }), '60-69');
  assert.equal(ageBand(93, { width: 10, topAge: 90 }), '90+');
  assert.equal(ageBand(4, { width: 5, topAge: 90 }), '0-4');
  assert.equal(regionPrefix('320213', 2), '32');
  assert.equal(regionPrefix('320213', 4), '3202');
  assert.equal(regionPrefix('3202', 2), null);
  assert.equal(codePrefix('E11.900x001', 3), 'E11');
  assert.deepEqual(generalizeRare(['a', 'a', 'b', null, 'c', 'a'], { min: 2, other: '其他' }), [
    'a',
    'a',
    '其他',
    null,
    '其他',
    'a',
  ]);
  const spec = withRules(defaultDeidSpec(), {
    person: {
      birth_date: { generalize: 'age_band', width: 10 },
      region_code: [
        { generalize: 'region', digits: 2 },
        { generalize: 'rare', min: 2 },
      ],
    },
  });
  const plan = planExtract(spec, tableExtract('person'));
  const rows = [
    { ...personRow('1'), birth_date: '1950-02-01', region_code: '320213' },
    { ...personRow('2'), birth_date: '2001-12-31', region_code: '320102' },
    { ...personRow('3'), birth_date: null, region_code: '650103' },
  ];
  const out = deidentifyExtract(rows, plan, CTX);
  assert.deepEqual(
    out.map((r) => [r.birth_date, r.region_code]),
    [
      ['70-79', '32'],
      ['20-29', '32'],
      [null, '其他'],
    ],
  );
});

function personRow(id: string): Record<string, unknown> {
  return {
    person_id: id,
    patient_token: `tok${id}`,
    local_patient_id: `L${id}`,
    id_number: '110101199003071234',
    name: '张伟',
    phone: '13812345678',
    id_number_check: 'ok',
    id_number_bidx: `bi${id}`,
    name_bidx: `bn${id}`,
    phone_bidx: `bp${id}`,
    gender: 'M',
    birth_date: '1990-03-07',
    year_of_birth: 1990,
    region_code: '110101',
    source_sha256: 'ab'.repeat(32),
    source_position: 'his_patient.csv:2',
    mapping_version: 'm@1',
    load_id: 'L1',
  };
}

test('the default spec follows the levels: L4 dropped, notes scrubbed, keys pseudonymized, dates shifted', () => {
  const spec = defaultDeidSpec();
  const person = spec.tables.person ?? {};
  for (const f of ['name', 'id_number', 'phone', 'local_patient_id', 'source_sha256', 'source_position'])
    assert.equal(person[f], 'drop', f);
  assert.equal(person.person_id, 'pseudonymize');
  assert.deepEqual(person.birth_date, { generalize: 'year' });
  assert.equal(spec.tables.note?.note_text, 'scrub');
  assert.equal(spec.tables.visit_occurrence?.start_date, 'shift');
  for (const table of Object.keys(DWD_TABLES) as DwdTable[])
    for (const [field, def] of Object.entries(DWD_TABLES[table].fields))
      if (def.level >= 4) assert.notEqual(spec.tables[table]?.[field], 'keep', `${table}.${field} is never kept`);
  const [row] = deidentifyExtract([personRow('42')], planExtract(spec, tableExtract('person')), CTX);
  assert.deepEqual(Object.keys(row ?? {}).sort(), [
    'birth_date',
    'gender',
    'load_id',
    'mapping_version',
    'patient_token',
    'person_id',
    'region_code',
    'year_of_birth',
  ]);
  assert.equal(row?.region_code, '1101');
  assert.equal(row?.birth_date, 1990);
  assert.notEqual(row?.person_id, '42');
});

test('spec validation names unknown tables and fields and rules that do not fit their field', () => {
  const problems = specProblems({
    version: 1,
    tables: {
      persons: { name: 'drop' },
      person: {
        nmae: 'drop',
        name: 'keep',
        gender: 'shift',
        region_code: [
          { generalize: 'rare', min: 5 },
          { generalize: 'region', digits: 2 },
        ],
      },
      visit_occurrence: { department: { generalize: 'year' } },
    },
  });
  const text = problems.join('\n');
  assert.match(text, /unknown table 'persons'/);
  assert.match(text, /unknown field 'person\.nmae'/);
  assert.match(text, /person\.name: rule 'keep' would release an L4 field/);
  assert.match(text, /person\.gender: rule 'shift' needs a DATE or TIMESTAMP field/);
  assert.match(text, /person\.region_code: 'generalize rare' must be the last step/);
  assert.match(text, /visit_occurrence\.department: step 1 'generalize year' needs a DATE/);
  assert.equal(problems.length, 6);
  assert.match(specProblems({ version: 1, tables: { person: { gender: 'blur' } } }).join(), /tables\.person\.gender/);
  assert.match(specProblems({ version: 2, tables: {} }).join(), /version/);
});

test('an extract naming an unknown field, or shifting dates without a person column, is refused', () => {
  const spec = defaultDeidSpec();
  assert.throws(
    () => planExtract(spec, { x: { table: 'person', field: 'shoe_size' }, y: { table: 'labs', field: 'value' } }),
    (e) =>
      isMeridianError(e, 'MER_PRIVACY_SPEC_INVALID') &&
      /unknown field 'person\.shoe_size'/.test(e.message) &&
      /unknown table 'labs'/.test(e.message),
  );
  assert.throws(
    () => planExtract(spec, { d: { table: 'visit_occurrence', field: 'start_date' } }),
    (e) => isMeridianError(e, 'MER_PRIVACY_SPEC_INVALID') && /person_id column/.test(e.message),
  );
  const plan = planExtract(spec, { g: { table: 'person', field: 'gender' } });
  assert.throws(
    () => deidentifyExtract([{ sex: 'M' }], plan, CTX),
    (e) => isMeridianError(e, 'MER_PRIVACY_SPEC_INVALID'),
  );
});

test('a value that does not fit its rule fails the release, naming row and column but not the value', () => {
  const spec = withRules(defaultDeidSpec(), { person: { region_code: { generalize: 'region', digits: 2 } } });
  const plan = planExtract(spec, {
    person_id: { table: 'person', field: 'person_id' },
    r: { table: 'person', field: 'region_code' },
  });
  assert.throws(
    () =>
      deidentifyExtract(
        [
          { person_id: 'p', r: '110101' },
          { person_id: 'q', r: 'Beijing-7' },
        ],
        plan,
        CTX,
      ),
    (e) =>
      isMeridianError(e, 'MER_PRIVACY_BAD_VALUE') &&
      /row 1, column 'r'/.test(e.message) &&
      !e.message.includes('Beijing'),
  );
  assert.throws(
    () => deidentifyExtract([], plan, { ...CTX, referenceDate: '2025-13-01' }),
    (e) => isMeridianError(e, 'MER_PRIVACY_INVALID_OPTION'),
  );
});
