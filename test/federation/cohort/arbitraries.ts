/**
 * fast-check arbitraries for cohort tests: valid cohort definitions (one criterion, or whole trees) and small DWD
 * datasets drawn from pools chosen so that the edges of the semantics are hit often: codes share prefixes
 * (descendants), events share days (at least N on distinct days), measurements straddle the Beijing day boundary,
 * values and ages sit on range bounds, birthdays fall on the dates ages are measured at, tables go missing.
 */
import fc from 'fast-check';
import {
  type CohortDefinition,
  type CohortNode,
  type EventMatch,
  VISIT_TYPES,
} from '../../../src/federation/cohort/index.ts';
import type { DwdTable } from '../../../src/model/dwd.ts';
import type { Dataset, Row } from './reference.ts';

const PERSON_IDS = ['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7'];
const ORPHAN = 'zz';
const DAY0 = Date.UTC(2020, 0, 1);
const DAYS = 12;

const ICD10_DATA = ['E11.900', 'E11.900x001', 'E11.200', 'E10.900', 'I10.x00', 'I10.x00x002', 'C34.900'];
const ICD10_QUERY = ['E11', 'E11.9', 'E11.900', 'E10', 'I10', 'I10.x00', 'C34.900'];
const ATC_DATA = ['A10BA02', 'A10BB12', 'A10AE04', 'C08CA01', 'C10AA05'];
const ATC_QUERY = ['A10', 'A10B', 'A10BA02', 'C08CA01', 'C10'];
const ICD9_DATA = ['36.0601', '36.0700', '81.5101', '39.9500'];
const ICD9_QUERY = ['36', '36.06', '36.0700', '81.51', '39.95'];
const LAB_CODES = ['14749-6', '4548-4', '29463-7'];
const OBS_CODES = ['72166-2', '72107-6'];
const OBS_TEXT = ['449868002', '8517006', '266919005'];

/** Lab values and bounds share a few numbers, so values often sit on a bound (exclusive vs inclusive). */
const labValue = fc.integer({ min: 0, max: 4 }).map((v) => v * 2.5);
/** Times of day (UTC minutes) around 16:00, where the Beijing day (UTC+8) turns. */
const MINUTES_UTC = [0, 15 * 60 + 59, 16 * 60, 16 * 60 + 30, 23 * 60 + 59];

const date = (offsetDays: number) => new Date(DAY0 + offsetDays * 86_400_000).toISOString().slice(0, 10);

const maybe = <T>(arb: fc.Arbitrary<T>, nullFreq = 8) => fc.option(arb, { nil: null, freq: nullFreq });
const personId = fc.oneof(
  { weight: 16, arbitrary: fc.constantFrom(...PERSON_IDS) },
  fc.constant(ORPHAN),
  fc.constant(null),
);
const day = fc.integer({ min: 0, max: DAYS - 1 });
const eventDate = maybe(day.map(date), 15);

/** Birth years and days chosen so ages at the index and age dates sit on range bounds and on birthdays. */
const BIRTH_YEARS = [1950, 1960, 1970, 1980];
const BIRTH_DAYS = ['01-01', '01-03', '01-06', '01-10', '02-28', '02-29', '03-01', '12-31'];
const AGE_BOUNDS = [39, 40, 49, 50, 59, 60, 69, 70];

const personRow: fc.Arbitrary<Row> = fc
  .record({
    person_id: fc.constantFrom(...PERSON_IDS),
    gender: maybe(fc.constantFrom('M', 'F', 'U')),
    birth: maybe(fc.tuple(fc.constantFrom(...BIRTH_YEARS), fc.constantFrom(...BIRTH_DAYS))),
    year_of_birth: maybe(fc.constantFrom(...BIRTH_YEARS), 2),
  })
  .map(({ birth, ...r }) => {
    if (birth === null) return { ...r, birth_date: null };
    const [year, monthDay] = birth;
    const leap = year % 4 === 0;
    return { ...r, birth_date: `${year}-${monthDay === '02-29' && !leap ? '02-28' : monthDay}` };
  });

