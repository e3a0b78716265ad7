/**
 * The quality report as JSON: one Zod schema describes it (the portal and any consumer validate against the
 * same schema), built by a pure function from a run's results and the trends of its failing rules. A run with a
 * load id is a per-load report; an on-demand run over the whole lake is the node's report.
 */
import { z } from 'zod';
import {
  QuarantineCountSchema,
  RuleResultSchema,
  type RunResults,
  RunSchema,
  type TrendPoint,
  TrendPointSchema,
  tally,
  worstRules,
} from './results.ts';
import { CATEGORIES } from './rules.ts';

/** Version of the report layout. */
export const REPORT_SCHEMA = 'meridian-quality-report/1';
/** Most rules listed as the worst. */
export const WORST_RULES_MAX = 10;

/** Languages a report is rendered in. */
export const REPORT_LANGUAGES = ['zh-CN', 'en'] as const;
/** A report language. */
export type ReportLanguage = (typeof REPORT_LANGUAGES)[number];

const OutcomeSchema = z.strictObject({
  rules: z.number().int().min(0),
  passed: z.number().int().min(0),
  failed: z.number().int().min(0),
  notApplicable: z.number().int().min(0),
  errors: z.number().int().min(0),
  score: z.number().min(0).max(100).nullable(),
});

/** The JSON quality report. */
export const QualityReportSchema = z.strictObject({
  schema: z.literal(REPORT_SCHEMA),
  node: z.string().nullable(),
  scope: z.enum(['node', 'load']),
  run: RunSchema,
  ruleSetVersion: z.string(),
  totals: OutcomeSchema,
  categories: z.array(OutcomeSchema.extend({ category: z.enum(CATEGORIES) })),
  worst: z.array(z.string()).max(WORST_RULES_MAX),
  results: z.array(RuleResultSchema),
  quarantine: z.strictObject({ total: z.number().int().min(0), byReason: z.array(QuarantineCountSchema) }),
  trends: z.array(z.strictObject({ ruleId: z.string(), points: z.array(TrendPointSchema) })),
});
/** The JSON quality report. */
export type QualityReport = z.infer<typeof QualityReportSchema>;

/** Builds the report of a run; pure. */
export function buildReport(input: {
  node: string | null;
  results: RunResults;
  trends: Readonly<Record<string, readonly TrendPoint[]>>;
}): QualityReport {
  const { run, results, quarantine } = input.results;
  return {
    schema: REPORT_SCHEMA,
    node: input.node,
    scope: run.loadId === null ? 'node' : 'load',
    run,
    ruleSetVersion: run.ruleSetVersion,
    totals: tally(results),
    categories: CATEGORIES.map((category) => ({
      category,
      ...tally(results.filter((r) => r.category === category)),
    })),
    worst: worstRules(results, WORST_RULES_MAX).map((r) => r.ruleId),
    results,
    quarantine: { total: quarantine.reduce((n, g) => n + g.count, 0), byReason: quarantine },
    trends: Object.entries(input.trends).map(([ruleId, points]) => ({ ruleId, points: [...points] })),
  };
}
