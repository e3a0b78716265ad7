import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLedgerApplication, parseGenesis, proposalIdOf } from '../../../src/ledger/contracts/index.ts';
import { publicKeyHex } from '../../../src/ledger/index.ts';
import { keyFor } from '../fixtures.ts';
import { DAY_MS, Harness, h, institutionKey, testGenesis } from './harness.ts';

const newKey = () => publicKeyHex(institutionKey('hospital-d'));

test('membership.add executes once ⌊2n/3⌋+1 active members approved; the new member can then transact', () => {
  const hx = new Harness();
  const add = hx.tx('hub', 'membership.add', { name: 'hospital-d', role: 'hospital', publicKey: newKey() });
  const id = proposalIdOf(add);
  const opened = hx.ok(add);
  assert.ok(opened.ok && opened.events?.some((e) => e.type === 'proposal.opened'));
  const notYet = hx.tx('hospital-d', 'consent.set', {
    patientToken: 'a'.repeat(32),
    purpose: 'research',
    status: 'granted',
  });
  hx.refused(notYet, 'MER_LEDGER_UNKNOWN_SIGNER', /hospital-d is not a member/);
  hx.ok(hx.tx('hospital-a', 'proposal.approve', { proposalId: id }));
  assert.equal((hx.app.query(`proposals/${id}`) as { status: string }).status, 'open');
  const third = hx.ok(hx.tx('hospital-b', 'proposal.approve', { proposalId: id }));
  assert.ok(third.ok && third.events?.some((e) => e.type === 'member.added' && e.attributes.name === 'hospital-d'));
  const p = hx.app.query(`proposals/${id}`) as { status: string; approvals: string[] };
  assert.equal(p.status, 'executed');
  assert.deepEqual(p.approvals, ['hospital-a', 'hospital-b', 'hub']);
  const members = hx.app.query('members') as { name: string; status: string }[];
  assert.deepEqual(
    members.map((m) => m.name),
    ['hospital-a', 'hospital-b', 'hospital-c', 'hospital-d', 'hub'],
  );
  hx.ok(hx.tx('hospital-d', 'consent.set', { patientToken: 'a'.repeat(32), purpose: 'research', status: 'granted' }));
  hx.refused(hx.tx('hospital-c', 'proposal.approve', { proposalId: id }), 'MER_CONTRACT_WRONG_STATE', /executed/);
});

test('membership proposals refuse duplicates, taken names and keys, and unknown proposals', () => {
  const hx = new Harness();
  hx.refused(
    hx.tx('hub', 'membership.add', { name: 'hospital-a', role: 'hospital', publicKey: newKey() }),
    'MER_CONTRACT_EXISTS',
    /payload\.name: institution hospital-a is already a member/,
  );
  hx.refused(
    hx.tx('hub', 'membership.add', {
      name: 'hospital-d',
      role: 'hospital',
      publicKey: publicKeyHex(institutionKey('hospital-b')),
    }),
    'MER_CONTRACT_EXISTS',
    /payload\.publicKey: the key is already hospital-b's/,
  );
  hx.refused(hx.tx('hub', 'proposal.approve', { proposalId: h('nope') }), 'MER_CONTRACT_NOT_FOUND', /no proposal/);
  const add = hx.tx('hub', 'membership.add', { name: 'hospital-d', role: 'hospital', publicKey: newKey() });
  hx.ok(add);
  hx.refused(
    hx.tx('hub', 'proposal.approve', { proposalId: proposalIdOf(add) }),
    'MER_CONTRACT_EXISTS',
    /already approved/,
  );
  hx.refused(
    hx.raw('hub', 'membership.add', { name: 'hospital-e', role: 'clinic', publicKey: newKey() }),
    'MER_CONTRACT_INVALID_PAYLOAD',
    /payload\.role/,
  );
});

test('a proposal expires after proposalTtlMs and cannot be approved then', () => {
  const hx = new Harness();
  const add = hx.tx('hub', 'membership.add', { name: 'hospital-d', role: 'hospital', publicKey: newKey() });
  hx.ok(add);
  hx.block([], 8 * DAY_MS);
  hx.refused(
    hx.tx('hospital-a', 'proposal.approve', { proposalId: proposalIdOf(add) }),
    'MER_CONTRACT_EXPIRED',
    /expired at/,
  );
  assert.equal((hx.app.query(`proposals/${proposalIdOf(add)}`) as { status: string }).status, 'expired');
  assert.equal((hx.app.query('proposals', { status: 'expired' }) as { total: number }).total, 1);
});

