import assert from 'node:assert/strict';
import { test } from 'node:test';
import { contractHash } from '../../../src/ledger/contracts/index.ts';
import { CLINICIAN, DAY_MS, ETHICS, Harness, h, RESEARCHER, T0 } from './harness.ts';

function submitPayload(id: string, over: Record<string, unknown> = {}) {
  return {
    requestId: id,
    projectId: 'proj-1',
    purpose: 'research',
    cohortHash: contractHash('cohort', { id }),
    analysisKinds: ['count'],
    hospitals: ['hospital-a', 'hospital-b'],
    periodStart: new Date(T0).toISOString(),
    periodEnd: new Date(T0 + 30 * DAY_MS).toISOString(),
    epsilonMicros: 1_000_000,
    ...over,
  };
}

const approve = (requestId: string) => ({ requestId, decision: 'approve' as const, commentHash: h('fine') });

test('request.submit → pending with ethics and every hospital as required approvers', () => {
  const hx = new Harness();
  hx.request('r1');
  const r = hx.app.query('requests/r1') as {
    status: string;
    awaiting: string[];
    requester: { id: string };
    requiredApprovers: string[];
  };
  assert.equal(r.status, 'pending');
  assert.deepEqual(r.requiredApprovers, ['ethics', 'hospital-a', 'hospital-b']);
  assert.deepEqual(r.awaiting, ['ethics', 'hospital-a', 'hospital-b']);
  assert.equal(r.requester.id, RESEARCHER.id);
  const list = hx.app.query('requests', { awaiting: 'hospital-a' }) as { total: number };
  assert.equal(list.total, 1);
});

test('request.submit refusals: not the hub, not a researcher, taken id, unknown hospital, bad period', () => {
  const hx = new Harness();
  hx.refused(
    hx.tx('hospital-a', 'request.submit', submitPayload('r1'), { user: RESEARCHER }),
    'MER_CONTRACT_FORBIDDEN',
    /submitted by the hub; institution hospital-a is a hospital/,
  );
  hx.refused(
    hx.tx('hub', 'request.submit', submitPayload('r1'), { user: CLINICIAN }),
    'MER_CONTRACT_FORBIDDEN',
    /user\.role researcher .* "clinician"/,
  );
  hx.refused(hx.tx('hub', 'request.submit', submitPayload('r1')), 'MER_CONTRACT_FORBIDDEN', /absent/);
  hx.refused(
    hx.tx('hub', 'request.submit', submitPayload('r1', { hospitals: ['hospital-a', 'hub'] }), { user: RESEARCHER }),
    'MER_CONTRACT_NOT_FOUND',
    /payload\.hospitals\.1: hub is not a hospital/,
  );
  hx.refused(
    hx.raw('hub', 'request.submit', submitPayload('r1', { hospitals: ['hospital-a', 'hospital-a'] }), {
      user: RESEARCHER,
    }),
    'MER_CONTRACT_INVALID_PAYLOAD',
    /payload\.hospitals\.1: "hospital-a" appears twice/,
  );
  hx.refused(
    hx.raw('hub', 'request.submit', submitPayload('r1', { periodEnd: new Date(T0 - DAY_MS).toISOString() }), {
      user: RESEARCHER,
    }),
    'MER_CONTRACT_INVALID_PAYLOAD',
    /payload\.periodEnd: periodEnd must be after periodStart/,
  );
  hx.refused(
    hx.tx(
      'hub',
      'request.submit',
      submitPayload('r1', {
        periodStart: new Date(T0 - 10 * DAY_MS).toISOString(),
        periodEnd: new Date(T0 - DAY_MS).toISOString(),
      }),
      { user: RESEARCHER },
    ),
    'MER_CONTRACT_INVALID_PAYLOAD',
    /periodEnd .* is not after the block time/,
  );
  hx.refused(
    hx.raw('hub', 'request.submit', submitPayload('r1', { epsilonMicros: 0.5 }), { user: RESEARCHER }),
    'MER_CONTRACT_INVALID_PAYLOAD',
    /payload\.epsilonMicros/,
  );
  hx.request('r1');
  hx.refused(
    hx.tx('hub', 'request.submit', submitPayload('r1'), { user: RESEARCHER }),
    'MER_CONTRACT_EXISTS',
    /payload\.requestId: r1 exists/,
  );
});

