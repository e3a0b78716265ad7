/** The node's access rule: a record with the named hash, naming this hospital and token, recent enough. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isMeridianError } from '../../src/errors/registry.ts';
import {
  ACCESS_RECORD_MAX_AGE_MS,
  type LedgerAccessRecord,
  matchAccessRecord,
  requireAccessRecord,
} from '../../src/panorama/access.ts';

const NOW = 1_780_000_000_000;
const TOKEN = 'abcdefghijklmnopqrstuv';
const HASH = 'a'.repeat(64);

function record(over: Partial<LedgerAccessRecord> = {}): LedgerAccessRecord {
  return {
    patientToken: TOKEN,
    hospital: 'hospital-b',
    institution: 'hub',
    user: { id: 'clinician', role: 'clinician' },
    statedAt: new Date(NOW - 1_000).toISOString(),
    breakGlass: false,
    recorded: { height: 7, tx: 0, at: NOW - 1_000 },
    contentHash: HASH,
    ...over,
  };
}

test('a recent record with the named hash, this hospital and this token allows the read', () => {
  const m = matchAccessRecord(
    [record({ contentHash: 'b'.repeat(64) }), record()],
    { patientToken: TOKEN, contentHash: HASH },
    'hospital-b',
    NOW,
  );
  assert.ok(m.ok);
  assert.equal(m.record.contentHash, HASH);
});

test('a record for another hospital, another token, an old one or none at all refuses the read', () => {
  const claim = { patientToken: TOKEN, contentHash: HASH };
  const cases: [LedgerAccessRecord[], RegExp][] = [
    [[], /no access record/],
    [[record({ hospital: 'hospital-c' })], /names hospital-c/],
    [[record({ patientToken: 'zzzzzzzzzzzzzzzzzzzzzz' })], /another patient/],
    [[record({ recorded: { height: 7, tx: 0, at: NOW - ACCESS_RECORD_MAX_AGE_MS - 1 } })], /old/],
  ];
  for (const [records, reason] of cases) {
    const m = matchAccessRecord(records, claim, 'hospital-b', NOW);
    assert.ok(!m.ok);
    assert.match(m.reason, reason);
  }
});

test('requireAccessRecord waits for a lagging replica, then refuses with MER_PANORAMA_ACCESS_NOT_RECORDED', async () => {
  let reads = 0;
  const lagging = {
    records: async () => {
      reads++;
      return reads < 3 ? [] : [record()];
    },
  };
  const found = await requireAccessRecord({
    ledger: lagging,
    claim: { patientToken: TOKEN, contentHash: HASH },
    hospital: 'hospital-b',
    now: () => NOW,
    pauseMs: 1,
  });
  assert.equal(found.contentHash, HASH);
  assert.equal(reads, 3);
  await assert.rejects(
    requireAccessRecord({
      ledger: { records: async () => [] },
      claim: { patientToken: TOKEN, contentHash: HASH },
      hospital: 'hospital-b',
      now: () => NOW,
      rounds: 2,
      pauseMs: 1,
    }),
    (e) => isMeridianError(e, 'MER_PANORAMA_ACCESS_NOT_RECORDED'),
  );
});