test('membership.suspend: a suspended member is refused; quorum shrinks with the active members', () => {
  const hx = new Harness();
  const suspend = hx.tx('hub', 'membership.suspend', { name: 'hospital-c', reasonCode: 'key-compromise' });
  hx.ok(suspend);
  hx.ok(hx.tx('hospital-a', 'proposal.approve', { proposalId: proposalIdOf(suspend) }));
  const last = hx.ok(hx.tx('hospital-b', 'proposal.approve', { proposalId: proposalIdOf(suspend) }));
  assert.ok(last.ok && last.events?.some((e) => e.type === 'member.suspended'));
  const c = hx.app.query('members/hospital-c') as { status: string; suspended: { reasonCode: string } };
  assert.equal(c.status, 'suspended');
  assert.equal(c.suspended.reasonCode, 'key-compromise');
  hx.refused(
    hx.tx('hospital-c', 'consent.set', { patientToken: 'b'.repeat(32), purpose: 'research', status: 'granted' }),
    'MER_CONTRACT_MEMBER_SUSPENDED',
    /hospital-c is suspended/,
  );
  hx.refused(
    hx.tx('hub', 'membership.suspend', { name: 'hospital-c', reasonCode: 'again' }),
    'MER_CONTRACT_WRONG_STATE',
    /already suspended/,
  );
  hx.refused(
    hx.tx('hub', 'membership.suspend', { name: 'hospital-x', reasonCode: 'x' }),
    'MER_CONTRACT_NOT_FOUND',
    /hospital-x is not a member/,
  );
  // 3 active members: quorum 3 (⌊2·3/3⌋+1), so the hub plus two approvals.
  const add = hx.tx('hub', 'membership.add', { name: 'hospital-d', role: 'hospital', publicKey: newKey() });
  hx.ok(add);
  hx.ok(hx.tx('hospital-a', 'proposal.approve', { proposalId: proposalIdOf(add) }));
  assert.equal((hx.app.query(`proposals/${proposalIdOf(add)}`) as { status: string }).status, 'open');
  hx.ok(hx.tx('hospital-b', 'proposal.approve', { proposalId: proposalIdOf(add) }));
  assert.equal((hx.app.query(`proposals/${proposalIdOf(add)}`) as { status: string }).status, 'executed');
});

test('validators.update: ordered by a quorum and returned in FinalizeBlockResponse.validatorUpdate', () => {
  const hx = new Harness();
  const validators = ['hospital-a', 'hospital-b', 'hub'].map((name) => ({
    name,
    publicKey: publicKeyHex(keyFor(`validator:${name}`)),
  }));
  const update = hx.tx('hub', 'validators.update', { validators });
  assert.equal(hx.block([update]).validatorUpdate, undefined);
  assert.equal(
    hx.block([hx.tx('hospital-a', 'proposal.approve', { proposalId: proposalIdOf(update) })]).validatorUpdate,
    undefined,
  );
  const res = hx.block([hx.tx('hospital-c', 'proposal.approve', { proposalId: proposalIdOf(update) })]);
  assert.deepEqual(res.validatorUpdate, validators);
  assert.deepEqual(hx.app.query('validators'), validators);
  hx.refused(
    hx.raw('hub', 'validators.update', { validators: [...validators].reverse() }),
    'MER_CONTRACT_INVALID_PAYLOAD',
    /sorted by name/,
  );
  hx.refused(
    hx.tx('hub', 'validators.update', { validators: [{ name: 'hospital-q', publicKey: newKey() }] }),
    'MER_CONTRACT_NOT_FOUND',
    /payload\.validators\.0\.name: hospital-q is not a member/,
  );
});

test('a single-member consortium executes its own proposals at once', () => {
  const app = createLedgerApplication({
    chainId: 'meridian-test',
    genesisTime: 0,
    institutions: [{ name: 'hub', role: 'hub', publicKey: publicKeyHex(institutionKey('hub')) }],
  });
  const hx = new Harness();
  const add = hx.tx(
    'hub',
    'membership.add',
    { name: 'hospital-a', role: 'hospital', publicKey: newKey() },
    { timeMs: 1_000 },
  );
  const res = app.finalizeBlock({ height: 1, proposer: 'hub', proposerTime: 1_000, txs: [add] });
  assert.ok(res.results[0]?.ok && res.results[0].events?.some((e) => e.type === 'member.added'));
});

test('genesis: defaults, validators default to the institutions, and bad documents name the field', () => {
  const g = parseGenesis(testGenesis());
  assert.deepEqual(
    g.validators.map((v) => v.name),
    ['hospital-a', 'hospital-b', 'hospital-c', 'hub'],
  );
  assert.equal(g.params.nonceWindowMs, 600_000);
  assert.throws(() => parseGenesis({ ...testGenesis(), chainId: 'X' }), {
    code: 'MER_LEDGER_MALFORMED_GENESIS',
    message: /chainId/,
  });
  const dup = testGenesis();
  assert.throws(() => parseGenesis({ ...dup, institutions: [...dup.institutions, dup.institutions[0]] }), {
    code: 'MER_LEDGER_MALFORMED_GENESIS',
    message: /institutions\.4\.name/,
  });
  assert.throws(() => parseGenesis({ ...dup, validators: [{ name: 'nobody', publicKey: newKey() }] }), {
    code: 'MER_LEDGER_MALFORMED_GENESIS',
    message: /nobody is not an institution/,
  });
});
