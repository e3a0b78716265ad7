import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLedgerApplication, type PayloadOf } from '../../../src/ledger/contracts/index.ts';
import { CLINICIAN, Harness, h, testGenesis, token } from './harness.ts';

function batch(label: string, type = 'ods-file', patientToken?: string): PayloadOf<'notarize.batch'> {
  return {
    batch: { root: h(label), size: 7 },
    type,
    source: 'his',
    location: `ods/2025/06/${label}.csv`,
    ...(patientToken === undefined ? {} : { patientToken }),
    at: '2025-06-15T08:00:00+08:00',
  };
}

test('notarize.batch is indexed by root, institution and type; a root is notarized once', () => {
  const hx = new Harness();
  hx.block([
    hx.tx('hospital-a', 'notarize.batch', batch('a1')),
    hx.tx('hospital-a', 'notarize.batch', batch('a2', 'result')),
    hx.tx('hospital-b', 'notarize.batch', batch('b1', 'ods-file', token('p'))),
  ]);
  const rec = hx.app.query(`notary/${h('b1')}`) as {
    institution: string;
    patientToken: string;
    recorded: { height: number; tx: number };
  };
  assert.equal(rec.institution, 'hospital-b');
  assert.equal(rec.patientToken, token('p'));
  assert.deepEqual(rec.recorded, { height: 1, tx: 2, at: hx.time });
  const byA = hx.app.query('notary', { institution: 'hospital-a', order: 'asc' }) as {
    total: number;
    items: { root: string }[];
  };
  assert.equal(byA.total, 2);
  assert.deepEqual(
    byA.items.map((i) => i.root),
    [h('a1'), h('a2')],
  );
  assert.equal((hx.app.query('notary?type=ods-file') as { total: number }).total, 2);
  assert.equal((hx.app.query('notary', { institution: 'hospital-a', type: 'result' }) as { total: number }).total, 1);
  const newest = hx.app.query('notary', { limit: '1' }) as { items: { root: string }[] };
  assert.deepEqual(
    newest.items.map((i) => i.root),
    [h('b1')],
  );
  hx.refused(
    hx.tx('hospital-c', 'notarize.batch', batch('a1')),
    'MER_CONTRACT_EXISTS',
    /notarized by hospital-a at height 1/,
  );
  hx.refused(
    hx.raw('hospital-a', 'notarize.batch', { ...batch('x'), at: 'yesterday' }),
    'MER_CONTRACT_INVALID_PAYLOAD',
    /payload\.at: a time is ISO 8601/,
  );
  hx.refused(
    hx.raw('hospital-a', 'notarize.batch', { ...batch('x'), patientToken: '张三' }),
    'MER_CONTRACT_INVALID_PAYLOAD',
    /payload\.patientToken: a patient token is .* not an identifier/,
  );
});

test('access.record is indexed by patient token, with break-glass and its reason', () => {
  const hx = new Harness();
  const p = token('patient');
  hx.ok(
    hx.tx(
      'hospital-a',
      'access.record',
      { patientToken: p, hospital: 'hospital-b', at: '2025-06-15T08:00:00Z', breakGlass: false },
      { user: CLINICIAN },
    ),
  );
  hx.ok(
    hx.tx(
      'hub',
      'access.record',
      {
        patientToken: p,
        hospital: 'hospital-a',
        at: '2025-06-15T09:00:00Z',
        breakGlass: true,
        reasonCode: 'emergency',
      },
      { user: CLINICIAN },
    ),
  );
  const list = hx.app.query(`access?patientToken=${p}`) as {
    total: number;
    items: { breakGlass: boolean; reasonCode?: string; user: { id: string } }[];
  };
  assert.equal(list.total, 2);
  assert.equal(list.items[0]?.breakGlass, true, 'newest first');
  assert.equal(list.items[0]?.reasonCode, 'emergency');
  assert.equal(list.items[1]?.user.id, CLINICIAN.id);
  assert.equal((hx.app.query('access', { patientToken: token('other') }) as { total: number }).total, 0);
  hx.refused(
    hx.raw(
      'hospital-a',
      'access.record',
      { patientToken: p, hospital: 'hospital-b', at: '2025-06-15T08:00:00Z', breakGlass: true },
      { user: CLINICIAN },
    ),
    'MER_CONTRACT_INVALID_PAYLOAD',
    /payload\.reasonCode: a break-glass access needs a reasonCode/,
  );
  hx.refused(
    hx.tx('hospital-a', 'access.record', {
      patientToken: p,
      hospital: 'hospital-b',
      at: '2025-06-15T08:00:00Z',
      breakGlass: false,
    }),
    'MER_CONTRACT_FORBIDDEN',
    /user is absent/,
  );
  hx.refused(
    hx.tx(
      'hospital-a',
      'access.record',
      { patientToken: p, hospital: 'hospital-q', at: '2025-06-15T08:00:00Z', breakGlass: false },
      { user: CLINICIAN },
    ),
    'MER_CONTRACT_NOT_FOUND',
    /payload\.hospital: hospital-q is not a member/,
  );
});

test('queries: status, members, unknown views, parameters and ids', () => {
  const app = createLedgerApplication(testGenesis());
  const status = app.query('status') as { height: number; appHash: string };
  assert.equal(status.height, 0);
  assert.equal(status.appHash, app.info().appHash);
  assert.equal((app.query('members/hub') as { role: string }).role, 'hub');
  assert.equal((app.query('requests') as { total: number }).total, 0);
  assert.throws(() => app.query('nothing'), { code: 'MER_CONTRACT_UNKNOWN_QUERY', message: /no view "nothing"/ });
  assert.throws(() => app.query('requests', { colour: 'red' }), {
    code: 'MER_CONTRACT_UNKNOWN_QUERY',
    message: /not colour/,
  });
  assert.throws(() => app.query('requests', { limit: '5000' }), {
    code: 'MER_CONTRACT_UNKNOWN_QUERY',
    message: /limit/,
  });
  assert.throws(() => app.query('access'), { code: 'MER_CONTRACT_UNKNOWN_QUERY', message: /patientToken/ });
  assert.throws(() => app.query('requests/r9'), { code: 'MER_CONTRACT_NOT_FOUND', message: /no request "r9"/ });
  assert.throws(() => app.query('budget/p9'), { code: 'MER_CONTRACT_NOT_FOUND' });
  assert.throws(() => app.query(`notary/${h('x')}`), { code: 'MER_CONTRACT_NOT_FOUND' });
  assert.throws(() => app.query('tasks/t9'), { code: 'MER_CONTRACT_NOT_FOUND' });
  // Answers are copies: changing one does not change the state.
  const m = app.query('members/hub') as { role: string };
  m.role = 'hospital';
  assert.equal((app.query('members/hub') as { role: string }).role, 'hub');
});
