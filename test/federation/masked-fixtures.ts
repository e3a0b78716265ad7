/**
 * Three hospital lakes with synthetic lung-cancer survival data for the in-process tests of the masked analyses
 * (Kaplan–Meier, Cox, descriptive): persons with a first C34 diagnosis (the index), death by a proportional
 * hazard in sex and age, censoring at the last visit, HbA1c on the index day for most. The hub's drivers call
 * each node's `federation.run` handler directly (the real task channel is covered by the integration test);
 * every node admits a task against an authorization equal to the task's own hash.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MaskedRunnerDeps } from '../../src/federation/analyses/masked-runner.ts';
import { sumMaskedReals } from '../../src/federation/analyses/secure-vector.ts';
import { compileCohort, parseCohort } from '../../src/federation/cohort/index.ts';
import { compileDataset, parseVariables } from '../../src/federation/dataset/index.ts';
import {
  type AnalysisRunner,
  DEFAULT_NODE_POLICY,
  type FederationNodeDeps,
  runFederatedRun,
} from '../../src/federation/node.ts';
import {
  type AnalysisKind,
  type FederatedTask,
  type FederationRun,
  parseFederatedTask,
  taskHashOf,
} from '../../src/federation/protocol.ts';
import type { RoundDeps } from '../../src/hub/federation/rounds.ts';
import { type DwdTable, lakeColumns } from '../../src/model/dwd.ts';
import { type Lake, openLake } from '../../src/store/index.ts';

/** The three hospitals. */
export const HOSPITALS = ['hospital-a', 'hospital-b', 'hospital-c'];

/** The cohort: everybody with a lung-cancer diagnosis, indexed at the first one. */
export const COHORT = { index: { event: { kind: 'diagnosis', codes: ['C34'], descendants: true } }, criteria: [] };

/** The analysis variables: overall survival, sex (categorical and as a male indicator), age, HbA1c on the index day. */
export const VARIABLES = [
  { name: 'os', kind: 'survival', event: { kind: 'death' }, censor: 'last_visit' },
  { name: 'sex', kind: 'sex' },
  { name: 'male', kind: 'sex', level: 'M' },
  { name: 'age', kind: 'age' },
  { name: 'hba1c', kind: 'measurement', code: '4548-4', value: 'first', window: { start: 0, end: 0 } },
];

