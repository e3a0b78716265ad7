/** The query rate limiter as a pure state machine: repeats and near-identical queries per user per window. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { isMeridianError } from '../../../src/errors/registry.ts';
import {
  admitQuery,
  EMPTY_RATE_LIMIT_STATE,
  queryHash,
  type RateLimitState,
} from '../../../src/federation/disclosure/query-rate-limit.ts';

const cohort = { all: [{ diagnosis: 'E11' }, { age: { min: 40, max: 65 } }], sex: 'F' };
const analysis = { kind: 'count' };
const HOUR = 3_600_000;

test('near-identical queries hash alike: key order, array order, case, spacing, tiny number differences', () => {
  const h = queryHash({ cohort, analysis });
  assert.equal(
    queryHash({
      analysis: { kind: 'COUNT ' },
      cohort: { sex: 'f', all: [{ age: { max: 65.0000001, min: 40 } }, { diagnosis: ' e11' }] },
    }),
    h,
  );
  assert.notEqual(queryHash({ cohort: { ...cohort, sex: 'M' }, analysis }), h);
  assert.notEqual(
    queryHash({ cohort: { ...cohort, all: [{ diagnosis: 'E11' }, { age: { min: 41, max: 65 } }] }, analysis }),
    h,
  );
});

test('the fourth repeat within a day is refused, and admitted again once the first leaves the window', () => {
  let state: RateLimitState = EMPTY_RATE_LIMIT_STATE;
  for (let i = 0; i < 3; i++) {
    const d = admitQuery(state, { user: 'ana', cohort, analysis }, 1_000 + i * HOUR);
    assert.ok(d.admitted);
    assert.equal(d.remaining, 2 - i);
    state = d.state;
  }
  const refused = admitQuery(
    state,
    { user: 'ana', cohort: { sex: 'F ', all: [...cohort.all].reverse() }, analysis },
    1_000 + 5 * HOUR,
  );
  assert.ok(!refused.admitted);
  assert.equal(refused.error.code, 'MER_DISCLOSURE_RATE_LIMITED');
  assert.equal(refused.error.status, 429);
  assert.equal(refused.retryAfterMs, 24 * HOUR - 5 * HOUR);
  assert.ok(
    admitQuery(state, { user: 'bo', cohort, analysis }, 1_000 + 5 * HOUR).admitted,
    'another user is not limited',
  );
  assert.ok(admitQuery(refused.state, { user: 'ana', cohort, analysis }, 1_000 + 24 * HOUR).admitted);
});

test('too many distinct queries per user are refused too (bounds differencing and the state)', () => {
  let state: RateLimitState = EMPTY_RATE_LIMIT_STATE;
  for (let i = 0; i < 4; i++) {
    const d = admitQuery(state, { user: 'ana', cohort: { age: { min: i } }, analysis }, i, { distinctMax: 4 });
    assert.ok(d.admitted);
    state = d.state;
  }
  const d = admitQuery(state, { user: 'ana', cohort: { age: { min: 99 } }, analysis }, 10, { distinctMax: 4 });
  assert.ok(!d.admitted && /4 different queries/.test(d.error.message));
  assert.ok(
    admitQuery(state, { user: 'ana', cohort: { age: { min: 0 } }, analysis }, 10, { distinctMax: 4 }).admitted,
    'a repeat is still fine',
  );
});

test('property: never more than repeatsMax admitted for one key in any window; the state holds only live times', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.tuple(fc.constantFrom('ana', 'bo'), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 50 })),
        { maxLength: 60 },
      ),
      fc.integer({ min: 1, max: 4 }),
      (steps, repeatsMax) => {
        const windowMs = 100;
        let state: RateLimitState = EMPTY_RATE_LIMIT_STATE;
        let now = 0;
        const admitted: { key: string; t: number }[] = [];
        for (const [user, variant, advance] of steps) {
          now += advance;
          const d = admitQuery(state, { user, cohort: { v: variant }, analysis }, now, { repeatsMax, windowMs });
          state = d.state;
          if (d.admitted) admitted.push({ key: `${user}/${variant}`, t: now });
          for (const times of Object.values(state.users[user] ?? {})) assert.ok(times.every((t) => t > now - windowMs));
        }
        for (const a of admitted) {
          const inWindow = admitted.filter((b) => b.key === a.key && b.t > a.t - windowMs && b.t <= a.t);
          assert.ok(inWindow.length <= repeatsMax);
        }
      },
    ),
  );
});

test('bad queries and options are refused with the path named', () => {
  assert.throws(
    () => queryHash({ cohort: { age: Number.NaN }, analysis }),
    (e) => isMeridianError(e, 'MER_DISCLOSURE_INVALID_INPUT') && /query\.cohort\.age/.test(e.message),
  );
  assert.throws(
    () => queryHash({ cohort: { f: () => 1 }, analysis }),
    (e) => isMeridianError(e) && /query\.cohort\.f is a function/.test(e.message),
  );
  assert.throws(
    () => admitQuery(EMPTY_RATE_LIMIT_STATE, { user: '', cohort, analysis }, 0),
    (e) => isMeridianError(e) && /query\.user/.test(e.message),
  );
  assert.throws(
    () => admitQuery(EMPTY_RATE_LIMIT_STATE, { user: 'a', cohort, analysis }, 0, { repeatsMax: 0 }),
    (e) => isMeridianError(e, 'MER_DISCLOSURE_INVALID_OPTION') && /repeatsMax/.test(e.message),
  );
});
