/**
 * What the hub makes of a node's quality answers, as pure functions: tallies per Kahn category (the pass rate
 * of rules, as the Data Quality Dashboard scores), results without lineage for everyone, one run's point of a
 * category trend, and a report with its lineage taken out for anyone but the node's own steward.
 */
import type { QualityReport } from '../../quality/report.ts';
import { type RuleResult, tally } from '../../quality/results.ts';
import { CATEGORIES, type Category } from '../../quality/rules.ts';
import type { CategoryOutcome, CategoryTrendPoint, Outcome, RuleResultView, RunResultsResponse } from './schemas.ts';

/** Who is looking: the node's own steward sees notes of failed checks and lineage, everyone else counts only. */
export type Audience = 'steward' | 'counts';

/** Tallies of every result and of each category, in the order of {@link CATEGORIES}. */
export function outcomes(results: readonly RuleResult[]): { totals: Outcome; categories: CategoryOutcome[] } {
  return {
    totals: tally(results),
    categories: CATEGORIES.map((category) => ({ category, ...tally(results.filter((r) => r.category === category)) })),
  };
}

/**
 * One result without its lineage. The note of a check that failed to run is the database's own message,
 * which may quote a value, so only the node's steward reads it; why a rule did not apply is shown to all.
 */
export function resultView(result: RuleResult, audience: Audience): RuleResultView {
  const { sample, note, ...counts } = result;
  const shown = audience === 'steward' || result.status !== 'error' ? note : null;
  return { ...counts, note: shown, sampled: sample.length };
}

/** A run's answer as the hub passes it on: tallies and results without lineage. */
export function runResultsView(
  answer: {
    run: RunResultsResponse['run'];
    results: readonly RuleResult[];
    quarantine: RunResultsResponse['quarantine'];
  },
  audience: Audience,
): RunResultsResponse {
  return {
    run: answer.run,
    ...outcomes(answer.results),
    results: answer.results.map((r) => resultView(r, audience)),
    quarantine: answer.quarantine,
  };
}

/** One run's point of the category trend: the overall score and each category's. */
export function trendPoint(
  run: Pick<CategoryTrendPoint, 'runId' | 'loadId' | 'startedAt' | 'ruleSetVersion'>,
  results: readonly RuleResult[],
): CategoryTrendPoint {
  const { totals, categories } = outcomes(results);
  const byCategory = Object.fromEntries(categories.map((c) => [c.category, c.score])) as Record<
    Category,
    number | null
  >;
  return {
    runId: run.runId,
    loadId: run.loadId,
    startedAt: run.startedAt,
    ruleSetVersion: run.ruleSetVersion,
    score: totals.score,
    categories: byCategory,
  };
}

/** A report for its audience: everyone but the node's steward gets it without lineage and failure notes. */
export function reportFor(report: QualityReport, audience: Audience): QualityReport {
  if (audience === 'steward') return report;
  return {
    ...report,
    results: report.results.map((r) => ({ ...r, sample: [], note: r.status === 'error' ? null : r.note })),
  };
}
