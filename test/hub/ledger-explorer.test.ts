/**
 * The explorer's pure logic (src/hub/ledger/explorer.ts): transaction summaries carry no payload and no patient
 * token, the hub's block check catches changed transactions and forged or foreign certificates, and the status
 * table measures lag against the highest reachable validator and keeps the last-seen time of a silent one.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  blockInRange,
  checkBlock,
  subjectOf,
  txMatches,
  txSummary,
  validatorRows,
} from '../../src/hub/ledger/explorer.ts';
import type { ValidatorStatus } from '../../src/ledger/host/validator.ts';
import { block, scenario, tx, validators } from '../ledger/fixtures.ts';

const TOKEN = 'f'.repeat(32);

test('a transaction summary names who did what and its subject, never the payload or a patient token', () => {
  const access = tx({
    kind: 'access.record',
    payload: { patientToken: TOKEN, hospital: 'hospital-a', at: '2026-01-01T00:00:00Z', breakGlass: false },
    user: { id: 'dr-li', role: 'clinician' },
  });
  const s = txSummary(access, 3);
  assert.deepEqual(Object.keys(s).sort(), ['contentHash', 'index', 'institution', 'kind', 'subject', 'txHash', 'user']);
  assert.equal(s.index, 3);
  assert.deepEqual(s.user, { id: 'dr-li', role: 'clinician' });
  assert.equal(s.subject, null);
  assert.ok(!JSON.stringify(s).includes(TOKEN));
  assert.equal(subjectOf({ taskId: 't-1', requestId: 'r-1' }), 'task:t-1');
  assert.equal(subjectOf({ requestId: 'r-1', commentHash: 'ab' }), 'request:r-1');
  assert.equal(
    subjectOf({ batch: { root: 'cd'.repeat(32), size: 3 }, patientToken: TOKEN }),
    `batch:${'cd'.repeat(32)}`,
  );
  assert.equal(subjectOf({ patientToken: TOKEN, purpose: 'research' }), null);
});

test('the search filter keeps kind, institution and the proposer-time range', () => {
  const s = scenario();
  const t0 = s.txs[0] as (typeof s.txs)[0];
  assert.equal(txMatches(t0, {}), true);
  assert.equal(txMatches(t0, { kind: 'request.create', institution: 'hospital-a' }), true);
  assert.equal(txMatches(t0, { kind: 'notarize.batch' }), false);
  assert.equal(txMatches(t0, { institution: 'hospital-b' }), false);
  const at = s.header.proposerTime;
  assert.equal(blockInRange(s.header, { fromMs: at, toMs: at }), true);
  assert.equal(blockInRange(s.header, { fromMs: at + 1 }), false);
  assert.equal(blockInRange(s.header, { toMs: at - 1 }), false);
});

test("the hub's block check catches changed transactions and forged, short or foreign certificates", () => {
  const s = scenario();
  const set = s.vals.set;
  const ok = checkBlock({ header: s.header, txs: s.txs, certificate: s.certificate, validatorSet: set });
  assert.deepEqual(ok, {
    txRootMatches: true,
    certificate: 'verified',
    signers: ['hospital-a', 'hospital-c', 'hub'],
    failure: null,
  });
  const absent = checkBlock({ header: s.header, txs: s.txs, certificate: null, validatorSet: set });
  assert.equal(absent.certificate, 'absent');
  const dropped = checkBlock({ header: s.header, txs: s.txs.slice(1), certificate: s.certificate, validatorSet: set });
  assert.equal(dropped.txRootMatches, false);
  const swapped = checkBlock({
    header: s.header,
    txs: [...s.txs].reverse(),
    certificate: s.certificate,
    validatorSet: set,
  });
  assert.equal(swapped.txRootMatches, false);
  const short = { ...s.certificate, signatures: s.certificate.signatures.slice(1) };
  const shortCheck = checkBlock({ header: s.header, txs: s.txs, certificate: short, validatorSet: set });
  assert.equal(shortCheck.certificate, 'failed');
  assert.match(shortCheck.failure ?? '', /MER_LEDGER_INSUFFICIENT_SIGNATURES/);
  const other = validators(['hospital-x', 'hospital-y', 'hub-2', 'hub-3']);
  const foreign = block({ vals: other, txs: s.txs });
  const foreignCheck = checkBlock({
    header: foreign.header,
    txs: s.txs,
    certificate: foreign.certificate,
    validatorSet: set,
  });
  assert.equal(foreignCheck.certificate, 'failed');
  assert.match(foreignCheck.failure ?? '', /MER_LEDGER_VALIDATOR_SET_MISMATCH/);
});

function status(name: string, height: number): ValidatorStatus {
  return {
    name,
    chainId: 'meridian-test',
    height,
    certifiedHeight: height - 1,
    view: 2,
    mode: 'normal',
    primary: 'a',
    lag: 0,
    pending: 1,
    peers: [
      { name: 'x', connected: true, lastSeenMs: 1, sent: 0, received: 0, dropped: 0, height },
      { name: 'y', connected: false, lastSeenMs: undefined, sent: 0, received: 0, dropped: 0, height: 0 },
    ],
    counters: { refused: {}, evidence: 0, committedTxs: 0, walFlushes: 0, verifiedTxs: 0, droppedInputs: 0 },
  };
}

test('the status table: lag behind the highest reachable validator, last seen kept for a silent one', () => {
  const seen = new Map([
    ['a', new Date('2026-01-01T00:00:10Z')],
    ['c', new Date('2026-01-01T00:00:02Z')],
  ]);
  const { highest, rows } = validatorRows(
    [
      { name: 'a', endpoint: 'https://a', ok: true, status: status('a', 12) },
      { name: 'b', endpoint: 'https://b', ok: true, status: status('b', 9) },
      { name: 'c', endpoint: 'https://c', ok: false, code: 'MER_LEDGER_UNAVAILABLE', message: 'ECONNREFUSED' },
    ],
    seen,
  );
  assert.equal(highest, 12);
  assert.deepEqual(
    rows.map((r) => [r.name, r.reachable, r.lag, r.lastSeen]),
    [
      ['a', true, 0, '2026-01-01T00:00:10.000Z'],
      ['b', true, 3, null],
      ['c', false, null, '2026-01-01T00:00:02.000Z'],
    ],
  );
  assert.equal(rows[0]?.peersConnected, 1);
  assert.deepEqual(rows[2]?.error, { code: 'MER_LEDGER_UNAVAILABLE', message: 'ECONNREFUSED' });
  assert.deepEqual(validatorRows([], new Map()), { highest: null, rows: [] });
});
