/**
 * Secure aggregation that survives a hospital dropping out (src/hub/federation/masked-rounds.ts,
 * src/federation/analyses/dropout-recovery.ts), in process over the three real DuckDB lakes of masked-fixtures.ts
 * with the real node runners: the hub's caller loses a hospital's answers from the first data round on (as a
 * stopped node or a broken link would), nothing else is replaced. Checks: Kaplan–Meier, Cox and the GLM over the
 * two survivors equal the pooled computations over their rows and are marked partial, naming the dropout and why;
 * descriptive statistics with recovery and no dropout equal those without; a second dropout, too few survivors,
 * or a hospital that refuses (no dropout) fail with MER_FED_PARTIAL and release nothing; a hub that asks for
 * both kinds of shares of a peer, or for key shares of a peer that answered, is refused; and from everything an
 * honest run gives the hub, each survivor's vector stays masked.
 */
import assert from 'node:assert/strict';
import { createHash, type KeyObject } from 'node:crypto';
import { after, before, test } from 'node:test';
import {
  type CoxData,
  fitCoxPooled,
  fitGlmPooled,
  type GlmData,
  kaplanMeier,
  kmNodeCounts,
  logRankTest,
} from '../../src/analytics/index.ts';
import { isMeridianError, MeridianError } from '../../src/errors/registry.ts';
import { coxRunner } from '../../src/federation/analyses/cox.ts';
import { descriptiveRunner } from '../../src/federation/analyses/descriptive.ts';
import { RecoveryAnswerSchema, SetupAnswerSchema } from '../../src/federation/analyses/dropout-recovery.ts';
import { glmRunner } from '../../src/federation/analyses/glm.ts';
import { kmNodeVector, kmPlan, kmRunner } from '../../src/federation/analyses/km.ts';
import { KeyAnswerSchema } from '../../src/federation/analyses/masked-runner.ts';
import { decodeRealSum, parseMaskedWords } from '../../src/federation/analyses/secure-vector.ts';
import { designMatrix } from '../../src/federation/dataset/index.ts';
import { type FederationNodeDeps, runFederatedRound } from '../../src/federation/node.ts';
import { type FederatedTask, type FederationRun, taskHashOf } from '../../src/federation/protocol.ts';
import {
  fieldElementFromBytes,
  fieldElementToBytes,
  pairwiseMask,
  participantsDigest,
  privateKeyFromScalar,
  publicKeyFromRaw,
  selfMask,
  shamirCombine,
  sumMasked,
} from '../../src/federation/secure-agg/index.ts';
import { runFederatedCox } from '../../src/hub/federation/cox.ts';
import { runFederatedDescriptive } from '../../src/hub/federation/descriptive.ts';
import { runFederatedGlm } from '../../src/hub/federation/glm.ts';
import { runFederatedKm } from '../../src/hub/federation/km.ts';
import type { MaskedRoundDeps } from '../../src/hub/federation/masked-rounds.ts';
import type { RoundDeps } from '../../src/hub/federation/rounds.ts';
import { canonicalBytes } from '../../src/ledger/canonical-json.ts';
import { type Consortium, HOSPITALS, openConsortium } from './masked-fixtures.ts';

const GRID = { unitDays: 30, maxDays: 1800 };
const KM = { time: 'os', group: 'sex', grid: GRID };
const [A, B, C] = HOSPITALS as [string, string, string];
const SURVIVORS = [A, B];

type Seen = { node: string; payload: FederationRun; answer: unknown }[];

let consortium: Consortium;

before(async () => {
  consortium = await openConsortium(300);
});

after(async () => {
  await consortium.close();
});

/** The hub's round deps with recovery on, losing every answer of `drops` from the given protocol round on. */
function losing(base: RoundDeps, drops: ReadonlyMap<string, number>): MaskedRoundDeps {
  return {
    ...base,
    dropoutRecovery: true,
    call: async (node, payload, timeoutMs) => {
      const from = drops.get(node);
      if (from !== undefined && payload.round >= from && payload.round < 10_000) {
        throw new MeridianError('MER_NODE_UNAVAILABLE', `hospital node ${node} did not answer within ${timeoutMs} ms`);
      }
      return base.call(node, payload, timeoutMs);
    },
  };
}

const resultOf = (s: Seen[number]) => (s.answer as { answer: { result: unknown } }).answer.result;

