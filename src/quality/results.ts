/**
 * What a quality run produces, as Zod schemas (the JSON report and the hub's task answers use the same
 * shapes), and the pure evaluation of stored raw counts against the thresholds in force: pass/fail is never
 * stored, so a changed threshold applies to every past run without re-running any SQL.
 */
import { z } from 'zod';
import { CATEGORIES, COUNT_UNITS, type QualityRule, SEVERITIES, SUBCATEGORY_CATEGORY } from './rules.ts';

const SUBCATEGORIES = Object.keys(SUBCATEGORY_CATEGORY) as [keyof typeof SUBCATEGORY_CATEGORY];

/** The lineage of one failing row: enough to open the ODS file at the record. */
export const LineageSchema = z.strictObject({
  source_sha256: z.string().nullable(),
  source_position: z.string().nullable(),
  mapping_version: z.string().nullable(),
  load_id: z.string().nullable(),
});

/** One rule's result in one run, evaluated under the current threshold. */
export const RuleResultSchema = z.strictObject({
  ruleId: z.string(),
  category: z.enum(CATEGORIES),
  subcategory: z.enum(SUBCATEGORIES),
  table: z.string(),
  severity: z.enum(SEVERITIES),
  countBy: z.enum(COUNT_UNITS),
  description: z.strictObject({ zh: z.string(), en: z.string() }),
  status: z.enum(['evaluated', 'not_applicable', 'error']),
  failing: z.number().int().min(0),
  denominator: z.number().int().min(0),
  /** failing / denominator × 100; 0 when nothing was checked. */
  pct: z.number().min(0).max(100),
  thresholdPct: z.number().min(0).max(100),
  /** Null when the rule did not apply, could not run, or found no rows to check. */
  passed: z.boolean().nullable(),
  sample: z.array(LineageSchema),
  note: z.string().nullable(),
});
/** One rule's result. */
export type RuleResult = z.infer<typeof RuleResultSchema>;

/** A run as listed. */
export const RunSchema = z.strictObject({
  runId: z.string(),
  loadId: z.string().nullable(),
  ruleSetVersion: z.string(),
  asOf: z.string(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  status: z.enum(['running', 'completed', 'failed']),
  error: z.string().nullable(),
});
/** A run. */
export type RunInfo = z.infer<typeof RunSchema>;

/** Records refused at load for one reason (the loader's quarantine), as one run counted them. */
export const QuarantineCountSchema = z.strictObject({
  code: z.string(),
  table: z.string().nullable(),
  field: z.string().nullable(),
  /** For MAP_RANGE: which limit was broken ('min', 'max', or 'order' for a date before the one it follows). */
  bound: z.enum(['min', 'max', 'order']).nullable(),
  mappingVersion: z.string().nullable(),
  count: z.number().int().min(0),
});
/** Quarantine count for one reason. */
export type QuarantineCount = z.infer<typeof QuarantineCountSchema>;

/** One point of a rule's trend. */
export const TrendPointSchema = z.strictObject({
  runId: z.string(),
  loadId: z.string().nullable(),
  startedAt: z.string(),
  ruleSetVersion: z.string(),
  status: z.enum(['evaluated', 'not_applicable', 'error']),
  failing: z.number().int().min(0),
  denominator: z.number().int().min(0),
  pct: z.number().min(0).max(100),
  thresholdPct: z.number().min(0).max(100),
  passed: z.boolean().nullable(),
});
/** One point of a trend. */
export type TrendPoint = z.infer<typeof TrendPointSchema>;

/** A run with every rule's result and the quarantine counts. */
export interface RunResults {
  run: RunInfo;
  results: RuleResult[];
  quarantine: QuarantineCount[];
}

/** Pass/fail of raw counts under a threshold; pure. */
export function evaluate(
  raw: { status: RuleResult['status']; failing: number; denominator: number },
  thresholdPct: number,
): { pct: number; passed: boolean | null } {
  const pct = raw.denominator > 0 ? Math.min(100, (raw.failing / raw.denominator) * 100) : 0;
  if (raw.status !== 'evaluated' || raw.denominator === 0) return { pct, passed: null };
  return { pct, passed: pct <= thresholdPct };
}

/** The threshold in force: a steward's override, else the current rule's, else the rule as it was run. */
export function thresholdOf(
  ruleId: string,
  sources: {
    overrides: ReadonlyMap<string, number>;
    current: ReadonlyMap<string, QualityRule>;
    asRun?: QualityRule | undefined;
  },
): number {
  return sources.overrides.get(ruleId) ?? sources.current.get(ruleId)?.threshold ?? sources.asRun?.threshold ?? 0;
}

/** Counts of results by outcome. */
export interface OutcomeCounts {
  rules: number;
  passed: number;
  failed: number;
  notApplicable: number;
  errors: number;
  /** Share of checked rules that pass, in percent; null when no rule was checked. */
  score: number | null;
}

/** Tallies results by outcome; pure. */
export function tally(results: readonly RuleResult[]): OutcomeCounts {
  const c = { rules: results.length, passed: 0, failed: 0, notApplicable: 0, errors: 0 };
  for (const r of results) {
    if (r.status === 'error') c.errors++;
    else if (r.passed === null) c.notApplicable++;
    else if (r.passed) c.passed++;
    else c.failed++;
  }
  const checked = c.passed + c.failed;
  return { ...c, score: checked > 0 ? Math.round((c.passed / checked) * 1000) / 10 : null };
}

/** Failed rules, worst first: severity, then failing percentage, then id; pure. */
export function worstRules(results: readonly RuleResult[], limit: number): RuleResult[] {
  const rank = { error: 0, warning: 1, info: 2 } as const;
  return results
    .filter((r) => r.passed === false)
    .sort((a, b) => rank[a.severity] - rank[b.severity] || b.pct - a.pct || (a.ruleId < b.ruleId ? -1 : 1))
    .slice(0, Math.max(0, limit));
}
