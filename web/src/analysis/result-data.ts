/**
 * Pure readings of a federated analysis answer, shared by the result view, the CSV export and the PDF report:
 * forest-plot rows (odds / rate / hazard ratios with their confidence intervals), Kaplan–Meier curves and numbers
 * at risk, histograms, training curves, the ledger trail (authorization, one receipt per hospital, release), and
 * whether the result is partial. Suppressed counts stay suppressed: they are never turned into numbers.
 */
import type {
  AnalysisRecord,
  CoxAnswer,
  DescriptiveAnswer,
  FedAvgAnswer,
  GlmAnswer,
  KmAnswer,
  LedgerTrail,
} from '../api-types.ts';
import { ANALYSIS_KINDS } from './body.ts';

/** The intercept's name as the GLM prints it (not drawn on a forest plot). */
export const INTERCEPT = '(Intercept)';

/** One row of a forest plot: the effect on its natural scale and its confidence interval. */
export interface ForestRow {
  name: string;
  /** Odds, rate or hazard ratio (exp of the coefficient); the coefficient itself for a gaussian GLM. */
  effect: number;
  lower: number;
  upper: number;
  pValue: number;
}

/** What a forest plot's effects are: ratios on a log axis around 1, or differences on a linear axis around 0. */
export type EffectScale = 'oddsRatio' | 'rateRatio' | 'hazardRatio' | 'coefficient';

/** The family of a GLM answer (its passthrough result carries it; logistic when absent). */
export function glmFamily(answer: GlmAnswer): 'binomial' | 'gaussian' | 'poisson' {
  const family = (answer.result as { family?: unknown }).family;
  return family === 'gaussian' || family === 'poisson' ? family : 'binomial';
}

/** The effect scale of a GLM answer. */
export function glmScale(answer: GlmAnswer): EffectScale {
  const family = glmFamily(answer);
  return family === 'binomial' ? 'oddsRatio' : family === 'poisson' ? 'rateRatio' : 'coefficient';
}

/** The forest rows of a GLM: exp of each coefficient and its interval (except gaussian); no intercept. */
export function glmForest(answer: GlmAnswer): ForestRow[] {
  const ratio = glmScale(answer) !== 'coefficient';
  const f = (v: number) => (ratio ? Math.exp(v) : v);
  return answer.result.coefficients
    .filter((c) => c.name !== INTERCEPT)
    .map((c) => ({ name: c.name, effect: f(c.estimate), lower: f(c.lower), upper: f(c.upper), pValue: c.pValue }));
}

/** The forest rows of a Cox model: hazard ratios and their intervals (already on the ratio scale). */
export function coxForest(answer: CoxAnswer): ForestRow[] {
  return answer.result.coefficients.map((c) => ({
    name: c.name,
    effect: c.hazardRatio,
    lower: c.lower,
    upper: c.upper,
    pValue: c.pValue,
  }));
}

/** One released Kaplan–Meier curve as drawable points. */
export interface KmCurve {
  group: string;
  n: number;
  points: { time: number; survival: number; lower: number | null; upper: number | null; atRisk: number }[];
  median: { time: number | null; lower: number | null; upper: number | null };
  /** The time after which the curve is coarsened (counts under the minimum cell), if any. */
  tailAfter: number | null;
}

/** The released curves (withheld groups are listed by {@link KmAnswer.withheld}). */
export function kmCurves(answer: KmAnswer): KmCurve[] {
  const out: KmCurve[] = [];
  for (const c of answer.curves) {
    if (c.status !== 'released') continue;
    out.push({
      group: c.group,
      n: c.n,
      points: c.rows.map((r) => ({
        time: r.time,
        survival: r.survival,
        lower: r.lower,
        upper: r.upper,
        atRisk: r.atRisk,
      })),
      median: c.median,
      tailAfter: c.tail?.after ?? null,
    });
  }
  return out;
}

/** Times (days) at which the numbers-at-risk table is shown: about six even steps of the grid. */
export function atRiskTimes(answer: KmAnswer, steps = 6): number[] {
  const { unitDays, maxDays } = answer.grid;
  const bins = maxDays / unitDays;
  const every = Math.max(1, Math.round(bins / steps)) * unitDays;
  const times: number[] = [];
  for (let t = 0; t <= maxDays && times.length <= steps * 2; t += every) times.push(t);
  return times;
}

/** The number at risk of a curve at a time: from the last released row at or before it (null past the curve). */
export function atRiskAt(curve: KmCurve, time: number): number | null {
  let value: number | null = null;
  let last = -1;
  for (const p of curve.points) {
    if (p.time <= time && p.time >= last) {
      value = p.atRisk;
      last = p.time;
    }
  }
  const end = curve.points.at(-1)?.time ?? 0;
  return time > end ? null : (value ?? curve.n);
}

/** A released count as text: the number, or "<min" when suppressed. */
export function countText(value: number | { suppressed: true }, minCell: number): string {
  return typeof value === 'number' ? String(value) : `<${minCell}`;
}