/** The pooled Kaplan–Meier rows of `nodes`, binned on the grid by this test's own reading of the rule. */
async function pooledKm(task: FederatedTask, nodes: readonly string[]) {
  const time: number[] = [];
  const status: number[] = [];
  const group: string[] = [];
  for (const node of nodes) {
    for (const row of await consortium.rows(node, task)) {
      if (row.os_time_days === null || row.os_event === null || (row.sex !== 'F' && row.sex !== 'M')) continue;
      const binned = Math.ceil(Number(row.os_time_days) / GRID.unitDays) * GRID.unitDays;
      time.push(Math.min(binned, GRID.maxDays));
      status.push(binned > GRID.maxDays ? 0 : Number(row.os_event));
      group.push(row.sex as string);
    }
  }
  return kmNodeCounts({ time, status, group });
}

test('Kaplan–Meier: a hospital that stops answering in data round 2 is recovered; the curves equal the pooled ones of the two survivors and are marked partial', async () => {
  const task = consortium.task('km', KM);
  const seen: Seen = [];
  const deps = losing(consortium.inProcess(consortium.allNodes('km', kmRunner, 1), seen), new Map([[C, 2]]));
  const fed = await runFederatedKm(deps, task);
  assert.equal(fed.partial, true);
  assert.deepEqual(fed.missing, [C]);
  assert.equal(fed.dropouts.length, 1);
  assert.deepEqual(
    [fed.dropouts[0]?.hospital, fed.dropouts[0]?.round, fed.dropouts[0]?.code],
    [C, 2, 'MER_NODE_UNAVAILABLE'],
  );
  assert.match(fed.dropouts[0]?.message ?? '', /did not answer/);

  const counts = await pooledKm(task, SURVIVORS);
  const ref = kaplanMeier(counts);
  for (const want of ref.curves) {
    const got = fed.curves.find((c) => c.group === want.group);
    assert.ok(got?.status === 'released', `${want.group} is released`);
    assert.equal(got.n, want.n, `${want.group}: n of the survivors`);
    assert.equal(got.rows.length, want.rows.length);
    want.rows.forEach((w, i) => {
      const g = got.rows[i];
      assert.ok(g);
      assert.deepEqual([g.time, g.atRisk, g.events, g.censored], [w.time, w.atRisk, w.events, w.censored]);
      assert.ok(Math.abs(g.survival - w.survival) <= 1e-8, `${want.group} S(${w.time})`);
    });
  }
  assert.ok(fed.logRank && Math.abs(fed.logRank.chiSquare - logRankTest(counts).chiSquare) <= 1e-8);
  const all = kaplanMeier(await pooledKm(task, HOSPITALS));
  assert.notEqual(all.curves[0]?.n, ref.curves[0]?.n, 'the dropped hospital had rows of its own (the check can fail)');
  assert.deepEqual(
    seen
      .filter((s) => s.payload.round === 3)
      .map((s) => s.node)
      .sort(),
    SURVIVORS,
    'only the survivors were asked for shares',
  );
});

/** The pooled stratified Cox data of `nodes`. */
async function pooledCox(task: FederatedTask, nodes: readonly string[]): Promise<CoxData> {
  const data = { time: [] as number[], status: [] as number[], X: [] as number[][], strata: [] as string[] };
  for (const node of nodes) {
    const d = designMatrix(await consortium.rows(node, task), {
      outcome: 'os_time_days',
      event: 'os_event',
      covariates: ['male', { column: 'age', center: 60, scale: 10 }],
      intercept: false,
    });
    d.y.forEach((t, i) => {
      data.time.push(t);
      data.status.push(d.event?.[i] as number);
      data.X.push(d.X[i] as number[]);
      data.strata.push(node);
    });
  }
  return { ...data, names: ['male', 'age'] };
}

const COX = {
  time: 'os',
  covariates: ['male', { column: 'age', center: 60, scale: 10 }],
  stratified: true,
  ties: 'efron',
};

