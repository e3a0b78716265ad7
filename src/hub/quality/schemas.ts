/**
 * Shapes of the hub's quality API: route parameters, queries and bodies, the answers the nodes' `quality.*`
 * tasks give, and what the hub passes on. The node answers in the quality engine's own schemas
 * (src/quality/results.ts, report.ts); the hub parses every answer with them, then passes on counts, rule
 * definitions and scores to everyone and failing rows' lineage only to the node's own steward (its own route).
 * The portal imports the inferred types.
 */
import { z } from 'zod';
import { QualityReportSchema } from '../../quality/report.ts';
import {
  LineageSchema,
  QuarantineCountSchema,
  RuleResultSchema,
  RunSchema,
  TrendPointSchema,
} from '../../quality/results.ts';
import { CATEGORIES, QualityRuleSchema } from '../../quality/rules.ts';
import { NodeParamsSchema } from '../ingest/schemas.ts';

const count = z.number().int().nonnegative();
const pct = z.number().min(0).max(100);
const RUN_ID = z.string().regex(/^[\w-]{1,100}$/, 'a run id');
const RULE_ID = z.string().regex(/^[a-z][\w.-]{0,99}$/, 'a rule id');

/** Most runs a list or a trend covers. */
export const QUALITY_RUNS_MAX = 500;
/** Most runs a category trend covers: each is one `quality.results` call to the node. */
export const QUALITY_TREND_RUNS_MAX = 30;

/** Params of one run's routes. */
export const RunParamsSchema = NodeParamsSchema.extend({ runId: RUN_ID });

/** Params of one rule's failing rows in one run. */
export const SampleParamsSchema = RunParamsSchema.extend({ ruleId: RULE_ID });

/** Query of the run list. */
export const RunsQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(QUALITY_RUNS_MAX).optional(),
});

/** Query of the category trend: the newest `limit` completed runs. */
export const TrendQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(2).max(QUALITY_TREND_RUNS_MAX).optional(),
});

/** Query of a run's report. */
export const ReportQuerySchema = z.strictObject({
  format: z.enum(['json', 'html']).default('json'),
  lang: z.enum(['zh-CN', 'en']).default('zh-CN'),
});

/** Body of "run now": one load's rows, or the whole lake when absent. */
export const RunBodySchema = z.strictObject({
  loadId: z
    .string()
    .regex(/^[\w-]{1,128}$/, 'a load id')
    .optional(),
});

/** Body of a threshold change; the editor is the signed-in user, never the body. */
export const ThresholdBodySchema = z.strictObject({ ruleId: RULE_ID, thresholdPct: pct });

/** Body of a steward rule (the node validates it against the canonical model). */
export const RuleBodySchema = z.strictObject({ rule: z.record(z.string().max(100), z.unknown()) });

/** Pass/fail tallies of a set of results; `score` is the share of checked rules that pass, in percent. */
export const OutcomeSchema = z.object({
  rules: count,
  passed: count,
  failed: count,
  notApplicable: count,
  errors: count,
  score: pct.nullable(),
});

/** Tallies of one Kahn category. */
export const CategoryOutcomeSchema = OutcomeSchema.extend({ category: z.enum(CATEGORIES) });

/** One rule's result as everyone sees it: counts and threshold; `sampled` says how many failing rows can be drilled. */
export const RuleResultViewSchema = RuleResultSchema.omit({ sample: true }).extend({ sampled: count });

/** Answer of `quality.runs` (the node's). */
export const NodeRunsSchema = z.object({ runs: z.array(RunSchema).max(QUALITY_RUNS_MAX) });

/** Answer of `quality.results` (the node's). */
export const NodeResultsSchema = z.object({
  run: RunSchema,
  results: z.array(RuleResultSchema).max(1_000),
  quarantine: z.array(QuarantineCountSchema).max(1_000),
});

/** Answer of `quality.report` as JSON (the node's). */
export const NodeReportSchema = z.object({ format: z.literal('json'), report: QualityReportSchema });

/** Answer of the run list, newest first. */
export const RunsResponseSchema = NodeRunsSchema;

/** Answer of one run: every rule's result (no lineage), tallies overall and per category, quarantine counts. */
export const RunResultsResponseSchema = z.object({
  run: RunSchema,
  totals: OutcomeSchema,
  categories: z.array(CategoryOutcomeSchema),
  results: z.array(RuleResultViewSchema).max(1_000),
  quarantine: z.array(QuarantineCountSchema).max(1_000),
});

/** One run's point of the category trend. */
export const CategoryTrendPointSchema = z.object({
  runId: z.string(),
  loadId: z.string().nullable(),
  startedAt: z.string(),
  ruleSetVersion: z.string(),
  score: pct.nullable(),
  categories: z.record(z.enum(CATEGORIES), pct.nullable()),
});

