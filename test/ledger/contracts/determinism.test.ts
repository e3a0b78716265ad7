import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { FinalizeBlockResponse, LedgerApplication } from '../../../src/ledger/abci.ts';
import { createLedgerApplication, type GenesisInput, proposalIdOf } from '../../../src/ledger/contracts/index.ts';
import { canonicalize, publicKeyHex, type SignedTransaction } from '../../../src/ledger/index.ts';
import { keyFor } from '../fixtures.ts';
import { DAY_MS, ETHICS, FOUNDERS, Harness, h, RESEARCHER, T0, testGenesis, token } from './harness.ts';

const HOSPITALS = ['hospital-a', 'hospital-b', 'hospital-c'] as const;
const INSTITUTIONS = [...FOUNDERS, 'hospital-d'] as const;
const KINDS = ['count', 'glm'] as const;

/** One step of a random history: a transaction to build, a block cut, a replay or a tampering. */
type Action =
  | { a: 'cut'; dtMs: number }
  | { a: 'notarize'; inst: number; root: number; type: number }
  | { a: 'submit'; req: number; hospitals: number[]; eps: number; kinds: number[] }
  | { a: 'decide'; req: number; approver: number; approve: boolean; eps: number | null }
  | { a: 'authorize'; task: number; req: number; hospitals: number[]; kind: number; tokens: number[]; inScope: boolean }
  | { a: 'approve-all'; req: number }
  | { a: 'receipt'; task: number; hospital: number; ok: boolean }
  | { a: 'receipts-all'; task: number }
  | { a: 'release'; task: number }
  | { a: 'lifecycle'; req: number; task: number; micros: number }
  | { a: 'charge'; task: number; inst: number; micros: number }
  | { a: 'consent'; tok: number; purpose: number; withdraw: boolean }
  | { a: 'access'; tok: number; inst: number; breakGlass: boolean }
  | { a: 'add-member' }
  | { a: 'validators'; members: number[] }
  | { a: 'approve'; proposal: number; inst: number }
  | { a: 'replay'; back: number }
  | { a: 'tamper'; back: number }
  | { a: 'garbage'; inst: number };