/** mulberry32: a small seeded generator, so the data are the same on every run. */
export function prng(seed: number): () => number {
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

/** One hospital's DWD: `persons` people, most with C34; death by an exponential hazard, or censoring at the last visit. */
function hospitalRows(h: number, persons: number): Partial<Record<DwdTable, Record<string, unknown>[]>> {
  const rand = prng(7000 + h);
  const rows: Record<'person' | 'condition_occurrence' | 'death' | 'visit_occurrence' | 'measurement', unknown[]> = {
    person: [],
    condition_occurrence: [],
    death: [],
    visit_occurrence: [],
    measurement: [],
  };
  for (let i = 0; i < persons; i++) {
    const id = `${HOSPITALS[h]}-${i}`;
    const male = rand() < 0.55;
    const age = 45 + Math.floor(rand() * 40);
    const indexDay = Math.floor(rand() * 1500);
    const index = day('2016-01-01', indexDay);
    rows.person.push({
      person_id: id,
      gender: male ? 'M' : 'F',
      birth_date: day('2016-01-01', indexDay - age * 366 - 20),
    });
    if (rand() < 0.1) continue;
    rows.condition_occurrence.push({ person_id: id, condition_code: 'C34.900', condition_date: index });
    const hazardPerDay = (0.35 / 365) * (male ? 1.6 : 1) * 1.3 ** ((age - 60) / 10) * (1 + 0.15 * h);
    const deathAfter = Math.max(1, Math.round(-Math.log(1 - rand()) / hazardPerDay));
    const lastVisit = 20 + Math.floor(rand() * 1800);
    rows.visit_occurrence.push(
      { visit_id: `${id}-v0`, person_id: id, visit_type: 'outpatient', start_date: index },
      {
        visit_id: `${id}-v1`,
        person_id: id,
        visit_type: 'outpatient',
        start_date: day(index, Math.min(lastVisit, deathAfter)),
      },
    );
    if (deathAfter <= lastVisit) rows.death.push({ person_id: id, death_date: day(index, deathAfter) });
    if (rand() < 0.8) {
      rows.measurement.push({
        person_id: id,
        measurement_code: '4548-4',
        value: Math.round((5 + rand() * 5 + h * 0.3) * 10) / 10,
        unit: '%',
        measured_at: `${index}T02:00:00.000Z`,
      });
    }
  }
  return rows as Partial<Record<DwdTable, Record<string, unknown>[]>>;
}

/** The test consortium: lakes, identities, authorizations, and the hub's round dependencies wired in process. */
export interface Consortium {
  readonly lakes: ReadonlyMap<string, Lake>;
  /** Builds a task of `kind` over the cohort and variables, and authorizes it exactly as issued. */
  task(kind: AnalysisKind, parameters: Record<string, unknown>, variables?: unknown): FederatedTask;
  /** A node's handler deps running `runner` for `kind` under `minCell`. */
  nodeDeps(
    node: string,
    kind: AnalysisKind,
    runner: (deps: MaskedRunnerDeps) => AnalysisRunner,
    minCell?: number,
  ): FederationNodeDeps;
  /** The hub's round deps calling the nodes' handlers directly, recording every answer the hub receives. */
  inProcess(
    deps: ReadonlyMap<string, FederationNodeDeps>,
    seen?: { node: string; payload: FederationRun; answer: unknown }[],
  ): RoundDeps;
  /** Every node's deps for `kind`. */
  allNodes(
    kind: AnalysisKind,
    runner: (deps: MaskedRunnerDeps) => AnalysisRunner,
    minCell?: number,
  ): Map<string, FederationNodeDeps>;
  /** A node's analysis table of `task`, as the node builds it (the pooled references read it). */
  rows(node: string, task: FederatedTask): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

/** Opens the three lakes with `persons` people each. */
export async function openConsortium(persons: number): Promise<Consortium> {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-masked-'));
  const lakes = new Map<string, Lake>();
  const identities = new Map(HOSPITALS.map((h) => [h, generateKeyPairSync('ed25519')]));
  const authorized = new Map<string, FederatedTask>();
  for (const [h, node] of HOSPITALS.entries()) {
    const lake = await openLake({ dir: join(dir, node) });
    for (const [table, rows] of Object.entries(hospitalRows(h, persons)) as [DwdTable, Record<string, unknown>[]][]) {
      if (rows.length > 0) await lake.writeBatch({ table, batchId: randomUUID(), columns: lakeColumns(table), rows });
    }
    lakes.set(node, lake);
  }
  const identityKey = async (n: string) => identities.get(n)?.publicKey;
  const nodeDeps: Consortium['nodeDeps'] = (node, kind, runner, minCell = 5) => ({
    node,
    signingKey: identities.get(node)?.privateKey as never,
    authority: {
      authorization: async (taskId) => {
        const task = authorized.get(taskId);
        return task === undefined
          ? undefined
          : {
              taskId,
              requestId: task.requestId,
              projectId: task.projectId,
              taskHash: taskHashOf(task),
              analysisKind: task.kind,
              hospitals: task.hospitals,
              status: 'authorized',
            };
      },
    },
    policy: DEFAULT_NODE_POLICY,
    runners: { [kind]: runner({ lake: lakes.get(node) as Lake, node, minCell, identityKey }) },
  });
  return {
    lakes,
    task(kind, parameters, variables = VARIABLES) {
      const task = parseFederatedTask({
        taskId: `task-${randomUUID()}`,
        requestId: 'req-1',
        projectId: 'proj-1',
        kind,
        cohort: COHORT,
        variables,
        parameters,
        hospitals: HOSPITALS,
        user: { id: 'researcher-1', role: 'researcher' },
        issuedAt: '2026-11-25T00:00:00.000Z',
      });
      authorized.set(task.taskId, task);
      return task;
    },
    nodeDeps,
    allNodes: (kind, runner, minCell) => new Map(HOSPITALS.map((h) => [h, nodeDeps(h, kind, runner, minCell)])),
    inProcess: (deps, seen) => ({
      call: async (node, payload) => {
        const answer = await runFederatedRun(deps.get(node) as FederationNodeDeps, payload);
        seen?.push({ node, payload, answer });
        return answer;
      },
      nodeKey: identityKey,
    }),
    async rows(node, task) {
      const lake = lakes.get(node) as Lake;
      const present = new Set(await lake.tables());
      const cohort = compileCohort(parseCohort(task.cohort), { present });
      const q = compileDataset(cohort, parseVariables(task.variables), { present });
      return lake.query<Record<string, unknown>>(q.sql, q.params);
    },
    async close() {
      for (const lake of lakes.values()) await lake.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The masked words of every answer the hub received in `round`, by node. */
export function maskedOf(
  seen: readonly { node: string; payload: FederationRun; answer: unknown }[],
  round: number,
): { node: string; masked: string[]; length: number }[] {
  return seen
    .filter((s) => s.payload.round === round)
    .map((s) => {
      const result = (s.answer as { answer: { result: { masked: string[]; length: number } } }).answer.result;
      return { node: s.node, masked: result.masked, length: result.length };
    });
}

/**
 * Checks what the hub received in one round: all vectors together decode to the sum of the nodes' true vectors
 * (within `tolerance`), while every proper subset — one node alone, or all but one — decodes to garbage far from
 * its true partial sum, and no node's words look like small fixed-point numbers.
 */
export function assertMaskedOnly(
  received: readonly { node: string; masked: string[]; length: number }[],
  truth: ReadonlyMap<string, readonly number[]>,
  tolerance: number,
): void {
  assert.equal(received.length, HOSPITALS.length);
  const length = received[0]?.length as number;
  const trueOf = (nodes: readonly string[]) =>
    Array.from({ length }, (_, i) => nodes.reduce((s, n) => s + ((truth.get(n)?.[i] as number) ?? Number.NaN), 0));
  const zeros = () => new Array<string>(length * 2).fill('0');
  const all = sumMaskedReals(
    received.map((r) => r.masked),
    length,
  );
  const expected = trueOf(HOSPITALS);
  all.forEach((v, i) => {
    assert.ok(Math.abs(v - (expected[i] as number)) <= tolerance, `value ${i}: ${v} vs ${expected[i]}`);
  });
  const subsets = [...HOSPITALS.map((h) => [h]), ...HOSPITALS.map((h) => HOSPITALS.filter((x) => x !== h))];
  for (const subset of subsets) {
    const vectors = received.map((r) => (subset.includes(r.node) ? r.masked : zeros()));
    const decoded = sumMaskedReals(vectors, length);
    const partial = trueOf(subset);
    const far = decoded.filter((v, i) => Math.abs(v - (partial[i] as number)) > 1e6).length;
    assert.ok(far >= 0.95 * length, `${subset.join('+')}: ${far} of ${length} values decode far from the truth`);
  }
  // A fixed-point word of a value below 2^40 units has its top 24 bits all 0 or all 1; a masked word, 2^−23 odds.
  const top = (1n << 24n) - 1n;
  for (const r of received) {
    const small = r.masked.filter((w) => {
      const high = BigInt(`0x${w}`) >> 40n;
      return high === 0n || high === top;
    }).length;
    assert.ok(small <= 1, `${r.node}: ${small} of ${r.masked.length} words look like small fixed-point numbers`);
  }
}