/** Answer of the category trend, oldest first. */
export const TrendResponseSchema = z.object({ points: z.array(CategoryTrendPointSchema).max(QUALITY_TREND_RUNS_MAX) });

/** Answer of one rule's failing rows: where they came from, never their values (the node's own steward only). */
export const SampleResponseSchema = z.object({
  runId: z.string(),
  ruleId: z.string(),
  failing: count,
  sample: z.array(LineageSchema).max(100),
});

/** Answer of a report: the JSON document, or the self-contained HTML page as text. */
export const ReportResponseSchema = z.union([
  z.object({ format: z.literal('json'), report: QualityReportSchema }),
  z.object({ format: z.literal('html'), lang: z.enum(['zh-CN', 'en']), html: z.string() }),
]);

/** Answer of the rule list: the rule set in force and its version. */
export const RulesResponseSchema = z.object({
  rules: z.array(QualityRuleSchema).max(1_000),
  ruleSetVersion: z.string(),
});

/** Answer of "run now" (and of `quality.run`): what the run did, in brief. */
export const RunSummarySchema = z.object({
  runId: z.string(),
  loadId: z.string().nullable(),
  ruleSetVersion: z.string(),
  startedAt: z.string(),
  finishedAt: z.string(),
  rules: count,
  evaluated: count,
  notApplicable: count,
  errors: count,
  failed: count,
  quarantined: count,
});

/** Answer of a threshold change: the rule's trend re-evaluated from stored counts (no check re-run). */
export const ThresholdResponseSchema = z.object({
  ruleId: z.string(),
  thresholdPct: pct,
  trend: z.array(TrendPointSchema).max(QUALITY_RUNS_MAX),
});

/** Answer of a saved steward rule. */
export const SaveRuleResponseSchema = z.object({
  ruleId: z.string(),
  version: z.number().int().min(1),
  created: z.boolean(),
  ruleSetVersion: z.string(),
});

/** How one node stands in the consortium overview. */
export const OverviewStateSchema = z.enum(['ok', 'no-run', 'down', 'unavailable', 'failed']);

/** One node in the consortium overview: aggregates of its newest completed run, or why there are none. */
export const OverviewNodeSchema = z.object({
  node: z.string(),
  displayName: z.string(),
  state: OverviewStateSchema,
  run: RunSchema.pick({ runId: true, loadId: true, startedAt: true, ruleSetVersion: true }).nullable(),
  totals: OutcomeSchema.nullable(),
  categories: z.array(CategoryOutcomeSchema),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
});

/** Answer of the consortium overview. */
export const OverviewResponseSchema = z.object({
  categories: z.array(z.enum(CATEGORIES)),
  nodes: z.array(OverviewNodeSchema).max(1_000),
});

/** Tallies of results. */
export type Outcome = z.infer<typeof OutcomeSchema>;
/** Tallies of one category. */
export type CategoryOutcome = z.infer<typeof CategoryOutcomeSchema>;
/** A run as listed. */
export type QualityRun = z.infer<typeof RunSchema>;
/** One rule's result without lineage. */
export type RuleResultView = z.infer<typeof RuleResultViewSchema>;
/** The run list. */
export type QualityRunsResponse = z.infer<typeof RunsResponseSchema>;
/** One run's results. */
export type RunResultsResponse = z.infer<typeof RunResultsResponseSchema>;
/** One point of the category trend. */
export type CategoryTrendPoint = z.infer<typeof CategoryTrendPointSchema>;
/** The category trend. */
export type QualityTrendResponse = z.infer<typeof TrendResponseSchema>;
/** One rule's failing rows. */
export type SampleResponse = z.infer<typeof SampleResponseSchema>;
/** A report. */
export type ReportResponse = z.infer<typeof ReportResponseSchema>;
/** The rule list. */
export type QualityRulesResponse = z.infer<typeof RulesResponseSchema>;
/** What "run now" did. */
export type RunSummaryView = z.infer<typeof RunSummarySchema>;
/** The body of a threshold change. */
export type ThresholdBody = z.infer<typeof ThresholdBodySchema>;
/** The answer of a threshold change. */
export type ThresholdResponse = z.infer<typeof ThresholdResponseSchema>;
/** The answer of a saved rule. */
export type SaveRuleResponse = z.infer<typeof SaveRuleResponseSchema>;
/** A node's state in the overview. */
export type OverviewState = z.infer<typeof OverviewStateSchema>;
/** One node in the overview. */
export type OverviewNode = z.infer<typeof OverviewNodeSchema>;
/** The consortium overview. */
export type QualityOverviewResponse = z.infer<typeof OverviewResponseSchema>;