const idx = (n: number) => fc.nat({ max: n - 1 });
const subset = (n: number) => fc.uniqueArray(idx(n), { minLength: 1, maxLength: n });

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      a: fc.constant('cut' as const),
      dtMs: fc.oneof(fc.integer({ min: 0, max: 120_000 }), fc.integer({ min: 0, max: 40 * DAY_MS })),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ a: fc.constant('notarize' as const), inst: idx(5), root: idx(6), type: idx(2) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      a: fc.constant('submit' as const),
      req: idx(3),
      hospitals: subset(3),
      eps: fc.integer({ min: 0, max: 3_000_000 }),
      kinds: subset(2),
    }),
  },
  {
    weight: 10,
    arbitrary: fc.record({
      a: fc.constant('decide' as const),
      req: idx(3),
      approver: idx(4),
      approve: fc.nat({ max: 9 }).map((n) => n > 1),
      eps: fc.option(fc.integer({ min: 0, max: 3_000_000 })),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      a: fc.constant('authorize' as const),
      task: idx(3),
      req: idx(3),
      hospitals: subset(3),
      kind: idx(2),
      tokens: fc.uniqueArray(idx(4), { maxLength: 3 }),
      inScope: fc.nat({ max: 4 }).map((n) => n > 0),
    }),
  },
  { weight: 3, arbitrary: fc.record({ a: fc.constant('approve-all' as const), req: idx(3) }) },
  {
    weight: 6,
    arbitrary: fc.record({
      a: fc.constant('receipt' as const),
      task: idx(3),
      hospital: idx(3),
      ok: fc.nat({ max: 9 }).map((n) => n > 0),
    }),
  },
  { weight: 2, arbitrary: fc.record({ a: fc.constant('receipts-all' as const), task: idx(3) }) },
  { weight: 2, arbitrary: fc.record({ a: fc.constant('release' as const), task: idx(3) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      a: fc.constant('lifecycle' as const),
      req: idx(3),
      task: idx(3),
      micros: fc.integer({ min: 1, max: 2_000_000 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      a: fc.constant('charge' as const),
      task: idx(3),
      inst: idx(4),
      micros: fc.integer({ min: 1, max: 1_500_000 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ a: fc.constant('consent' as const), tok: idx(4), purpose: idx(3), withdraw: fc.boolean() }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ a: fc.constant('access' as const), tok: idx(4), inst: idx(4), breakGlass: fc.boolean() }),
  },
  { weight: 1, arbitrary: fc.record({ a: fc.constant('add-member' as const) }) },
  { weight: 1, arbitrary: fc.record({ a: fc.constant('validators' as const), members: subset(4) }) },
  { weight: 3, arbitrary: fc.record({ a: fc.constant('approve' as const), proposal: idx(3), inst: idx(5) }) },
  { weight: 1, arbitrary: fc.record({ a: fc.constant('replay' as const), back: fc.nat({ max: 20 }) }) },
  { weight: 1, arbitrary: fc.record({ a: fc.constant('tamper' as const), back: fc.nat({ max: 20 }) }) },
  { weight: 1, arbitrary: fc.record({ a: fc.constant('garbage' as const), inst: idx(4) }) },
);

interface Block {
  proposerTime: number;
  txs: SignedTransaction[];
}

function genesis(): GenesisInput {
  return testGenesis({ params: { nonceWindowMs: 300_000 } });
}

/** Turns actions into signed blocks (a deterministic function of the actions). */
function buildBlocks(actions: readonly Action[]): Block[] {
  const hx = new Harness(genesis());
  const blocks: Block[] = [];
  let current: SignedTransaction[] = [];
  const all: SignedTransaction[] = [];
  const proposals: SignedTransaction[] = [];
  const scopes = new Map<string, { hospitals: string[]; kinds: string[] }>();
  const taskHospitals = new Map<string, string[]>();
  let time = T0;
  let label = 0;
  const opts = () => {
    label += 1;
    return { timeMs: time, label: `det-${label}` };
  };
  const push = (t: SignedTransaction) => {
    current.push(t);
    all.push(t);
  };
  const expand = (act: Action): Action[] =>
    act.a === 'lifecycle'
      ? [
          { a: 'submit', req: act.req, hospitals: [0, 1], eps: 1_000_000, kinds: [0] },
          { a: 'approve-all', req: act.req },
          { a: 'authorize', task: act.task, req: act.req, hospitals: [0, 1], kind: 0, tokens: [], inScope: true },
          { a: 'receipts-all', task: act.task },
          { a: 'charge', task: act.task, inst: 3, micros: act.micros },
          { a: 'release', task: act.task },
        ]
      : [act];
  for (const act of actions.flatMap(expand)) {
    switch (act.a) {
      case 'cut':
        // Transactions are built at `time` and proposed a second later; then the clock may jump far ahead.
        blocks.push({ proposerTime: time + 1_000, txs: current });
        time += 1_000 + act.dtMs;
        current = [];
        break;
      case 'notarize':
        push(
          hx.tx(
            INSTITUTIONS[act.inst] as string,
            'notarize.batch',
            {
              batch: { root: h(`root${act.root}`), size: 2 },
              type: ['ods-file', 'result'][act.type] as string,
              source: 'his',
              location: 'x',
              at: '2025-06-15T08:00:00Z',
            },
            opts(),
          ),
        );
        break;
      case 'submit':
        scopes.set(`r${act.req}`, {
          hospitals: act.hospitals.map((i) => HOSPITALS[i] as string),
          kinds: act.kinds.map((k) => KINDS[k] as string),
        });
        push(
          hx.tx(
            'hub',
            'request.submit',
            {
              requestId: `r${act.req}`,
              projectId: `p${act.req % 2}`,
              purpose: 'research',
              cohortHash: h(`cohort${act.req}`),
              analysisKinds: act.kinds.map((k) => KINDS[k] as string),
              hospitals: act.hospitals.map((i) => HOSPITALS[i] as string),
              periodStart: new Date(T0).toISOString(),
              periodEnd: new Date(T0 + 60 * DAY_MS).toISOString(),
              epsilonMicros: act.eps,
            },
            { ...opts(), user: RESEARCHER },
          ),
        );
        break;
      case 'decide': {
        const payload = {
          requestId: `r${act.req}`,
          decision: act.approve ? ('approve' as const) : ('refuse' as const),
          commentHash: h('c'),
        };
        if (act.approver === 3) {
          push(
            hx.tx(
              'hub',
              'request.decide',
              { ...payload, ...(act.eps === null ? {} : { epsilonMicros: act.eps }) },
              { ...opts(), user: ETHICS },
            ),
          );
        } else {
          push(hx.tx(HOSPITALS[act.approver] as string, 'request.decide', payload, opts()));
        }
        break;
      }
      case 'approve-all': {
        // Every required approver of the request last submitted under this id approves, in one block.
        const scope = scopes.get(`r${act.req}`);
        const payload = { requestId: `r${act.req}`, decision: 'approve' as const, commentHash: h('c') };
        push(hx.tx('hub', 'request.decide', payload, { ...opts(), user: ETHICS }));
        for (const hospital of scope?.hospitals ?? []) push(hx.tx(hospital, 'request.decide', payload, opts()));
        break;
      }
      case 'authorize': {
        // Mostly within the scope of the request last submitted under this id, so tasks do get authorized.
        const scope = act.inScope ? scopes.get(`r${act.req}`) : undefined;
        const hospitals =
          scope === undefined
            ? act.hospitals.map((i) => HOSPITALS[i] as string)
            : [...new Set(act.hospitals.map((i) => scope.hospitals[i % scope.hospitals.length] as string))];
        taskHospitals.set(`t${act.task}`, hospitals);
        const kind =
          scope === undefined ? (KINDS[act.kind] as string) : (scope.kinds[act.kind % scope.kinds.length] as string);
        push(
          hx.tx(
            'hub',
            'task.authorize',
            {
              taskId: `t${act.task}`,
              requestId: `r${act.req}`,
              taskHash: h(`task${act.task}`),
              analysisKind: kind,
              hospitals,
              patientTokens: act.tokens.map((t) => token(`p${t}`)),
            },
            opts(),
          ),
        );
        break;
      }
      case 'receipt': {
        const hs = taskHospitals.get(`t${act.task}`) ?? [...HOSPITALS];
        push(
          hx.tx(
            hs[act.hospital % hs.length] as string,
            'task.receipt',
            { taskId: `t${act.task}`, resultHash: h('res'), status: act.ok ? 'succeeded' : 'failed' },
            opts(),
          ),
        );
        break;
      }
      case 'receipts-all':
        for (const hospital of taskHospitals.get(`t${act.task}`) ?? []) {
          push(
            hx.tx(
              hospital,
              'task.receipt',
              { taskId: `t${act.task}`, resultHash: h(hospital), status: 'succeeded' },
              opts(),
            ),
          );
        }
        break;
      case 'release':
        push(hx.tx('hub', 'result.release', { taskId: `t${act.task}`, resultHash: h('released') }, opts()));
        break;
      case 'charge':
        push(
          hx.tx(
            FOUNDERS[act.inst] as string,
            'budget.charge',
            { taskId: `t${act.task}`, epsilonMicros: act.micros },
            opts(),
          ),
        );
        break;
      case 'consent':
        push(
          hx.tx(
            'hospital-a',
            'consent.set',
            {
              patientToken: token(`p${act.tok}`),
              purpose: ['research', 'all', 'quality'][act.purpose] as string,
              status: act.withdraw ? 'withdrawn' : 'granted',
            },
            opts(),
          ),
        );
        break;
      case 'access':
        push(
          hx.tx(
            FOUNDERS[act.inst] as string,
            'access.record',
            {
              patientToken: token(`p${act.tok}`),
              hospital: 'hospital-b',
              at: '2025-06-15T08:00:00Z',
              breakGlass: act.breakGlass,
              ...(act.breakGlass ? { reasonCode: 'emergency' } : {}),
            },
            { ...opts(), user: { id: 'u-doc', role: 'clinician' } },
          ),
        );
        break;
      case 'add-member': {
        const t = hx.tx(
          'hub',
          'membership.add',
          { name: 'hospital-d', role: 'hospital', publicKey: publicKeyHex(keyFor('institution:hospital-d')) },
          opts(),
        );
        proposals.push(t);
        push(t);
        break;
      }
      case 'validators': {
        const validators = act.members
          .map((i) => FOUNDERS[i] as string)
          .sort()
          .map((name) => ({ name, publicKey: publicKeyHex(keyFor(`validator:${name}`)) }));
        const t = hx.tx('hospital-b', 'validators.update', { validators }, opts());
        proposals.push(t);
        push(t);
        break;
      }
      case 'approve': {
        const p = proposals[act.proposal % Math.max(1, proposals.length)];
        if (p !== undefined)
          push(hx.tx(INSTITUTIONS[act.inst] as string, 'proposal.approve', { proposalId: proposalIdOf(p) }, opts()));
        break;
      }
      case 'replay': {
        const t = all[all.length - 1 - act.back];
        if (t !== undefined) push(t);
        break;
      }
      case 'tamper': {
        const t = all[all.length - 1 - act.back];
        if (t !== undefined)
          push({ body: { ...t.body, payload: { ...t.body.payload, tampered: true } }, signature: t.signature });
        break;
      }
      case 'lifecycle':
        throw new Error('expanded above');
      case 'garbage':
        push(hx.raw(FOUNDERS[act.inst] as string, 'request.decide', { requestId: 'r0', decision: 'maybe' }, opts()));
        break;
    }
  }
  time += 1_000;
  blocks.push({ proposerTime: time, txs: current });
  return blocks;
}

function run(app: LedgerApplication, blocks: readonly Block[], from: number, to: number): FinalizeBlockResponse[] {
  const out: FinalizeBlockResponse[] = [];
  for (let i = from; i < to; i += 1) {
    const b = blocks[i] as Block;
    out.push(app.finalizeBlock({ height: i + 1, proposer: 'hub', proposerTime: b.proposerTime, txs: b.txs }));
    app.commit();
  }
  return out;
}

test('the same random history gives identical outcomes and app hashes on independent instances and across export→restore', () => {
  fc.assert(
    fc.property(fc.array(actionArb, { minLength: 5, maxLength: 60 }), fc.nat(), (actions, cutSeed) => {
      const blocks = buildBlocks(actions);
      const a = createLedgerApplication(genesis());
      const ra = run(a, blocks, 0, blocks.length);

      // A second validator with a tiny signature cache that saw every transaction in checkTx first.
      const b = createLedgerApplication(genesis(), { signatureCacheSize: 2 });
      for (const blk of blocks) for (const t of blk.txs) b.checkTx(t);
      const rb = run(b, blocks, 0, blocks.length);
      assert.deepEqual(rb, ra);

      // A third that stops midway, snapshots, and continues on a fresh instance.
      const mid = cutSeed % (blocks.length + 1);
      const c1 = createLedgerApplication(genesis());
      const rc1 = run(c1, blocks, 0, mid);
      const snapshot = JSON.parse(JSON.stringify(c1.exportState()));
      const c2 = createLedgerApplication(genesis());
      c2.restore(snapshot);
      assert.deepEqual(c2.info(), c1.info());
      const rc2 = run(c2, blocks, mid, blocks.length);
      assert.deepEqual([...rc1, ...rc2], ra);
      assert.deepEqual(c2.info(), a.info());
      assert.equal(canonicalize(c2.exportState()), canonicalize(a.exportState()));
      for (const path of [
        'requests',
        'notary',
        'proposals',
        'members',
        'validators',
        `access?patientToken=${token('p0')}`,
      ]) {
        assert.deepEqual(c2.query(path), a.query(path), path);
      }
    }),
    { numRuns: 60 },
  );
});

test('the history generator reaches the interesting transitions', () => {
  const seen = new Set<string>();
  fc.assert(
    fc.property(fc.array(actionArb, { minLength: 20, maxLength: 80 }), (actions) => {
      const blocks = buildBlocks(actions);
      const res = run(createLedgerApplication(genesis()), blocks, 0, blocks.length);
      for (const r of res) {
        for (const o of r.results) {
          if (o.ok) for (const e of o.events ?? []) seen.add(e.type);
          else seen.add(o.code);
        }
      }
    }),
    { numRuns: 80, seed: 42 },
  );
  for (const expected of [
    'request.approved',
    'task.authorized',
    'task.receipt',
    'result.released',
    'budget.charged',
    'member.added',
    'validators.updated',
    'MER_CONTRACT_BUDGET_EXHAUSTED',
    'MER_CONTRACT_CONSENT_WITHDRAWN',
    'MER_LEDGER_BAD_SIGNATURE',
    'MER_LEDGER_DUPLICATE_TX',
    'MER_CONTRACT_INVALID_PAYLOAD',
  ]) {
    assert.ok(seen.has(expected), `${expected} never happened: ${[...seen].sort().join(', ')}`);
  }
});

test('exportState → restore round-trips to the same app hash; a damaged or foreign snapshot is refused', () => {
  const hx = new Harness();
  hx.request('r1', { approve: true });
  hx.task('t1', 'r1');
  const snap = hx.app.exportState() as { records: [string, unknown][]; digest: string; genesisHash: string };
  const fresh = createLedgerApplication(testGenesis());
  fresh.restore(snap as never);
  assert.deepEqual(fresh.info(), hx.app.info());
  assert.deepEqual(fresh.query('requests/r1'), hx.app.query('requests/r1'));
  const damaged = { ...snap, records: snap.records.slice(1) };
  assert.throws(() => createLedgerApplication(testGenesis()).restore(damaged as never), {
    code: 'MER_LEDGER_MALFORMED_SNAPSHOT',
    message: /digest/,
  });
  const other = createLedgerApplication(testGenesis({ genesisTime: T0 + 1 }));
  assert.throws(() => other.restore(snap as never), { code: 'MER_LEDGER_MALFORMED_SNAPSHOT', message: /genesis/ });
  assert.throws(() => createLedgerApplication(testGenesis()).restore({ format: 'x' }), {
    code: 'MER_LEDGER_MALFORMED_SNAPSHOT',
  });
  // Restoring after a finalized block is a programmer error.
  const used = new Harness();
  used.block([]);
  assert.throws(() => used.app.restore(snap as never), /restore comes before/);
});

test('finalizeBlock can be repeated before commit (same result); heights must follow on', () => {
  const hx = new Harness();
  const t = hx.tx('hospital-a', 'consent.set', { patientToken: token('z'), purpose: 'research', status: 'granted' });
  const req = { height: 1, proposer: 'hub', proposerTime: T0 + 1_000, txs: [t] };
  const first = hx.app.finalizeBlock(req);
  const again = hx.app.finalizeBlock(req);
  assert.deepEqual(again, first);
  assert.deepEqual(hx.app.commit(), { height: 1, appHash: first.appHash });
  assert.throws(() => hx.app.commit(), /commit without a finalized block/);
  assert.throws(() => hx.app.finalizeBlock({ ...req, height: 3 }), /height 3 after 1/);
  const empty = hx.app.finalizeBlock({ ...req, height: 2, txs: [] });
  assert.notEqual(empty.appHash, first.appHash, 'every block moves the state root');
});
