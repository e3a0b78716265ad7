/**
 * The exact federated GLM across three hospital lakes, in process: the hub's driver (src/hub/federation/glm.ts)
 * calls each node's `federation.run` handler directly (the real task channel is covered by the integration test),
 * every node admits the task against an authorization equal to the task's own hash, builds its analysis table
 * from DWD and answers with pairwise-masked sums. Checks: coefficients and standard errors equal the pooled fit
 * of the same rows within 1e-8; the hub's inputs reveal no node's sums (a node's vector alone, or any proper
 * subset, decodes to garbage; only all of them decode to the true total); a node that answers with another key,
 * or a disclosive model, stops the fit with a clear error.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fitGlmPooled, type GlmData } from '../../src/analytics/index.ts';
import { isMeridianError } from '../../src/errors/registry.ts';
import { glmRunner, glmVectorLength } from '../../src/federation/analyses/glm.ts';
import { sumMaskedReals } from '../../src/federation/analyses/secure-vector.ts';
import { compileCohort, parseCohort } from '../../src/federation/cohort/index.ts';
import { compileDataset, designMatrix, parseVariables } from '../../src/federation/dataset/index.ts';
import { DEFAULT_NODE_POLICY, type FederationNodeDeps, runFederatedRound } from '../../src/federation/node.ts';
import {
  type FederatedTask,
  type FederationRun,
  parseFederatedTask,
  signNodeAnswer,
  taskHashOf,
} from '../../src/federation/protocol.ts';
import { runFederatedGlm } from '../../src/hub/federation/glm.ts';
import type { RoundDeps } from '../../src/hub/federation/rounds.ts';
import { type DwdTable, lakeColumns } from '../../src/model/dwd.ts';
import { type Lake, openLake } from '../../src/store/index.ts';

const HOSPITALS = ['hospital-a', 'hospital-b', 'hospital-c'];
const PERSONS = 400;

let dir: string;
const lakes = new Map<string, Lake>();
const identities = new Map(HOSPITALS.map((h) => [h, generateKeyPairSync('ed25519')]));

/** mulberry32: a small seeded generator, so the data are the same on every run. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function day(base: string, plus: number): string {
  return new Date(Date.parse(`${base}T00:00:00Z`) + plus * 86_400_000).toISOString().slice(0, 10);
}

/** One hospital's DWD: persons, a first E11 diagnosis for most, HbA1c on that day, complications by a logistic truth. */
function hospitalRows(h: number): Partial<Record<DwdTable, Record<string, unknown>[]>> {
  const rand = prng(1000 + h);
  const person: Record<string, unknown>[] = [];
  const condition: Record<string, unknown>[] = [];
  const measurement: Record<string, unknown>[] = [];
  for (let i = 0; i < PERSONS; i++) {
    const id = `${HOSPITALS[h]}-${i}`;
    const age = 35 + Math.floor(rand() * 45);
    const indexDay = Math.floor(rand() * 1500);
    const index = day('2018-01-01', indexDay);
    person.push({
      person_id: id,
      gender: rand() < 0.5 ? 'M' : 'F',
      birth_date: day('2018-01-01', indexDay - age * 366 - 20),
    });
    if (rand() < 0.15) continue;
    condition.push({ person_id: id, condition_code: 'E11.900', condition_date: index });
    const hba1c = Math.round((5 + rand() * 6 + h * 0.2) * 10) / 10;
    measurement.push({
      person_id: id,
      measurement_code: '4548-4',
      value: hba1c,
      unit: '%',
      measured_at: `${index}T02:00:00.000Z`,
    });
    const eta = -7 + 0.6 * hba1c + 0.03 * age;
    if (rand() < 1 / (1 + Math.exp(-eta))) {
      condition.push({
        person_id: id,
        condition_code: 'E11.200',
        condition_date: day(index, 30 + Math.floor(rand() * 300)),
      });
    }
  }
  return { person, condition_occurrence: condition, measurement };
}

const COHORT = { index: { event: { kind: 'diagnosis', codes: ['E11.9'], descendants: true } }, criteria: [] };
const VARIABLES = [
  { name: 'hba1c', kind: 'measurement', code: '4548-4', value: 'first', window: { start: 0, end: 0 } },
  { name: 'age', kind: 'age' },
  { name: 'complication', kind: 'condition', codes: ['E11.2'], descendants: true, window: { start: 0 } },
];