const tables: { [T in DwdTable]?: fc.Arbitrary<Row> } = {
  condition_occurrence: fc.record({
    person_id: personId,
    condition_code: fc.constantFrom(...ICD10_DATA),
    condition_date: eventDate,
  }),
  drug_exposure: fc.record({
    person_id: personId,
    atc_code: maybe(fc.constantFrom(...ATC_DATA)),
    drug_name: fc.constant('x'),
    start_date: eventDate,
  }),
  procedure_occurrence: fc.record({
    person_id: personId,
    procedure_code: fc.constantFrom(...ICD9_DATA),
    procedure_date: eventDate,
  }),
  measurement: fc.record({
    person_id: personId,
    measurement_code: fc.constantFrom(...LAB_CODES),
    value: maybe(labValue),
    measured_at: maybe(
      fc
        .record({ d: day, minute: fc.constantFrom(...MINUTES_UTC) })
        .map(({ d, minute }) => new Date(DAY0 + d * 86_400_000 + minute * 60_000).toISOString()),
      15,
    ),
  }),
  visit_occurrence: fc.record({
    person_id: personId,
    visit_id: fc.constant('v'),
    visit_type: fc.constantFrom(...VISIT_TYPES),
    start_date: eventDate,
  }),
  observation: fc.record({
    person_id: personId,
    observation_code: fc.constantFrom(...OBS_CODES),
    value_text: maybe(fc.constantFrom(...OBS_TEXT), 3),
    value_number: maybe(fc.integer({ min: 0, max: 4 }), 3),
    observed_on: eventDate,
  }),
  death: fc.record({
    person_id: personId,
    death_date: eventDate,
    cause_code: maybe(fc.constantFrom('C34.900', 'I63.900'), 3),
  }),
};

/** A small DWD dataset: persons p0…p7, events of those persons, of an orphan and of no one (null). */
export const dataset: fc.Arbitrary<Dataset> = fc.record({
  person: fc.array(personRow, { minLength: 4, maxLength: 12 }),
  ...Object.fromEntries(
    Object.entries(tables).map(([t, arb]) => [
      t,
      // Now and then a table is absent from the lake altogether.
      fc.oneof({ weight: 9, arbitrary: fc.array(arb, { minLength: 4, maxLength: 30 }) }, fc.constant([])),
    ]),
  ),
});

/** A range whose bounds come from `bound`; `integer` ranges (ages, mg/dL) have no exclusive ends. */
const range = (bound: fc.Arbitrary<number>, integer = false) =>
  fc
    .record({
      a: bound,
      b: bound,
      shape: fc.constantFrom('min', 'max', 'both'),
      minExclusive: fc.boolean(),
      maxExclusive: fc.boolean(),
    })
    .map(({ a, b, shape, minExclusive, maxExclusive }) => {
      const [min, max] = a <= b ? [a, b] : [b, a];
      if (shape === 'min') return integer ? { min } : { min, minExclusive };
      if (shape === 'max') return integer ? { max } : { max, maxExclusive };
      return integer ? { min, max } : { min, max, minExclusive, maxExclusive };
    });

/** Descendants more often than not: exact parent codes rarely match a row. */
const mostly = fc.constantFrom(true, true, true, false);
const codes = (pool: readonly string[]) => fc.uniqueArray(fc.constantFrom(...pool), { minLength: 1, maxLength: 3 });

const labMatch: fc.Arbitrary<EventMatch> = fc.oneof(
  fc.record({ kind: fc.constant('lab' as const), code: fc.constantFrom(...LAB_CODES) }),
  fc.record({
    kind: fc.constant('lab' as const),
    code: fc.constantFrom(...LAB_CODES),
    range: range(labValue),
  }),
  // Glucose bounds in mg/dL (×18 of mmol/L), converted before they reach the SQL.
  fc.record({
    kind: fc.constant('lab' as const),
    code: fc.constant('14749-6'),
    range: range(
      fc.integer({ min: 0, max: 4 }).map((v) => v * 45),
      true,
    ).map((r) => ({ ...r, unit: 'mg/dL' })),
  }),
);

