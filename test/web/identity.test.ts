import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  IDENTITY_HISTORY_ROLES as HUB_HISTORY,
  IDENTITY_REVIEW_ROLES as HUB_REVIEW,
  IDENTITY_SUMMARY_ROLES as HUB_SUMMARY,
} from '../../src/hub/identity/routes.ts';
import { FIELDS, LEVELS } from '../../src/identity/fellegi-sunter.ts';
import {
  agreementOf,
  COMPARED_FIELDS,
  comparisonRows,
  IDENTITY_HISTORY_ROLES,
  IDENTITY_REVIEW_ROLES,
  IDENTITY_SUMMARY_ROLES,
  newestEventsAfter,
  probabilityText,
  sharedPct,
  splitRecordId,
  sweepTotals,
  totalEvents,
  totalRecords,
} from '../../web/src/identity/identity-helpers.ts';

test('the page’s role lists are the hub’s', () => {
  assert.deepEqual([...IDENTITY_SUMMARY_ROLES].sort(), [...HUB_SUMMARY].sort());
  assert.deepEqual([...IDENTITY_REVIEW_ROLES].sort(), [...HUB_REVIEW].sort());
  assert.deepEqual([...IDENTITY_HISTORY_ROLES].sort(), [...HUB_HISTORY].sort());
});

test('agreement levels follow the hub’s comparison model: top level agrees, 0 disagrees, between is partial', () => {
  assert.deepEqual([...COMPARED_FIELDS], [...FIELDS]);
  for (const f of COMPARED_FIELDS) {
    const top = LEVELS[f] - 1;
    assert.equal(agreementOf(f, top), 'agree', f);
    assert.equal(agreementOf(f, 0), 'disagree', f);
    assert.equal(agreementOf(f, null), 'missing', f);
    assert.equal(agreementOf(f, undefined), 'missing', f);
    assert.equal(agreementOf(f, top + 1), 'missing', `${f}: a level the model does not have is no evidence`);
    for (let l = 1; l < top; l++) assert.equal(agreementOf(f, l), 'partial', `${f} ${l}`);
  }
  assert.equal(agreementOf('name', 1), 'partial', 'same pinyin');
  assert.equal(agreementOf('phone', 1), 'partial', 'one transposition');
  assert.equal(agreementOf('dob', -1), 'missing');
  assert.deepEqual(comparisonRows({ id: null, name: 2, dob: 1, sex: 1, phone: 0 }), [
    { field: 'id', level: null, agreement: 'missing' },
    { field: 'name', level: 2, agreement: 'agree' },
    { field: 'dob', level: 1, agreement: 'partial' },
    { field: 'sex', level: 1, agreement: 'agree' },
    { field: 'phone', level: 0, agreement: 'disagree' },
  ]);
  assert.equal(
    comparisonRows({}).every((r) => r.agreement === 'missing'),
    true,
  );
});

test('record ids, figures and sweep totals', () => {
  assert.deepEqual(splitRecordId('hospital-a:P000123'), { hospital: 'hospital-a', key: 'P000123' });
  assert.deepEqual(splitRecordId('hospital-a:ZY:1'), { hospital: 'hospital-a', key: 'ZY:1' });
  assert.deepEqual(splitRecordId('loose'), { hospital: '', key: 'loose' });
  assert.equal(totalRecords({ recordsByHospital: { a: 300, b: 280 } }), 580);
  assert.equal(sharedPct({ persons: 400, sharedPersons: 100 }), 25);
  assert.equal(sharedPct({ persons: 0, sharedPersons: 0 }), null);
  assert.equal(totalEvents({ events: { merge: 3, 'review-accepted': 2 } }), 5);
  assert.equal(newestEventsAfter(1500, 1000), 500);
  assert.equal(newestEventsAfter(20, 1000), 0);
  const node = { pages: 1, added: 0, changed: 0, attached: 0 };
  assert.deepEqual(
    sweepTotals([
      { ...node, node: 'a', records: 10, newGlobals: 4, merges: 1, reviewsQueued: 2 },
      {
        ...node,
        node: 'b',
        records: 0,
        newGlobals: 0,
        merges: 0,
        reviewsQueued: 0,
        error: { code: 'X', message: 'x' },
      },
    ]),
    { records: 10, newGlobals: 4, merges: 1, reviewsQueued: 2, failed: 1 },
  );
  assert.equal(probabilityText(0.87349), '87.3%');
  assert.equal(probabilityText(1), '100.0%');
  assert.equal(probabilityText(Number.NaN), '—');
});