function glmTask(over: Record<string, unknown> = {}): FederatedTask {
  return parseFederatedTask({
    taskId: `task-${randomUUID()}`,
    requestId: 'req-1',
    projectId: 'proj-1',
    kind: 'glm',
    cohort: COHORT,
    variables: VARIABLES,
    parameters: { family: 'binomial', outcome: 'complication', covariates: ['hba1c', 'age'] },
    hospitals: HOSPITALS,
    user: { id: 'researcher-1', role: 'researcher' },
    issuedAt: '2026-11-25T00:00:00.000Z',
    ...over,
  });
}

function nodeDeps(node: string, minCell = 5): FederationNodeDeps {
  const lake = lakes.get(node) as Lake;
  return {
    node,
    signingKey: identities.get(node)?.privateKey as never,
    // Authorized exactly as issued: the ledger path is covered by the integration test.
    authority: {
      authorization: async (taskId) => ({ ...current, taskId, analysisKind: 'glm', status: 'authorized' }),
    },
    policy: DEFAULT_NODE_POLICY,
    runners: {
      glm: glmRunner({ lake, node, minCell, identityKey: async (n) => identities.get(n)?.publicKey }),
    },
  };
}

let current: { requestId: string; projectId: string; taskHash: string; hospitals: string[] };

/** The hub's round dependencies wired straight to the nodes' handlers, recording every answer the hub receives. */
function inProcess(
  deps: Map<string, FederationNodeDeps>,
  seen: { node: string; payload: FederationRun; answer: unknown }[],
): RoundDeps {
  return {
    call: async (node, payload) => {
      const answer = await runFederatedRound(deps.get(node) as FederationNodeDeps, payload);
      seen.push({ node, payload, answer });
      return answer;
    },
    nodeKey: async (node) => identities.get(node)?.publicKey,
  };
}

function authorize(task: FederatedTask): void {
  current = {
    requestId: task.requestId,
    projectId: task.projectId,
    taskHash: taskHashOf(task),
    hospitals: [...task.hospitals],
  };
}

async function pooledDesign(): Promise<{ perNode: GlmData[]; pooled: GlmData }> {
  const perNode: GlmData[] = [];
  for (const node of HOSPITALS) {
    const lake = lakes.get(node) as Lake;
    const present = new Set(await lake.tables());
    const q = compileDataset(compileCohort(parseCohort(COHORT), { present }), parseVariables(VARIABLES), { present });
    const d = designMatrix(await lake.query(q.sql, q.params), {
      outcome: 'complication',
      covariates: ['hba1c', 'age'],
      intercept: false,
    });
    perNode.push({ X: d.X, y: d.y, names: d.names });
  }
  return {
    perNode,
    pooled: {
      X: perNode.flatMap((d) => d.X as number[][]),
      y: perNode.flatMap((d) => d.y as number[]),
      names: ['hba1c', 'age'],
    },
  };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'meridian-fedglm-'));
  for (const [h, node] of HOSPITALS.entries()) {
    const lake = await openLake({ dir: join(dir, node) });
    for (const [table, rows] of Object.entries(hospitalRows(h)) as [DwdTable, Record<string, unknown>[]][]) {
      await lake.writeBatch({ table, batchId: randomUUID(), columns: lakeColumns(table), rows });
    }
    lakes.set(node, lake);
  }
});

after(async () => {
  for (const lake of lakes.values()) await lake.close();
  rmSync(dir, { recursive: true, force: true });
});