const eventMatch: fc.Arbitrary<EventMatch> = fc.oneof(
  fc.record(
    { kind: fc.constant('diagnosis' as const), codes: codes(ICD10_QUERY), descendants: mostly },
    { requiredKeys: ['kind', 'codes'] },
  ),
  fc.record(
    { kind: fc.constant('drug' as const), codes: codes(ATC_QUERY), descendants: mostly },
    { requiredKeys: ['kind', 'codes'] },
  ),
  fc.record(
    { kind: fc.constant('procedure' as const), codes: codes(ICD9_QUERY), descendants: mostly },
    { requiredKeys: ['kind', 'codes'] },
  ),
  labMatch,
  fc.record({
    kind: fc.constant('visit' as const),
    types: fc.uniqueArray(fc.constantFrom(...VISIT_TYPES), { minLength: 1 }),
  }),
  fc.oneof(
    fc.record({ kind: fc.constant('observation' as const), code: fc.constantFrom(...OBS_CODES) }),
    fc.record({
      kind: fc.constant('observation' as const),
      code: fc.constantFrom(...OBS_CODES),
      text: fc.uniqueArray(fc.constantFrom(...OBS_TEXT), { minLength: 1, maxLength: 2 }),
    }),
    fc.record({
      kind: fc.constant('observation' as const),
      code: fc.constantFrom(...OBS_CODES),
      range: range(fc.integer({ min: 0, max: 10 })),
    }),
  ),
  fc.record(
    { kind: fc.constant('death' as const), causes: codes(['C34', 'C34.900', 'I63']), descendants: mostly },
    { requiredKeys: ['kind'] },
  ),
);

const window = fc
  .record({ a: fc.integer({ min: -4, max: 4 }), b: fc.integer({ min: -4, max: 4 }) })
  .map(({ a, b }) => (a <= b ? { start: a, end: b } : { start: b, end: a }));

function criterion(hasIndex: boolean): fc.Arbitrary<CohortNode> {
  const qualifiers = fc
    .record({
      occurrence: fc.constantFrom('any' as const, 'first' as const),
      atLeast: fc.constantFrom(1, 1, 2, 3),
      window: hasIndex ? fc.option(window, { nil: undefined, freq: 2 }) : fc.constant(undefined),
    })
    .map(({ occurrence, atLeast, window }) => ({
      occurrence,
      ...(occurrence === 'any' && atLeast > 1 ? { atLeast } : {}),
      ...(window ? { window } : {}),
    }));
  const event = fc.tuple(eventMatch, qualifiers).map(([m, q]) => ({ ...m, ...q }) as CohortNode);
  const sex = fc.record({
    kind: fc.constant('sex' as const),
    values: fc.uniqueArray(fc.constantFrom('M' as const, 'F' as const, 'U' as const), { minLength: 1 }),
  });
  const age = fc.record({
    kind: fc.constant('age' as const),
    at: hasIndex
      ? fc.constantFrom('index', '2020-02-29', '2019-12-31', '2020-01-06')
      : fc.constantFrom('2020-02-29', '2019-12-31', '2020-01-06'),
    range: range(fc.constantFrom(...AGE_BOUNDS), true),
  });
  return fc.oneof({ weight: 4, arbitrary: event }, sex, age);
}

function tree(hasIndex: boolean): fc.Arbitrary<CohortNode> {
  const { node } = fc.letrec<{ node: CohortNode }>((tie) => ({
    node: fc.oneof(
      { depthSize: 'small', maxDepth: 2, withCrossShrink: true },
      criterion(hasIndex),
      fc.record({
        kind: fc.constantFrom('and' as const, 'or' as const),
        criteria: fc.array(tie('node'), { minLength: 1, maxLength: 3 }),
      }),
      fc.record({ kind: fc.constant('not' as const), criterion: tie('node') }),
    ),
  }));
  return node;
}

/** A definition with an optional index event and calendar window around the criteria `body` draws. */
export function definitionOf(body: (hasIndex: boolean) => fc.Arbitrary<CohortNode[]>): fc.Arbitrary<CohortDefinition> {
  return fc
    .record({
      index: fc.option(eventMatch, { nil: undefined, freq: 2 }),
      calendar: fc.option(
        fc.record({ a: day, b: day, shape: fc.constantFrom('from', 'to', 'both') }).map(({ a, b, shape }) => {
          const [from, to] = a <= b ? [date(a), date(b)] : [date(b), date(a)];
          return shape === 'from' ? { from } : shape === 'to' ? { to } : { from, to };
        }),
        { nil: undefined, freq: 2 },
      ),
    })
    .chain(({ index, calendar }) =>
      body(index !== undefined).map((criteria) => ({
        ...(index ? { index: { event: index } } : {}),
        ...(calendar ? { calendar } : {}),
        criteria,
      })),
    );
}

/** One criterion: every leaf's semantics is visible in the result. */
export const single = definitionOf((hasIndex) => criterion(hasIndex).map((c) => [c]));
/** Whole trees: groups, negation, nesting, several tables in one query. */
export const trees = definitionOf((hasIndex) => fc.array(tree(hasIndex), { maxLength: 2 }));
