/**
 * Federated Kaplan–Meier across three hospital lakes, in process (masked-fixtures.ts): curves grouped by sex on a
 * 30-day grid. Checks: with a minimum cell of 1 every grid time is released and the curves and the log-rank test
 * equal the pooled computation on the same binned rows within 1e-8; with a minimum cell of 5 every released count
 * is 0 or ≥ 5 and the curve equals the pooled Kaplan–Meier on the released intervals; the hub's inputs are masked
 * (one node's vector alone, or any proper subset, decodes to garbage); a node under the minimum cell refuses;
 * and, on random tables, the release rule's invariants hold.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { type KmCounts, kaplanMeier, kmNodeCounts, logRankTest } from '../../src/analytics/index.ts';
import { isMeridianError } from '../../src/errors/registry.ts';
import { kmNodeVector, kmPlan, kmRunner } from '../../src/federation/analyses/km.ts';
import { runFederatedRound } from '../../src/federation/node.ts';
import { type ReleasedKmCurve, releaseKm, runFederatedKm } from '../../src/hub/federation/km.ts';
import { assertMaskedOnly, type Consortium, HOSPITALS, maskedOf, openConsortium } from './masked-fixtures.ts';

const GRID = { unitDays: 30, maxDays: 1800 };
const PARAMETERS = { time: 'os', group: 'sex', grid: GRID };

let consortium: Consortium;

before(async () => {
  consortium = await openConsortium(300);
});

after(async () => {
  await consortium.close();
});

/** The pooled rows on the grid, binned by this test's own reading of the rule (⌈t/30⌉·30, censored beyond 1800). */
async function pooledRows(task: Parameters<Consortium['rows']>[1]) {
  const time: number[] = [];
  const status: number[] = [];
  const group: string[] = [];
  for (const node of HOSPITALS) {
    for (const row of await consortium.rows(node, task)) {
      if (row.os_time_days === null || row.os_event === null || (row.sex !== 'F' && row.sex !== 'M')) continue;
      const t = Number(row.os_time_days);
      const binned = Math.ceil(t / GRID.unitDays) * GRID.unitDays;
      time.push(Math.min(binned, GRID.maxDays));
      status.push(binned > GRID.maxDays ? 0 : Number(row.os_event));
      group.push(row.sex as string);
    }
  }
  return { time, status, group };
}

function released(curve: ReleasedKmCurve | undefined) {
  assert.ok(curve?.status === 'released', `curve ${curve?.group} is released`);
  return curve;
}

test('with a minimum cell of 1 the federated curves and log-rank test equal the pooled ones within 1e-8', async () => {
  const task = consortium.task('km', PARAMETERS);
  const fed = await runFederatedKm(consortium.inProcess(consortium.allNodes('km', kmRunner, 1)), task);
  const pooled = await pooledRows(task);
  const counts = kmNodeCounts(pooled);
  const ref = kaplanMeier(counts);
  assert.equal(fed.minCell, 1);
  assert.deepEqual(
    fed.curves.map((c) => c.group),
    ['F', 'M'],
  );
  for (const want of ref.curves) {
    const got = released(fed.curves.find((c) => c.group === want.group));
    assert.equal(got.n, want.n);
    assert.equal(got.tail, null);
    assert.equal(got.rows.length, want.rows.length, `${want.group}: every grid time with counts is a row`);
    want.rows.forEach((w, i) => {
      const g = got.rows[i];
      assert.ok(g);
      assert.deepEqual([g.time, g.atRisk, g.events, g.censored], [w.time, w.atRisk, w.events, w.censored]);
      assert.ok(Math.abs(g.survival - w.survival) <= 1e-8, `${want.group} S(${w.time})`);
      assert.ok(Math.abs((g.standardError ?? 0) - (w.standardError ?? 0)) <= 1e-8, `${want.group} SE(${w.time})`);
      assert.ok(Math.abs((g.lower ?? 0) - (w.lower ?? 0)) <= 1e-8 && Math.abs((g.upper ?? 0) - (w.upper ?? 0)) <= 1e-8);
    });
    assert.deepEqual(got.median, want.median);
  }
  const logRank = logRankTest(counts);
  assert.ok(fed.logRank, 'the log-rank test is released');
  assert.ok(
    Math.abs(fed.logRank.chiSquare - logRank.chiSquare) <= 1e-8,
    `${fed.logRank.chiSquare} vs ${logRank.chiSquare}`,
  );
  assert.equal(fed.logRank.df, 1);
  assert.ok(logRank.pValue < 0.05, `the planted sex effect shows (p = ${logRank.pValue})`);
});