test('the federated logistic GLM equals the pooled fit within 1e-8, and the hub sees only masked vectors', async () => {
  const task = glmTask();
  authorize(task);
  const deps = new Map(HOSPITALS.map((h) => [h, nodeDeps(h)]));
  const seen: { node: string; payload: FederationRun; answer: unknown }[] = [];
  const fed = await runFederatedGlm(inProcess(deps, seen), task);
  const { perNode, pooled } = await pooledDesign();
  const ref = fitGlmPooled(pooled, { family: 'binomial' });
  assert.equal(fed.n, pooled.y.length);
  assert.equal(fed.result.coefficients.length, 3);
  fed.result.coefficients.forEach((c, i) => {
    const r = ref.coefficients[i];
    assert.ok(r, `coefficient ${i}`);
    assert.ok(Math.abs(c.estimate - r.estimate) <= 1e-8, `${c.name}: ${c.estimate} vs pooled ${r.estimate}`);
    assert.ok(
      Math.abs(c.standardError - r.standardError) <= 1e-8,
      `${c.name} SE: ${c.standardError} vs ${r.standardError}`,
    );
  });
  assert.ok(Math.abs(fed.result.deviance - ref.deviance) <= 1e-6);
  assert.ok(Math.abs(fed.result.nullDeviance - ref.nullDeviance) <= 1e-6);

  // What the hub received in the first data round: three masked vectors of the full design.
  const round1 = seen.filter((s) => s.payload.round === 1);
  assert.equal(round1.length, 3);
  const masked = round1.map((s) => (s.answer as { answer: { result: { masked: string[] } } }).answer.result.masked);
  const length = glmVectorLength(3);
  const total = sumMaskedReals(masked, length);
  const nTrue = perNode.reduce((s, d) => s + d.y.length, 0);
  assert.equal(Math.round(total[0] as number), nTrue, 'all three vectors decode to the true total n');
  for (let k = 0; k < 3; k++) {
    const alone = [masked[k] as string[]];
    const zeros = HOSPITALS.filter((_, j) => j !== k).map(() => new Array<string>(length * 2).fill('0'));
    const decoded = sumMaskedReals([...alone, ...zeros], length);
    const nK = perNode[k]?.y.length as number;
    assert.ok(
      Math.abs((decoded[0] as number) - nK) > 1e6,
      `node ${k}'s vector alone does not reveal its n (${decoded[0]})`,
    );
    const pair = masked.filter((_, j) => j !== k) as string[][];
    const pairDecoded = sumMaskedReals([...pair, new Array<string>(length * 2).fill('0')], length);
    assert.ok(
      Math.abs((pairDecoded[0] as number) - (nTrue - nK)) > 1e6,
      'two of three vectors do not reveal their sum',
    );
  }
  for (const s of round1) {
    const words = (s.answer as { answer: { result: { masked: string[] } } }).answer.result.masked;
    const highNibbles = new Map<string, number>();
    for (const w of words) {
      const nib = w.padStart(16, '0')[0] as string;
      highNibbles.set(nib, (highNibbles.get(nib) ?? 0) + 1);
    }
    assert.ok(highNibbles.size >= 8, `${s.node}'s masked words look uniform, not small fixed-point numbers`);
  }
});

test('a node refuses a round whose key set swaps its own key, and a disclosive model is refused at the node', async () => {
  const task = glmTask();
  authorize(task);
  const deps = new Map(HOSPITALS.map((h) => [h, nodeDeps(h)]));
  const keys: unknown[] = [];
  for (const node of HOSPITALS)
    keys.push(await runFederatedRound(deps.get(node) as FederationNodeDeps, { task, round: 0 }));
  // The hub swaps hospital-a's own key for another one hospital-a signed earlier: hospital-a notices.
  const otherOwn = await runFederatedRound(nodeDeps('hospital-a'), { task, round: 0 });
  await assert.rejects(
    runFederatedRound(deps.get('hospital-a') as FederationNodeDeps, {
      task,
      round: 1,
      input: { keys: [otherOwn, keys[1], keys[2]], beta: null, design: 'full' },
    }),
    (e: unknown) => isMeridianError(e, 'MER_FED_BAD_ANSWER') && /another key for hospital-a/.test(e.message),
  );
  // The hub forges hospital-b's key under a key of its own: the signature does not verify.
  const hubKey = generateKeyPairSync('ed25519');
  const forged = signNodeAnswer({
    task,
    node: 'hospital-b',
    round: 0,
    result: { publicKey: 'ab'.repeat(32) },
    privateKey: hubKey.privateKey,
  });
  await assert.rejects(
    runFederatedRound(deps.get('hospital-a') as FederationNodeDeps, {
      task,
      round: 1,
      input: { keys: [keys[0], forged, keys[2]], beta: null, design: 'full' },
    }),
    (e: unknown) => isMeridianError(e, 'MER_FED_BAD_ANSWER') && /signature/.test(e.message),
  );
  await assert.rejects(
    runFederatedRound(deps.get('hospital-a') as FederationNodeDeps, {
      task,
      round: 1,
      input: { keys: [keys[1], keys[2]], beta: null, design: 'full' },
    }),
    (e: unknown) => isMeridianError(e, 'MER_FED_BAD_ANSWER') && /lacks the keys of hospital-a/.test(e.message),
  );

  // A minimum cell above a category's size: the node refuses before computing anything.
  const strict = glmTask();
  authorize(strict);
  const strictDeps = new Map(HOSPITALS.map((h) => [h, nodeDeps(h, 1_000)]));
  await assert.rejects(
    runFederatedGlm(inProcess(strictDeps, []), strict),
    (e: unknown) =>
      isMeridianError(e, 'MER_FED_PARTIAL') &&
      /MER_DISCLOSURE_GLM_REFUSED/.test(e.message) &&
      !/\b\d+ rows\b|has \d+/.test(e.message),
  );
});