/** A released quantile: its value, else the histogram bin it lies in ("6.5–7", "<4", ">14"), else a dash. */
export function quantileText(q: { value: number | null; lower: number | null; upper: number | null }): string {
  const f = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(2));
  if (q.value !== null) return f(q.value);
  if (q.lower !== null && q.upper !== null) return `${f(q.lower)}–${f(q.upper)}`;
  if (q.upper !== null) return `<${f(q.upper)}`;
  if (q.lower !== null) return `>${f(q.lower)}`;
  return '—';
}

/** One histogram's bars: labels and counts (suppressed bins are null). */
export function histogramBars(column: DescriptiveAnswer['numeric'][number]): { label: string; count: number | null }[] {
  const { edges, counts, below, above } = column.histogram;
  const fmt = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(1));
  const bars = counts.map((c, i) => ({
    label: `${fmt(edges[i] as number)}–${fmt(edges[i + 1] as number)}`,
    count: typeof c === 'number' ? c : null,
  }));
  return [
    { label: `<${fmt(edges[0] as number)}`, count: typeof below === 'number' ? below : null },
    ...bars,
    { label: `>${fmt(edges.at(-1) as number)}`, count: typeof above === 'number' ? above : null },
  ];
}

/** The per-round training history of a FedAvg answer. */
export function trainingHistory(answer: FedAvgAnswer) {
  return answer.history.map((h) => ({ round: h.round, trainLoss: h.trainLoss, loss: h.loss, auc: h.auc }));
}

/** One step of a task's trail on the ledger. */
export interface TrailStep {
  step: 'authorize' | 'receipt' | 'release' | 'unreleased';
  hospital: string | null;
  txHash: string | null;
  height: number | null;
  /** The result hash (release), or why it is not released. */
  note: string | null;
}

/** The ledger trail: the authorization, one receipt per hospital, then the release (or why there is none). */
export function ledgerSteps(answer: {
  authorizedAt: { txHash: string; height: number };
  ledger: LedgerTrail;
}): TrailStep[] {
  const steps: TrailStep[] = [
    {
      step: 'authorize',
      hospital: null,
      txHash: answer.authorizedAt.txHash,
      height: answer.authorizedAt.height,
      note: null,
    },
  ];
  for (const [hospital, tx] of Object.entries(answer.ledger.receipts).sort(([a], [b]) => a.localeCompare(b))) {
    steps.push({ step: 'receipt', hospital, txHash: tx.txHash, height: tx.height, note: null });
  }
  const { release, unreleased } = answer.ledger;
  if (release) {
    steps.push({
      step: 'release',
      hospital: null,
      txHash: release.txHash,
      height: release.height,
      note: release.resultHash,
    });
  } else {
    steps.push({ step: 'unreleased', hospital: null, txHash: null, height: null, note: unreleased });
  }
  return steps;
}

/** Whether a result covers every hospital: the missing ones and the dropouts with the round they left in. */
export interface Partiality {
  partial: boolean;
  missing: string[];
  dropouts: { hospital: string; round: number; code: string; message: string }[];
}

/** The partiality of any analysis answer. */
export function partialityOf(answer: Partiality): Partiality {
  return { partial: answer.partial, missing: [...answer.missing], dropouts: [...answer.dropouts] };
}

const r6 = (v: number | null | undefined): string | number =>
  v === null || v === undefined ? '' : Number.isFinite(v) ? Number(v.toPrecision(6)) : String(v);