test('with a minimum cell of 5 every released count is 0 or ≥ 5, the curve is the pooled one on the released intervals, and the hub sees only masked vectors', async () => {
  const task = consortium.task('km', PARAMETERS);
  const seen: Parameters<Consortium['inProcess']>[1] = [];
  const fed = await runFederatedKm(consortium.inProcess(consortium.allNodes('km', kmRunner, 5), seen), task);
  const pooled = await pooledRows(task);
  const fine = kmNodeCounts(pooled);
  let coarsened = 0;
  for (const g of fine.groups) {
    const got = released(fed.curves.find((c) => c.group === g.group));
    const n = g.events.reduce((s, v) => s + v, 0) + g.censored.reduce((s, v) => s + v, 0);
    assert.equal(got.n, n);
    for (const r of got.rows) {
      for (const v of [r.atRisk, r.events, r.censored]) assert.ok(v === 0 || v >= 5, `${g.group} at ${r.time}: ${v}`);
    }
    const ends = got.rows.map((r) => r.time);
    if (ends.length < g.time.length) coarsened++;
    // The pooled rows moved to the end of their released interval; the tail's leave at maxDays, censored.
    const time: number[] = [];
    const status: number[] = [];
    pooled.time.forEach((t, i) => {
      if (pooled.group[i] !== g.group) return;
      const end = ends.find((e) => e >= t);
      time.push(end ?? GRID.maxDays);
      status.push(end === undefined ? 0 : (pooled.status[i] as number));
    });
    const ref = kaplanMeier(kmNodeCounts({ time, status })).curves[0];
    assert.ok(ref);
    got.rows.forEach((r, i) => {
      const w = ref.rows[i];
      assert.ok(w && w.time === r.time && w.atRisk === r.atRisk && w.events === r.events, `${g.group} row ${i}`);
      assert.ok(Math.abs(r.survival - w.survival) <= 1e-8, `${g.group} S(${r.time}) ${r.survival} vs ${w.survival}`);
    });
    const left = n - got.rows.reduce((s, r) => s + r.events + r.censored, 0);
    assert.equal(got.tail?.atRisk ?? 0, left);
    if (got.tail) assert.ok(got.tail.atRisk >= 5);
  }
  assert.ok(coarsened > 0, 'the rule merged grid times somewhere (otherwise this test proves little)');

  const plan = kmPlan(task);
  const truth = new Map<string, number[]>();
  for (const node of HOSPITALS) truth.set(node, kmNodeVector(await consortium.rows(node, task), plan).values);
  assertMaskedOnly(maskedOf(seen, 1), truth, 1e-9);
});

test('a node answers one input under one set of masks: the same round with another input is masked afresh', async () => {
  const task = consortium.task('km', PARAMETERS);
  const deps = consortium.allNodes('km', kmRunner);
  const keys = [];
  for (const node of HOSPITALS) keys.push(await runFederatedRound(deps.get(node) as never, { task, round: 0 }));
  const a = deps.get('hospital-a') as never;
  const once = await runFederatedRound(a, { task, round: 1, input: { keys } });
  const again = await runFederatedRound(a, { task, round: 1, input: { keys } });
  const reordered = await runFederatedRound(a, { task, round: 1, input: { keys: [keys[1], keys[0], keys[2]] } });
  const words = (s: unknown) => (s as { answer: { result: { masked: string[] } } }).answer.result.masked;
  assert.deepEqual(words(again), words(once), 'the same input gives the same vector');
  const same = words(reordered).filter((w, i) => w === words(once)[i]).length;
  assert.ok(same <= 2, `another input gets unrelated masks (${same} equal words)`);
});

