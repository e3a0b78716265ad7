/**
 * Pure helpers of the quality dashboard: API paths, score colours, the order of the rules table, pass/fail
 * under a threshold being typed (the same rule as the node's engine, so the page answers before the node
 * does), and chart rows. No React and no I/O here, so they are unit-tested in test/web.
 */
import type { OverviewNode, QualityRun, RuleResultView } from '../api-types.ts';

/** The Kahn categories in the order the hub reports them. */
export const CATEGORY_KEYS = ['completeness', 'conformance', 'plausibility'] as const;
/** A Kahn category. */
export type CategoryKey = (typeof CATEGORY_KEYS)[number];

/** A score at or above this (percent of rules passing) is good. */
export const SCORE_GOOD_PCT = 90;
/** A score at or above this and below {@link SCORE_GOOD_PCT} needs attention; below it is poor. */
export const SCORE_FAIR_PCT = 70;

/** The path of a node's quality API, e.g. `qualityPath('hospital-a', 'runs', id)`. */
export function qualityPath(node: string, ...segments: readonly string[]): string {
  return ['/api/quality', node, ...segments].map((s, i) => (i === 0 ? s : encodeURIComponent(s))).join('/');
}

/** How a score reads: good, fair, poor, or none when no rule was checked. */
export function scoreLevel(score: number | null): 'good' | 'fair' | 'poor' | 'none' {
  if (score === null || !Number.isFinite(score)) return 'none';
  if (score >= SCORE_GOOD_PCT) return 'good';
  return score >= SCORE_FAIR_PCT ? 'fair' : 'poor';
}

/** The colour of a score level (antd's green, gold, red, grey). */
export function scoreColor(score: number | null): string {
  return { good: '#389e0d', fair: '#d48806', poor: '#cf1322', none: '#8c8c8c' }[scoreLevel(score)];
}

/** Pass/fail of stored counts under a threshold, exactly as the node evaluates it; null when nothing was checked. */
export function passedUnder(
  result: Pick<RuleResultView, 'status' | 'denominator' | 'pct'>,
  thresholdPct: number,
): boolean | null {
  if (result.status !== 'evaluated' || result.denominator === 0) return null;
  return result.pct <= thresholdPct;
}

const SEVERITY_RANK = { error: 0, warning: 1, info: 2 } as const;
const OUTCOME_RANK = (r: Pick<RuleResultView, 'passed' | 'status'>) =>
  r.passed === false ? 0 : r.status === 'error' ? 1 : r.passed === true ? 2 : 3;

/** The rules table's order: failing first (by severity, then failing share), then errors, passes, not applicable. */
export function worstFirst<T extends Pick<RuleResultView, 'passed' | 'status' | 'severity' | 'pct' | 'ruleId'>>(
  results: readonly T[],
): T[] {
  return [...results].sort(
    (a, b) =>
      OUTCOME_RANK(a) - OUTCOME_RANK(b) ||
      SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
      b.pct - a.pct ||
      (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0),
  );
}

/** The newest completed run of a list (newest first), or null. */
export function newestCompleted(runs: readonly QualityRun[]): QualityRun | null {
  return runs.find((r) => r.status === 'completed') ?? null;
}

/** Heatmap cells `[category index, node index, score]` of the nodes that have a run (null scores left out). */
export function heatmapCells(nodes: readonly OverviewNode[]): [number, number, number][] {
  const cells: [number, number, number][] = [];
  nodes.forEach((n, y) => {
    CATEGORY_KEYS.forEach((category, x) => {
      const score = n.categories.find((c) => c.category === category)?.score;
      if (typeof score === 'number') cells.push([x, y, score]);
    });
  });
  return cells;
}

/** How many rule-set versions the nodes with a run used: 1 means their scores compare rule for rule. */
export function ruleSetCount(nodes: readonly OverviewNode[]): number {
  return new Set(nodes.flatMap((n) => (n.run ? [n.run.ruleSetVersion] : []))).size;
}

/** A percentage with at most `digits` decimals and no trailing zeros, e.g. 12.5 → "12.5%", 100 → "100%". */
export function pctText(pct: number | null, digits = 1): string {
  if (pct === null || !Number.isFinite(pct)) return '—';
  const factor = 10 ** digits;
  return `${Math.round(pct * factor) / factor}%`;
}