test('all required approvals approve the request and grant the project the ethics-allowed ε', () => {
  const hx = new Harness();
  hx.request('r1', { epsilonMicros: 3_000_000, projectId: 'p1' });
  hx.ok(hx.tx('hospital-a', 'request.decide', approve('r1')));
  hx.ok(hx.tx('hub', 'request.decide', { ...approve('r1'), epsilonMicros: 1_500_000 }, { user: ETHICS }));
  assert.deepEqual((hx.app.query('requests/r1') as { awaiting: string[] }).awaiting, ['hospital-b']);
  const last = hx.ok(hx.tx('hospital-b', 'request.decide', approve('r1')));
  assert.ok(
    last.ok && last.events?.some((e) => e.type === 'request.approved' && e.attributes.epsilonMicros === '1500000'),
  );
  const r = hx.app.query('requests/r1') as { status: string; grantedEpsilonMicros: number; awaiting: string[] };
  assert.equal(r.status, 'approved');
  assert.equal(r.grantedEpsilonMicros, 1_500_000);
  assert.deepEqual(r.awaiting, []);
  const b = hx.app.query('budget/p1') as { totalMicros: number; remainingMicros: number };
  assert.equal(b.totalMicros, 1_500_000);
  assert.equal(b.remainingMicros, 1_500_000);
  hx.refused(hx.tx('hospital-a', 'request.decide', approve('r1')), 'MER_CONTRACT_WRONG_STATE', /already approved/);
});

test('one refusal refuses the request; later decisions are refused', () => {
  const hx = new Harness();
  hx.request('r1');
  const out = hx.ok(hx.tx('hospital-b', 'request.decide', { ...approve('r1'), decision: 'refuse' }));
  assert.ok(out.ok && out.events?.some((e) => e.type === 'request.refused' && e.attributes.by === 'hospital-b'));
  assert.equal((hx.app.query('requests/r1') as { status: string }).status, 'refused');
  hx.refused(hx.tx('hub', 'request.decide', approve('r1'), { user: ETHICS }), 'MER_CONTRACT_WRONG_STATE', /refused/);
  assert.equal((hx.app.query('requests', { status: 'refused' }) as { total: number }).total, 1);
});

test('request.decide refusals: not an approver, twice, wrong user, hospital granting ε, too much ε, unknown', () => {
  const hx = new Harness();
  hx.request('r1', { epsilonMicros: 1_000_000 });
  hx.refused(
    hx.tx('hospital-c', 'request.decide', approve('r1')),
    'MER_CONTRACT_FORBIDDEN',
    /hospital-c is not a required approver of request r1 \(ethics, hospital-a, hospital-b\)/,
  );
  hx.ok(hx.tx('hospital-a', 'request.decide', approve('r1')));
  hx.refused(hx.tx('hospital-a', 'request.decide', approve('r1')), 'MER_CONTRACT_EXISTS', /hospital-a already decided/);
  hx.refused(hx.tx('hub', 'request.decide', approve('r1'), { user: RESEARCHER }), 'MER_CONTRACT_FORBIDDEN', /ethics/);
  hx.refused(
    hx.tx('hospital-b', 'request.decide', { ...approve('r1'), epsilonMicros: 5 }),
    'MER_CONTRACT_FORBIDDEN',
    /only the ethics committee grants ε/,
  );
  hx.refused(
    hx.tx('hub', 'request.decide', { ...approve('r1'), epsilonMicros: 2_000_000 }, { user: ETHICS }),
    'MER_CONTRACT_INVALID_PAYLOAD',
    /payload\.epsilonMicros 2000000 exceeds the 1000000 micro-ε/,
  );
  hx.refused(hx.tx('hospital-a', 'request.decide', approve('nope')), 'MER_CONTRACT_NOT_FOUND', /no request "nope"/);
});

test('a pending request expires by block time (request TTL or period end) and cannot be decided', () => {
  const hx = new Harness();
  hx.request('r1', { periodEndMs: T0 + 5 * DAY_MS });
  hx.request('r2');
  hx.block([], 6 * DAY_MS);
  assert.equal((hx.app.query('requests/r1') as { status: string }).status, 'expired');
  assert.equal((hx.app.query('requests/r2') as { status: string }).status, 'pending');
  hx.refused(hx.tx('hospital-a', 'request.decide', approve('r1')), 'MER_CONTRACT_EXPIRED', /r1 expired at/);
  hx.block([], 30 * DAY_MS);
  assert.equal((hx.app.query('requests/r2') as { status: string }).status, 'expired');
  assert.equal((hx.app.query('requests', { status: 'expired' }) as { total: number }).total, 2);
});
