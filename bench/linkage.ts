/**
 * Master patient index linkage on generated data: three demo hospitals' persons (generated and loaded with
 * DEMO_MAPPINGS, cached under the temp directory), tokenized by each node, then linked (a) in memory by the
 * pure core (blocking + Fellegi–Sunter with EM + clustering) and (b) by the hub's LinkageService into PGlite,
 * in pages. Precision and recall are on record pairs against the manifest's ground-truth links.
 * Baseline in the same run: deterministic-only linkage (equal ID-number token) on the same tokens.
 *   npm run bench -- linkage            (BENCH_PATIENTS: local patients per hospital, default 7,500)
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { estimateModel, weightTable } from '../src/identity/fellegi-sunter.ts';
import { compareCandidates, type PlayRecord, resolveLinkage } from '../src/identity/linkage.ts';
import { readTokenPage, type TokenPage } from '../src/identity/node.ts';
import { IDENTITY_MIGRATIONS, type IdentityDatabase } from '../src/identity/schema.ts';
import { LinkageService } from '../src/identity/service.ts';
import { LinkageKey, type TokenRecord } from '../src/identity/tokens.ts';
import { openDatabase } from '../src/store/index.ts';
import { openDemoPersons } from '../test/identity/demo-persons.ts';
import { report } from './_report.ts';

const PATIENTS = Number(process.env.BENCH_PATIENTS ?? 7_500);
const PAGE = 5_000;
const key = new LinkageKey(Buffer.alloc(32, 42));

const t0 = performance.now();
const demo = await openDemoPersons({
  dir: join(tmpdir(), 'meridian-bench', `linkage-${PATIENTS}`),
  patients: PATIENTS,
  seed: 42,
});
process.stderr.write(`data ready in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);

const pages: TokenPage[] = [];
let t = performance.now();
for (const [hospital, lake] of demo.lakes) {
  let after: string | undefined;
  for (;;) {
    const page = await readTokenPage(
      { lake, key, hospital, decrypt: demo.decrypt.get(hospital) },
      { after, limit: PAGE },
    );
    pages.push(page);
    if (page.next === null) break;
    after = page.next;
  }
}
const tokenizeMs = performance.now() - t;
const records: TokenRecord[] = pages.flatMap((p) => p.records);

// Ground truth pairs.
const pair = (a: string, b: string) => (a < b ? `${a}|${b}` : `${b}|${a}`);
const truth = new Set<string>();
for (const g of demo.manifest.links) {
  const ids = g.records.map((r) => `${r.hospital}:${r.resourceId ?? r.patientId}`);
  for (let i = 0; i < ids.length; i++)
    for (let j = i + 1; j < ids.length; j++) truth.add(pair(ids[i] as string, ids[j] as string));
}
const present = new Set(records.map((r) => `${r.hospital}:${r.recordKey}`));
const truthLoadable = [...truth].filter((p) => p.split('|').every((id) => present.has(id))).length;

function score(clusterOf: Map<string, string | number>): { precision: number; recall: number; recallLoadable: number } {
  const members = new Map<string | number, string[]>();
  for (const [r, c] of clusterOf) members.set(c, [...(members.get(c) ?? []), r]);
  let tp = 0;
  let predicted = 0;
  for (const ids of members.values())
    for (let i = 0; i < ids.length; i++)
      for (let j = i + 1; j < ids.length; j++) {
        predicted++;
        if (truth.has(pair(ids[i] as string, ids[j] as string))) tp++;
      }
  return {
    precision: predicted === 0 ? 1 : tp / predicted,
    recall: tp / truth.size,
    recallLoadable: tp / truthLoadable,
  };
}

// (a) Pure core, in memory.
t = performance.now();
const play: PlayRecord[] = records.map((r) => ({
  recordId: `${r.hospital}:${r.recordKey}`,
  tokens: r.tokens,
  globalId: null,
  active: true,
}));
const compared = compareCandidates(play);
const model = estimateModel({
  candidateCounts: compared.candidateCounts,
  randomCounts: compared.randomCounts,
  records: play.length,
});
const plan = resolveLinkage({ records: play, pairs: compared.pairs, weights: weightTable(model) });
const coreMs = performance.now() - t;
const coreClusters = new Map<string, number>();
plan.newClusters.forEach((c, k) => {
  for (const i of c) coreClusters.set((play[i] as PlayRecord).recordId, k);
});
const core = score(coreClusters);

// Baseline: deterministic only (equal ID token).
t = performance.now();
const byId = new Map<string, number>();
const baseClusters = new Map<string, string | number>();
records.forEach((r, i) => {
  const id = `${r.hospital}:${r.recordKey}`;
  if (r.tokens.id === undefined) baseClusters.set(id, `solo-${i}`);
  else {
    if (!byId.has(r.tokens.id)) byId.set(r.tokens.id, i);
    baseClusters.set(id, byId.get(r.tokens.id) as number);
  }
});
const baseMs = performance.now() - t;
const base = score(baseClusters);

// (b) The hub service into PGlite, one batch per page.
const store = await openDatabase<IdentityDatabase>({ migrations: IDENTITY_MIGRATIONS });
const service = new LinkageService({ db: store.db, now: () => new Date('2026-05-01T08:00:00Z') });
t = performance.now();
for (const [i, p] of pages.entries()) await service.linkPage({ from: p.hospital, batchId: `b${i}`, page: p });
const serviceMs = performance.now() - t;
const serviceClusters = new Map<string, string>();
let afterId: string | undefined;
for (;;) {
  const rows = await service.assignments({ after: afterId, limit: 1000 });
  for (const r of rows) serviceClusters.set(r.recordId, r.globalId);
  if (rows.length < 1000) break;
  afterId = rows.at(-1)?.recordId;
}
const svc = score(serviceClusters);
const pendingReviews = (await service.reviews({ status: 'pending' })).length;
await store.close();
await demo.close();

const perMin = (ms: number) => Math.round((records.length / ms) * 60_000);
const sampledPairs = compared.randomCounts.reduce((a, b) => a + b, 0);
/** Pairs compared per second by the pure core: blocked candidates plus the pair sample for u. */
const pairsPerS = Math.round((compared.pairs.length + sampledPairs) / (coreMs / 1000));
const fmt = (x: number) => x.toFixed(4);
report(
  `Linkage: ${records.length} person records (3 hospitals × ${PATIENTS} patients), ${truth.size} true pairs (${truthLoadable} with both records loaded), ${compared.pairs.length} candidate pairs`,
  [
    {
      method: 'tokenize (node side, 3 lakes)',
      ms: Math.round(tokenizeMs),
      'records/min': perMin(tokenizeMs),
      precision: '',
      recall: '',
    },
    {
      method: 'FS + EM, in memory (pure core)',
      ms: Math.round(coreMs),
      'records/min': perMin(coreMs),
      precision: fmt(core.precision),
      recall: fmt(core.recall),
    },
    {
      method: 'LinkageService → PGlite, per page',
      ms: Math.round(serviceMs),
      'records/min': perMin(serviceMs),
      precision: fmt(svc.precision),
      recall: fmt(svc.recall),
    },
    {
      method: 'baseline: deterministic on ID only',
      ms: Math.round(baseMs),
      'records/min': perMin(baseMs),
      precision: fmt(base.precision),
      recall: fmt(base.recall),
    },
  ],
  {
    bench: 'linkage',
    records: records.length,
    true_pairs: truth.size,
    true_pairs_loadable: truthLoadable,
    candidate_pairs: compared.pairs.length,
    sampled_pairs_for_u: sampledPairs,
    precision: Number(fmt(core.precision)),
    recall: Number(fmt(core.recall)),
    recall_loadable: Number(fmt(core.recallLoadable)),
    pairs_per_s: pairsPerS,
    records_per_min: perMin(coreMs),
    tokenize_records_per_min: perMin(tokenizeMs),
    service: {
      precision: Number(fmt(svc.precision)),
      recall: Number(fmt(svc.recall)),
      records_per_min: perMin(serviceMs),
      pending_reviews: pendingReviews,
    },
    baseline_deterministic: { precision: Number(fmt(base.precision)), recall: Number(fmt(base.recall)) },
    recall_vs_baseline: Number((core.recall / base.recall).toFixed(3)),
    em: { iterations: model.iterations, prior: model.prior, lambda_candidates: model.lambdaCandidates },
  },
);