test('Cox: a hospital lost in the first data round is recovered and the Newton rounds go on over the survivors; a second dropout fails with MER_FED_PARTIAL', async () => {
  const task = consortium.task('cox', COX);
  const fed = await runFederatedCox(
    losing(consortium.inProcess(consortium.allNodes('cox', coxRunner)), new Map([[C, 2]])),
    task,
  );
  const ref = fitCoxPooled(await pooledCox(task, SURVIVORS), { ties: 'efron' });
  assert.equal(fed.partial, true);
  assert.deepEqual(fed.missing, [C]);
  assert.equal(fed.result.n, ref.n);
  fed.result.coefficients.forEach((c, j) => {
    const r = ref.coefficients[j];
    assert.ok(r && Math.abs(c.estimate - r.estimate) <= 1e-8, `${c.name}: ${c.estimate} vs ${r?.estimate}`);
    assert.ok(Math.abs(c.standardError - r.standardError) <= 1e-8, `${c.name} SE`);
  });

  const again = consortium.task('cox', COX);
  const seen: Seen = [];
  await assert.rejects(
    runFederatedCox(
      losing(
        consortium.inProcess(consortium.allNodes('cox', coxRunner), seen),
        new Map([
          [C, 2],
          [B, 5],
        ]),
      ),
      again,
    ),
    (e: unknown) =>
      isMeridianError(e, 'MER_FED_PARTIAL') && e.message.includes(B) && /nothing is released/.test(e.message),
  );
  assert.ok(
    seen.every((s) => s.payload.round < 5 || s.node !== A || !RecoveryAnswerSchema.safeParse(resultOf(s)).success),
    'no shares were asked for after the first recovery',
  );
});

test('GLM on the shared masked runner: a hospital lost in the first IRLS round is recovered; the fit equals the pooled fit of the survivors', async () => {
  const task = consortium.task('glm', { family: 'poisson', outcome: 'os_event', covariates: ['male', 'age'] });
  const fed = await runFederatedGlm(
    losing(consortium.inProcess(consortium.allNodes('glm', glmRunner)), new Map([[C, 2]])),
    task,
  );
  const pooled: GlmData = { X: [], y: [], names: ['male', 'age'] };
  for (const node of SURVIVORS) {
    const d = designMatrix(await consortium.rows(node, task), {
      outcome: 'os_event',
      covariates: ['male', 'age'],
      intercept: false,
    });
    (pooled.X as number[][]).push(...(d.X as number[][]));
    (pooled.y as number[]).push(...(d.y as number[]));
  }
  const ref = fitGlmPooled(pooled, { family: 'poisson' });
  assert.equal(fed.partial, true);
  assert.deepEqual(fed.missing, [C]);
  assert.equal(fed.n, pooled.y.length);
  assert.equal(fed.result.coefficients.length, 3);
  fed.result.coefficients.forEach((c, i) => {
    const r = ref.coefficients[i];
    assert.ok(r && Math.abs(c.estimate - r.estimate) <= 1e-8, `${c.name}: ${c.estimate} vs ${r?.estimate}`);
    assert.ok(Math.abs(c.standardError - r.standardError) <= 1e-8, `${c.name} SE`);
  });
});

test('too few survivors: two of three hospitals lost in the data round fail with MER_FED_PARTIAL, nothing asked or released', async () => {
  const task = consortium.task('km', KM);
  const seen: Seen = [];
  const deps = losing(
    consortium.inProcess(consortium.allNodes('km', kmRunner), seen),
    new Map([
      [B, 2],
      [C, 2],
    ]),
  );
  await assert.rejects(
    runFederatedKm(deps, task),
    (e: unknown) => isMeridianError(e, 'MER_FED_PARTIAL') && /fewer than the 2/.test(e.message),
  );
  assert.ok(!seen.some((s) => s.payload.round === 3), 'no recovery round was run');
});

