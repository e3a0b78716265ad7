/**
 * Disclosure control of federated counts end to end, in process but with real parts: a validator process running
 * the production contracts, three hospitals' DuckDB lakes, the hub's FederationService signing on the ledger,
 * each hospital's `federation.run` handler checking its authorization and DP charge on the ledger, and the hub's
 * HTTP app (buildHubApp) over the same ledger for the rate limit and the budget refusal at the route. Proves:
 *  - a DP count charges its ε to the project's budget on the ledger (tied to the task) before any hospital runs
 *    it; the budget view and the task record show the charge, the answer reports ε spent and left;
 *  - a DP count over the remaining budget is refused (MER_DP_BUDGET_EXHAUSTED naming the ε left) and no
 *    hospital is asked;
 *  - a hospital refuses a DP task whose charge is missing or smaller than its ε, or whose parameters differ from
 *    what was authorized (the task hash covers them);
 *  - hospitals in `obfuscate` mode never release an exact small count;
 *  - the route refuses the (N+1)-th near-identical count of a researcher with 429, Retry-After and an audit record.
 */
import assert from 'node:assert/strict';
import { createPrivateKey, generateKeyPairSync, type KeyObject, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { identityPaths, loadTlsMaterial } from '../../src/ca/index.ts';
import { loadConfig } from '../../src/config/load.ts';
import { isMeridianError } from '../../src/errors/registry.ts';
import { type CountReleaseMode, countRunner } from '../../src/federation/analyses/count.ts';
import { compileCohortCount, parseCohort } from '../../src/federation/cohort/index.ts';
import { dpTaskParameters } from '../../src/federation/dp-task.ts';
import { commitContractTx, ledgerTaskAuthority } from '../../src/federation/ledger-authority.ts';
import {
  DEFAULT_NODE_POLICY,
  type FederationNodeDeps,
  runFederatedRound,
  runFederatedRun,
} from '../../src/federation/node.ts';
import { type FederatedTask, parseFederatedTask } from '../../src/federation/protocol.ts';
import { buildHubApp, type HubApps } from '../../src/hub/app.ts';
import { ledgerBudgetCharger, ledgerResultReleaser, ledgerTaskAuthorizer } from '../../src/hub/federation/authorize.ts';
import { FederationService } from '../../src/hub/federation/service.ts';
import { HUB_MIGRATIONS, type HubDatabase } from '../../src/hub/schema.ts';
import { contractHash, epsilonToMicros, signContractTx } from '../../src/ledger/contracts/index.ts';
import { LedgerClient, type LedgerConfig } from '../../src/ledger/host/index.ts';
import { publicKeyHex } from '../../src/ledger/signing.ts';
import { openDatabase } from '../../src/store/index.ts';
import { signInUsers } from '../hub/test-hub.ts';
import type { Proc } from '../integration/processes.ts';
import { type ClusterFiles, makeClusterFiles, startValidatorProcess } from '../ledger/host/cluster.ts';
import { freshDatabase } from '../store/targets.ts';
import { COHORT, type Consortium, HOSPITALS, openConsortium } from './masked-fixtures.ts';

const HUB = 'validator-a';
const RESEARCHER = { id: 'researcher-1', role: 'researcher' };

let files: ClusterFiles;
let config: LedgerConfig;
let validators: Proc[] = [];
let client: LedgerClient;
let consortium: Consortium;
let hubKey: KeyObject;
const hospitalKeys = new Map(HOSPITALS.map((h) => [h, generateKeyPairSync('ed25519')]));

const signer = () => ({ client, chainId: config.chainId, institution: HUB, privateKey: hubKey, validators: [HUB] });

async function commit(tx: ReturnType<typeof signContractTx>): Promise<void> {
  await commitContractTx(client, [HUB], tx, tx.body.kind);
}

/** A data-use request for counts at every hospital, approved by the ethics committee with `epsilon` and by each hospital. */
async function approvedProject(epsilon: number): Promise<{ requestId: string; projectId: string }> {
  const requestId = `req-${randomUUID()}`;
  const projectId = `proj-${randomUUID()}`;
  const now = Date.now();
  await commit(
    signContractTx({
      chainId: config.chainId,
      kind: 'request.submit',
      institution: HUB,
      user: RESEARCHER,
      payload: {
        requestId,
        projectId,
        purpose: 'research',
        cohortHash: contractHash('cohort', COHORT),
        analysisKinds: ['count'],
        hospitals: HOSPITALS,
        periodStart: new Date(now - 86_400_000).toISOString(),
        periodEnd: new Date(now + 30 * 86_400_000).toISOString(),
        epsilonMicros: epsilonToMicros(epsilon),
      },
      timeMs: now,
      privateKey: hubKey,
    }),
  );
  const decide = (institution: string, privateKey: KeyObject, user?: { id: string; role: string }) =>
    signContractTx({
      chainId: config.chainId,
      kind: 'request.decide',
      institution,
      ...(user ? { user } : {}),
      payload: { requestId, decision: 'approve', commentHash: contractHash('comment', 'approved in the test') },
      timeMs: Date.now(),
      privateKey,
    });
  await commit(decide(HUB, hubKey, { id: 'ethics-1', role: 'ethics' }));
  for (const h of HOSPITALS) await commit(decide(h, hospitalKeys.get(h)?.privateKey as KeyObject));
  return { requestId, projectId };
}

/** Each hospital's `federation.run` deps: the ledger authority on the validator, receipts filed on it, counts in `mode`. */
function hospitals(mode: CountReleaseMode): Map<string, FederationNodeDeps> {
  return new Map(
    HOSPITALS.map((h) => {
      const privateKey = hospitalKeys.get(h)?.privateKey as KeyObject;
      const deps: FederationNodeDeps = {
        node: h,
        signingKey: privateKey,
        authority: ledgerTaskAuthority({ client, prefer: HUB, order: [HUB] }),
        policy: DEFAULT_NODE_POLICY,
        runners: { count: countRunner({ lake: consortium.lakes.get(h) as never, minCell: 5, release: { mode } }) },
        receipts: async (task, resultHash) =>
          commitContractTx(
            client,
            [HUB],
            signContractTx({
              chainId: config.chainId,
              kind: 'task.receipt',
              institution: h,
              payload: { taskId: task.taskId, resultHash, status: 'succeeded' },
              timeMs: Date.now(),
              privateKey,
            }),
            `the receipt of ${task.taskId}`,
          ),
      };
      return [h, deps];
    }),
  );
}

/** The hub's service calling the hospitals' handlers directly; `calls` records every payload a hospital was sent. */
function service(nodes: Map<string, FederationNodeDeps>, calls: string[]): FederationService {
  return new FederationService({
    call: async (node, payload) => {
      calls.push(`${node}:${payload.task.taskId}:${payload.round}`);
      return runFederatedRun(nodes.get(node) as FederationNodeDeps, payload);
    },
    nodeKey: async (node) => hospitalKeys.get(node)?.publicKey,
    authorize: ledgerTaskAuthorizer(signer()),
    release: ledgerResultReleaser(signer()),
    charge: ledgerBudgetCharger(signer()),
  });
}

function countTask(
  svc: FederationService,
  project: { requestId: string; projectId: string },
  dp?: Record<string, unknown>,
): FederatedTask {
  return svc.task(
    { ...project, kind: 'count', cohort: COHORT, hospitals: HOSPITALS, ...(dp ? { parameters: { dp } } : {}) },
    RESEARCHER,
  );
}

async function query<T>(path: string): Promise<T> {
  const res = await client.get(HUB, `/v1/query/${path}`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return (res.body as { value: T }).value;
}

before(async () => {
  files = await makeClusterFiles({
    n: 4,
    consensus: { viewChangeTimeoutMs: 1_000, retransmitIntervalMs: 200, syncIntervalMs: 500 },
  });
  hubKey = createPrivateKey(readFileSync(identityPaths(files.caDir, HUB).signingKey, 'utf8'));
  const hospitalEntries = HOSPITALS.map((h) => ({
    name: h,
    publicKey: publicKeyHex(hospitalKeys.get(h)?.publicKey.export({ type: 'spki', format: 'pem' }) as string),
  }));
  config = { ...files.config, institutions: [...files.config.institutions, ...hospitalEntries] };
  await writeFile(files.configPath, JSON.stringify(config, null, 2));
  const genesisPath = join(files.root, 'genesis.json');
  await writeFile(
    genesisPath,
    JSON.stringify({
      chainId: config.chainId,
      genesisTime: Date.now(),
      institutions: [
        ...config.validators.map((v) => ({
          name: v.name,
          role: v.name === HUB ? 'hub' : 'hospital',
          publicKey: v.publicKey,
        })),
        ...config.institutions.map((i) => ({ name: i.name, role: 'hospital', publicKey: i.publicKey })),
      ],
      validators: config.validators.map((v) => ({ name: v.name, publicKey: v.publicKey })),
    }),
  );
  validators = await Promise.all(
    config.validators.map((v) => startValidatorProcess(files, v.name, { genesis: genesisPath })),
  );
  client = new LedgerClient({ config, tls: files.clientTls });
  consortium = await openConsortium(9);
});

after(async () => {
  client?.close();
  for (const v of validators) v.child.kill('SIGKILL');
  await consortium?.close();
  await files?.cleanup();
});

test('a DP count charges its ε on the ledger before any hospital runs it, and the budget view shows the charge', async () => {
  const project = await approvedProject(1);
  const calls: string[] = [];
  const svc = service(hospitals('suppress'), calls);
  const task = countTask(svc, project, dpTaskParameters({ mechanism: 'laplace', epsilon: 0.4 }));
  const answer = await svc.count(task);
  assert.equal(answer.partial, false, JSON.stringify(answer.byHospital));
  assert.deepEqual(
    answer.byHospital.map((l) => (l.status === 'answered' ? l.disclosure : l.status)),
    ['dp', 'dp', 'dp'],
  );
  for (const l of answer.byHospital) {
    if (l.status !== 'answered') continue;
    assert.ok(typeof l.count === 'number' ? l.count >= 5 : 'suppressed' in l.count, JSON.stringify(l));
  }
  assert.equal(answer.noisy, true);
  assert.ok(answer.dp, 'the answer reports the DP spend');
  assert.deepEqual(
    { ...answer.dp, charge: undefined },
    { mechanism: 'laplace', epsilon: 0.4, delta: null, charge: undefined, spentEpsilon: 0.4, remainingEpsilon: 0.6 },
  );
  // The charge was committed after the authorization and before any hospital's receipt.
  const receiptHeights = Object.values(answer.ledger.receipts).map((r) => r.height);
  assert.equal(receiptHeights.length, 3);
  assert.ok(answer.authorizedAt.height < answer.dp.charge.height);
  assert.ok(
    receiptHeights.every((h) => h > (answer.dp?.charge.height as number)),
    JSON.stringify(answer.ledger),
  );
  assert.ok(answer.ledger.release, answer.ledger.unreleased ?? '');
  const budget = await query<{ totalMicros: number; spentMicros: number; remainingMicros: number }>(
    `budget/${project.projectId}`,
  );
  assert.deepEqual(
    { total: budget.totalMicros, spent: budget.spentMicros, remaining: budget.remainingMicros },
    { total: 1_000_000, spent: 400_000, remaining: 600_000 },
  );
  const onChain = await query<{ epsilonChargedMicros: number; status: string }>(`tasks/${task.taskId}`);
  assert.equal(onChain.epsilonChargedMicros, 400_000);
  assert.equal(onChain.status, 'released');

  // Over budget: refused with the ε left named, and no hospital is asked.
  const before = calls.length;
  const greedy = countTask(svc, project, dpTaskParameters({ mechanism: 'laplace', epsilon: 0.7 }));
  await assert.rejects(
    svc.count(greedy),
    (e: unknown) =>
      isMeridianError(e, 'MER_DP_BUDGET_EXHAUSTED') &&
      e.status === 409 &&
      /ε 0\.6 of privacy budget left; task .* asks ε 0\.7, so nothing was run/.test(e.message) &&
      e.details?.remainingEpsilon === 0.6,
  );
  assert.equal(calls.length, before, 'no hospital was sent the refused task');
  const after = await query<{ spentMicros: number }>(`budget/${project.projectId}`);
  assert.equal(after.spentMicros, 400_000);
  const refused = await query<{ epsilonChargedMicros: number; receipts: Record<string, unknown> }>(
    `tasks/${greedy.taskId}`,
  );
  assert.deepEqual([refused.epsilonChargedMicros, Object.keys(refused.receipts)], [0, []]);
});

test('a hospital refuses a DP task whose charge is missing or too small on its ledger, or whose ε differs from the authorized task', async () => {
  const project = await approvedProject(1);
  const nodes = hospitals('suppress');
  const node = nodes.get(HOSPITALS[0] as string) as FederationNodeDeps;
  const svc = service(nodes, []);
  const authorize = ledgerTaskAuthorizer(signer());
  const refusedWith = (re: RegExp) => (e: unknown) =>
    isMeridianError(e, 'MER_FED_DP_NOT_CHARGED') && re.test(e.message);

  // Authorized but never charged (a hub skipping the charge).
  const uncharged = countTask(svc, project, dpTaskParameters({ mechanism: 'laplace', epsilon: 0.3 }));
  await authorize(uncharged);
  await assert.rejects(
    runFederatedRound(node, { task: uncharged, round: 0 }),
    refusedWith(/asks ε 0\.3 .* records a charge of ε 0 for it/),
  );

  // Charged less than it asks.
  const short = countTask(svc, project, dpTaskParameters({ mechanism: 'laplace', epsilon: 0.3 }));
  await authorize(short);
  await ledgerBudgetCharger(signer())(short, 100_000);
  await assert.rejects(runFederatedRound(node, { task: short, round: 0 }), refusedWith(/charge of ε 0\.1 for it/));

  // Charged in full, then sent with less noise (a larger ε) under the same id: the hash no longer matches.
  const paid = countTask(svc, project, dpTaskParameters({ mechanism: 'laplace', epsilon: 0.1 }));
  await authorize(paid);
  await ledgerBudgetCharger(signer())(paid, 100_000);
  const louder = parseFederatedTask({
    ...paid,
    parameters: { dp: { mechanism: 'laplace', epsilonMicros: 5_000_000 } },
  });
  await assert.rejects(
    runFederatedRound(node, { task: louder, round: 0 }),
    (e: unknown) => isMeridianError(e, 'MER_FED_NOT_AUTHORIZED') && /hash differs/.test(e.message),
  );
  const answered = await runFederatedRound(node, { task: paid, round: 0 });
  assert.equal((answered.answer.result as { disclosure: string }).disclosure, 'dp');
});

test('hospitals in obfuscate mode never release an exact small count', async () => {
  const project = await approvedProject(0);
  const svc = service(hospitals('obfuscate'), []);
  const exact = new Map<string, number>();
  for (const h of HOSPITALS) {
    const lake = consortium.lakes.get(h);
    assert.ok(lake);
    const q = compileCohortCount(parseCohort(COHORT), { present: new Set(await lake.tables()) });
    const [row] = await lake.query<{ n: bigint | number }>(q.sql, q.params);
    exact.set(h, Number(row?.n));
  }
  assert.ok(
    [...exact.values()].every((n) => n > 0 && n <= 10),
    `every hospital holds a small cohort: ${[...exact.entries()].join(' ')}`,
  );
  for (let i = 0; i < 3; i++) {
    const answer = await svc.count(countTask(svc, project));
    assert.equal(answer.noisy, true);
    let total = 0;
    for (const l of answer.byHospital) {
      assert.equal(l.status, 'answered', JSON.stringify(l));
      if (l.status !== 'answered') continue;
      assert.equal(l.disclosure, 'obfuscation');
      if (typeof l.count === 'number') {
        assert.ok(l.count > 10 && l.count % 5 === 0, `${l.hospital} released ${l.count}`);
        assert.notEqual(l.count, exact.get(l.hospital));
        total += l.count;
      } else {
        assert.deepEqual(l.count, { atMost: 10 });
        assert.ok(answer.atMost.includes(l.hospital));
      }
    }
    assert.equal(answer.total, total, 'the total sums the released numbers; "at most" lines add nothing');
    assert.deepEqual(answer.suppressed, []);
  }
});

test('the count route refuses the (N+1)-th near-identical count with 429 and Retry-After, audits it, and answers an over-budget DP count with 409', async () => {
  const fresh = freshDatabase();
  const store = await openDatabase<HubDatabase>({ ...fresh.options, migrations: HUB_MIGRATIONS });
  let hub: HubApps | undefined;
  mkdirSync(join(files.root, 'hub'), { recursive: true });
  try {
    hub = await buildHubApp({
      config: loadConfig({
        role: 'hub',
        env: {},
        overrides: {
          dataDir: join(files.root, 'hub'),
          pki: { caDir: files.caDir, identity: HUB },
          hub: { ledger: { configFile: files.configPath }, queryLimit: { repeatsMax: 2, windowMs: 3_600_000 } },
        },
      }),
      db: store.db,
      tls: loadTlsMaterial({ dir: files.caDir, name: HUB }),
      sessionKey: new Uint8Array(32).fill(5),
    });
    const { researcher } = await signInUsers(hub, [['researcher', 'researcher', null]]);
    const project = await approvedProject(0.5);
    const post = (payload: Record<string, unknown>) =>
      (hub as HubApps).userApp.inject({
        method: 'POST',
        url: '/api/federation/count',
        headers: { authorization: `Bearer ${researcher}` },
        payload,
      });
    const body = { ...project, cohort: COHORT, hospitals: HOSPITALS };
    // No hospital node is connected to this hub: each count is authorized, then partial with every hospital missing.
    for (const cohort of [COHORT, { criteria: [], index: COHORT.index }]) {
      const ok = await post({ ...body, cohort });
      assert.equal(ok.statusCode, 200, ok.body);
      assert.equal(ok.json().partial, true);
    }
    const third = await post({ ...body, hospitals: [HOSPITALS[0]] });
    assert.equal(third.statusCode, 429, third.body);
    assert.equal(third.json().error.code, 'MER_DISCLOSURE_RATE_LIMITED');
    assert.match(third.json().error.message, /may be asked again at/);
    const retryAfter = Number(third.headers['retry-after']);
    assert.ok(retryAfter > 3_500 && retryAfter <= 3_600, `Retry-After ${third.headers['retry-after']}`);
    const audit = await hub.audit.recent(20);
    assert.ok(
      audit.some(
        (a) =>
          a.action === 'federation.count' &&
          a.outcome === 'refused' &&
          (a.detail as { code?: string }).code === 'MER_DISCLOSURE_RATE_LIMITED',
      ),
      JSON.stringify(audit),
    );
    const other = await post({ ...body, cohort: { criteria: [{ kind: 'sex', values: ['F'] }] } });
    assert.equal(other.statusCode, 200, 'another question is still admitted');

    const overBudget = await post({ ...body, dp: { mechanism: 'gaussian', epsilon: 0.8, delta: 1e-6 } });
    assert.equal(overBudget.statusCode, 409, overBudget.body);
    assert.equal(overBudget.json().error.code, 'MER_DP_BUDGET_EXHAUSTED');
    assert.match(overBudget.json().error.message, /ε 0\.5 of privacy budget left/);
    const badDp = await post({ ...body, dp: { mechanism: 'laplace', epsilon: -1 } });
    assert.equal(badDp.statusCode, 400, badDp.body);
  } finally {
    await hub?.close();
    await store.close();
    await fresh.cleanup();
  }
});