/** The result as CSV rows (header first), one table per kind; suppressed values stay "<min". */
export function resultCsvRows(record: AnalysisRecord): (string | number)[][] {
  if (record.status === 'failed' || !record.result) {
    return [
      ['analysisId', 'kind', 'status', 'code', 'message'],
      [record.analysisId, record.kind, record.status, record.error?.code ?? '', record.error?.message ?? ''],
    ];
  }
  switch (record.kind) {
    case 'glm': {
      const a = record.result;
      const ratio = glmScale(a);
      const rows: (string | number)[][] = [
        [
          'term',
          'estimate',
          'std_error',
          'statistic',
          'p_value',
          'ci_lower',
          'ci_upper',
          ratio === 'coefficient' ? '' : ratio,
        ],
      ];
      for (const c of a.result.coefficients) {
        rows.push([
          c.name,
          r6(c.estimate),
          r6(c.standardError),
          r6(c.statistic),
          r6(c.pValue),
          r6(c.lower),
          r6(c.upper),
          ratio === 'coefficient' ? '' : r6(Math.exp(c.estimate)),
        ]);
      }
      return rows.map((r) => (ratio === 'coefficient' ? r.slice(0, 7) : r));
    }
    case 'cox':
      return [
        ['term', 'estimate', 'std_error', 'z', 'p_value', 'hazard_ratio', 'hr_lower', 'hr_upper'],
        ...record.result.result.coefficients.map((c) => [
          c.name,
          r6(c.estimate),
          r6(c.standardError),
          r6(c.z),
          r6(c.pValue),
          r6(c.hazardRatio),
          r6(c.lower),
          r6(c.upper),
        ]),
      ];
    case 'km': {
      const rows: (string | number)[][] = [
        ['group', 'time_days', 'at_risk', 'events', 'censored', 'survival', 'std_error', 'ci_lower', 'ci_upper'],
      ];
      for (const c of record.result.curves) {
        if (c.status !== 'released') {
          rows.push([c.group, '', `<${record.result.minCell}`, '', '', '', '', '', '']);
          continue;
        }
        for (const r of c.rows) {
          rows.push([
            c.group,
            r.time,
            r.atRisk,
            r.events,
            r.censored,
            r6(r.survival),
            r6(r.standardError),
            r6(r.lower),
            r6(r.upper),
          ]);
        }
      }
      return rows;
    }
    case 'descriptive': {
      const a = record.result;
      const rows: (string | number)[][] = [['variable', 'statistic', 'value']];
      rows.push(['(all)', 'rows', countText(a.rows, a.minCell)]);
      for (const n of a.numeric) {
        rows.push([n.column, 'n', countText(n.n, a.minCell)]);
        rows.push([n.column, 'missing', countText(n.missing, a.minCell)]);
        rows.push([n.column, 'mean', r6(n.mean)]);
        rows.push([n.column, 'sd', r6(n.sd)]);
        for (const q of n.quantiles) rows.push([n.column, `q${q.q}`, quantileText(q)]);
        for (const b of histogramBars(n)) rows.push([n.column, `bin ${b.label}`, b.count ?? `<${a.minCell}`]);
      }
      for (const c of a.categorical) {
        for (const l of c.levels) rows.push([c.column, l.level, countText(l.count, a.minCell)]);
        rows.push([c.column, '(other)', countText(c.other, a.minCell)]);
        rows.push([c.column, '(missing)', countText(c.missing, a.minCell)]);
      }
      return rows;
    }
    case 'fedavg':
      return [
        ['round', 'train_loss', 'loss', 'auc'],
        ...record.result.history.map((h) => [h.round, r6(h.trainLoss), r6(h.loss), r6(h.auc)]),
      ];
  }
}

/** Headline figures of an answer for the summary and the report: label keys and values. */
export function resultFacts(
  record: AnalysisRecord,
): { key: 'n' | 'rounds' | 'family' | 'events' | 'minCell' | 'logRank' | 'auc'; value: string }[] {
  if (!record.result) return [];
  const facts: { key: 'n' | 'rounds' | 'family' | 'events' | 'minCell' | 'logRank' | 'auc'; value: string }[] = [];
  switch (record.kind) {
    case 'glm':
      facts.push({ key: 'n', value: String(record.result.n) }, { key: 'family', value: glmFamily(record.result) });
      break;
    case 'cox':
      facts.push(
        { key: 'n', value: String(record.result.result.n) },
        { key: 'events', value: String(record.result.result.events) },
      );
      break;
    case 'km': {
      const lr = record.result.logRank;
      facts.push({ key: 'minCell', value: String(record.result.minCell) });
      if (lr)
        facts.push({
          key: 'logRank',
          value: `χ² = ${lr.chiSquare.toFixed(2)}, df = ${lr.df}, p = ${formatP(lr.pValue)}`,
        });
      break;
    }
    case 'descriptive':
      facts.push(
        { key: 'n', value: countText(record.result.rows, record.result.minCell) },
        { key: 'minCell', value: String(record.result.minCell) },
      );
      break;
    case 'fedavg': {
      const last = record.result.history.at(-1);
      facts.push({ key: 'n', value: String(record.result.n) });
      if (last?.auc !== null && last?.auc !== undefined) facts.push({ key: 'auc', value: last.auc.toFixed(3) });
      break;
    }
  }
  facts.push({ key: 'rounds', value: String(record.result.rounds) });
  return facts;
}

/** A p-value as researchers write it: 3 significant digits, "<0.001" below that. */
export function formatP(p: number): string {
  if (!Number.isFinite(p)) return String(p);
  return p < 0.001 ? '<0.001' : p.toFixed(3);
}

/** A ratio or coefficient with 2 decimals (3 significant digits when small). */
export function formatEffect(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) < 0.1 && v !== 0 ? v.toPrecision(2) : v.toFixed(2);
}

/** An analysis row as the project API stores it (kind a string, result unknown). */
export interface AnalysisRowLike {
  analysisId: string;
  cohortId: string;
  requestId: string;
  kind: string;
  status: string;
  result: unknown;
  error: { code: string; message: string } | null;
  hospitals: string[];
  body: Record<string, unknown>;
  createdBy: string;
  createdAt: string;
}

/** The typed record of a stored analysis, or null for a kind the result view does not draw (a count). */
export function toAnalysisRecord(row: AnalysisRowLike): AnalysisRecord | null {
  if (!(ANALYSIS_KINDS as readonly string[]).includes(row.kind)) return null;
  if (row.status !== 'done' && row.status !== 'failed') return null;
  return row as unknown as AnalysisRecord;
}