test('a hospital that refuses (under its minimum cell) is no dropout: the analysis fails with MER_FED_PARTIAL naming the refusal', async () => {
  const task = consortium.task('km', KM);
  const seen: Seen = [];
  const nodes = new Map(HOSPITALS.map((h) => [h, consortium.nodeDeps(h, 'km', kmRunner, h === C ? 1_000 : 5)]));
  await assert.rejects(
    runFederatedKm(losing(consortium.inProcess(nodes, seen), new Map()), task),
    (e: unknown) =>
      isMeridianError(e, 'MER_FED_PARTIAL') && /hospital-c \(MER_DISCLOSURE_COHORT_TOO_SMALL/.test(e.message),
  );
  assert.ok(!seen.some((s) => s.payload.round === 3), 'no shares were asked for');
});

test('descriptive statistics with recovery and no dropout equal those without, and are not partial', async () => {
  const parameters = {
    numeric: [{ column: 'age', histogram: { min: 40, max: 90, bins: 10 } }],
    categorical: [{ column: 'sex', levels: ['F', 'M'] }],
    quantiles: [0.5],
  };
  const plain = await runFederatedDescriptive(
    consortium.inProcess(consortium.allNodes('descriptive', descriptiveRunner)),
    consortium.task('descriptive', parameters),
  );
  const seen: Seen = [];
  const recovered = await runFederatedDescriptive(
    losing(consortium.inProcess(consortium.allNodes('descriptive', descriptiveRunner), seen), new Map()),
    consortium.task('descriptive', parameters),
  );
  assert.equal(recovered.partial, false);
  assert.deepEqual(recovered.missing, []);
  const { partial: _p, missing: _m, dropouts: _d, ...a } = recovered;
  const { partial: _q, missing: _n, dropouts: _e, ...b } = plain;
  assert.deepEqual(a, b);
  assert.deepEqual([...new Set(seen.map((s) => s.payload.round))], [0, 1, 2, 3], 'keys, setup, data, unmasking');
});

/** Runs round 0 and the setup round of a KM task with recovery on every node; returns their signed answers. */
async function setUp(deps: ReadonlyMap<string, FederationNodeDeps>, task: FederatedTask) {
  const keys = [];
  for (const node of HOSPITALS) {
    keys.push(
      await runFederatedRound(deps.get(node) as FederationNodeDeps, { task, round: 0, input: { recovery: true } }),
    );
  }
  const setup = new Map<string, unknown>();
  for (const node of HOSPITALS) {
    setup.set(node, await runFederatedRound(deps.get(node) as FederationNodeDeps, { task, round: 1, input: { keys } }));
  }
  const boxesTo = (to: string) =>
    HOSPITALS.filter((h) => h !== to).map((from) => {
      const a = SetupAnswerSchema.parse((setup.get(from) as { answer: { result: unknown } }).answer.result);
      return { from, box: a.boxes.find((b) => b.to === to)?.box as string };
    });
  return { keys, boxesTo };
}

test('a hub that asks for both kinds of shares of a peer, for key shares of a peer that answered, or with too few survivors is refused', async () => {
  const task = consortium.task('km', KM);
  const deps = consortium.allNodes('km', kmRunner);
  const node = deps.get(A) as FederationNodeDeps;
  const { keys, boxesTo } = await setUp(deps, task);
  const data = await runFederatedRound(node, { task, round: 2, input: { keys, participants: HOSPITALS } });
  assert.ok(data.answer.result, 'the data round is answered');
  const ask = (round: number, survivors: string[], dropped: string[]) =>
    runFederatedRound(node, { task, round, input: { recover: { round: 2, survivors, dropped }, boxes: boxesTo(A) } });
  const refused = (rule: RegExp) => (e: unknown) =>
    isMeridianError(e, 'MER_SECAGG_RECOVERY_REFUSED') && rule.test(e.message);

  await assert.rejects(ask(3, [A], [B, C]), refused(/fewer than the threshold 2/));
  await assert.rejects(ask(3, [B, C], [A]), refused(/survivor/), 'it knows it answered itself');
  // An honest unmasking: everybody answered, so the hub gets shares of every seed and of no key.
  const honest = await ask(3, HOSPITALS, []);
  const shares = RecoveryAnswerSchema.parse(honest.answer.result);
  assert.deepEqual([shares.b.map((x) => x.of), shares.s], [HOSPITALS, []]);
  await assert.rejects(ask(3, [A, B], [C]), refused(/hospital-c's self-mask shares/), 'C answered: never its key');
  await assert.rejects(
    runFederatedRound(node, { task, round: 4, input: { keys, participants: [A, B] } }),
    refused(/expected/),
    'nor may the hub drop C from the next round without a recovery',
  );

  const other = consortium.task('km', KM);
  const fresh = await setUp(deps, other);
  await runFederatedRound(node, { task: other, round: 2, input: { keys: fresh.keys, participants: HOSPITALS } });
  const askOther = (survivors: string[], dropped: string[]) =>
    runFederatedRound(node, {
      task: other,
      round: 3,
      input: { recover: { round: 2, survivors, dropped }, boxes: fresh.boxesTo(A) },
    });
  const first = RecoveryAnswerSchema.parse((await askOther([A, B], [C])).answer.result);
  assert.deepEqual([first.b.map((x) => x.of), first.s.map((x) => x.of)], [SURVIVORS, [C]]);
  await assert.rejects(askOther([A, C], [B]), refused(/hospital-b's self-mask shares/), 'both kinds of B');
  await assert.rejects(askOther(HOSPITALS, []), refused(/hospital-c's key shares/), 'both kinds of C');
});

test('from everything an honest run with a dropout gives the hub, each survivor’s vector stays masked', async () => {
  const task = consortium.task('km', KM);
  const seen: Seen = [];
  await runFederatedKm(
    losing(consortium.inProcess(consortium.allNodes('km', kmRunner), seen), new Map([[C, 2]])),
    task,
  );
  const plan = kmPlan(task);
  const length = plan.length;
  const keyOf = new Map(
    seen.filter((s) => s.payload.round === 0).map((s) => [s.node, KeyAnswerSchema.parse(resultOf(s))] as const),
  );
  // What the hub can reconstruct from the recovery answers: the survivors' seeds and the dropped hospital's key.
  const recovery = seen
    .filter((s) => s.payload.round === 3)
    .map((s) => ({ node: s.node, ...RecoveryAnswerSchema.parse(resultOf(s)) }));
  assert.ok(
    recovery.every((r) => r.s.every((x) => x.of === C) && r.b.every((x) => x.of !== C)),
    'no key share of a survivor, no seed share of C',
  );
  const x = (node: string) => HOSPITALS.indexOf(node) + 1;
  const combine = (kind: 'b' | 's', of: string) =>
    shamirCombine(
      recovery.map((r) => ({
        x: x(r.node),
        y: fieldElementFromBytes(Buffer.from(r[kind].find((s) => s.of === of)?.share as string, 'hex')) as bigint,
      })),
      2,
    );
  const droppedKey: KeyObject = privateKeyFromScalar(combine('s', C));
  const dataRound = seen.filter((s) => s.payload.round === 2);
  const input = dataRound[0]?.payload.input;
  const labels = {
    roundId: `${taskHashOf(task)}/2`,
    context: `km/${createHash('sha256').update(canonicalBytes(input)).digest('hex')}`,
  };
  const participants = HOSPITALS.map((id) => ({
    id,
    publicKey: publicKeyFromRaw(Buffer.from(keyOf.get(id)?.publicKey as string, 'hex')),
  }));
  const digest = participantsDigest(participants);
  assert.deepEqual(dataRound.map((s) => s.node).sort(), SURVIVORS, 'the hub holds the survivors’ vectors only');
  const residuals: BigUint64Array[] = [];
  const truths: number[][] = [];
  for (const s of dataRound) {
    const words = parseMaskedWords((resultOf(s) as { masked: string[] }).masked, length, 0);
    // Strip all the hub can: the node's self-mask and its pair mask with the dropped hospital.
    const self = selfMask({ seed: fieldElementToBytes(combine('b', s.node)), ...labels, length: 2 * length });
    const pair = pairwiseMask({
      privateKey: droppedKey,
      peerPublicKey: participants.find((p) => p.id === s.node)?.publicKey as KeyObject,
      selfId: C,
      peerId: s.node,
      ...labels,
      participants: digest,
      length: 2 * length,
    });
    const residual = words.map((w, i) => w - (self[i] as bigint) - (s.node < C ? 1n : -1n) * (pair[i] as bigint));
    residuals.push(residual);
    const decoded = decodeRealSum(residual, length);
    const truth = kmNodeVector(await consortium.rows(s.node, task), plan).values;
    truths.push(truth);
    const far = decoded.filter((v, i) => Math.abs(v - (truth[i] as number)) > 1e6).length;
    assert.ok(far >= 0.95 * length, `${s.node}: ${far} of ${length} values still masked after all the hub can remove`);
  }
  // Together the two residuals are the survivors' sum in the clear: the stripping above is the hub's best.
  const pooled = decodeRealSum(sumMasked(residuals), length);
  pooled.forEach((v, i) => {
    const want = truths.reduce((sum, t) => sum + (t[i] as number), 0);
    assert.ok(Math.abs(v - want) <= 1e-9, `value ${i}: ${v} vs ${want}`);
  });
});