test('a hospital under the minimum cell refuses; bad parameters are refused naming the field', async () => {
  const task = consortium.task('km', PARAMETERS);
  await assert.rejects(
    runFederatedKm(consortium.inProcess(consortium.allNodes('km', kmRunner, 1_000)), task),
    (e: unknown) =>
      isMeridianError(e, 'MER_FED_PARTIAL') &&
      /MER_DISCLOSURE_COHORT_TOO_SMALL/.test(e.message) &&
      !/\d+ rows/.test(e.message),
  );
  const bad = (parameters: Record<string, unknown>, field: RegExp) =>
    assert.throws(
      () => kmPlan(consortium.task('km', parameters)),
      (e: unknown) => isMeridianError(e, 'MER_FED_INVALID_TASK') && field.test(e.message),
    );
  bad({ ...PARAMETERS, grid: { unitDays: 30, maxDays: 1801 } }, /parameters\.grid\.maxDays/);
  bad({ ...PARAMETERS, grid: { unitDays: 1, maxDays: 3000 } }, /parameters\.grid\.unitDays/);
  bad({ ...PARAMETERS, time: 'age' }, /parameters\.time: age is not a survival variable/);
  bad({ ...PARAMETERS, group: 'hba1c' }, /parameters\.levels/);
  bad({ ...PARAMETERS, group: 'nope' }, /parameters\.group: nope is not a column/);
  bad({ ...PARAMETERS, levels: ['F', 'F'] }, /parameters\.levels/);
});

test('the release rule on random tables: counts 0 or ≥ the minimum cell, a curve that only reads them, a complete tally', () => {
  const table = fc.array(fc.tuple(fc.nat(9), fc.nat(9)), { minLength: 0, maxLength: 40 });
  fc.assert(
    fc.property(fc.array(table, { minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 8 }), (groups, minCell) => {
      const counts: KmCounts = {
        groups: groups.map((rows, g) => {
          const kept = rows.map(([d, c], k) => ({ t: 30 * k, d, c })).filter((r) => r.d + r.c > 0);
          return {
            group: `g${g}`,
            time: kept.map((r) => r.t),
            events: kept.map((r) => r.d),
            censored: kept.map((r) => r.c),
          };
        }),
      };
      const out = releaseKm(counts, { minCell, grid: { unitDays: 30, maxDays: 1200 } });
      counts.groups.forEach((g, k) => {
        const curve = out.curves[k];
        const n = g.events.reduce((s, v) => s + v, 0) + g.censored.reduce((s, v) => s + v, 0);
        if (curve?.status === 'withheld') {
          assert.ok(n > 0 && n < minCell, `withheld only under the minimum cell (n = ${n})`);
          return;
        }
        assert.ok(curve);
        assert.equal(curve.n, n);
        assert.ok(n === 0 || n >= minCell, `released n = ${n}`);
        let atRisk = n;
        let survival = 1;
        for (const r of curve.rows) {
          for (const v of [r.atRisk, r.events, r.censored]) assert.ok(v === 0 || v >= minCell, `count ${v}`);
          assert.equal(r.atRisk, atRisk);
          survival *= 1 - r.events / r.atRisk;
          assert.ok(Math.abs(r.survival - survival) <= 1e-12);
          atRisk -= r.events + r.censored;
        }
        assert.equal(curve.tail?.atRisk ?? 0, atRisk);
        if (curve.tail) assert.ok(curve.tail.atRisk >= minCell);
      });
      if (out.logRank !== null) assert.ok(out.curves.every((c) => c.status === 'released'));
    }),
    { numRuns: 300 },
  );
});
