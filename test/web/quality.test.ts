import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { OverviewNode, RuleResultView } from '../../web/src/api-types.ts';
import {
  heatmapCells,
  newestCompleted,
  passedUnder,
  pctText,
  qualityPath,
  ruleSetCount,
  scoreColor,
  scoreLevel,
  worstFirst,
} from '../../web/src/quality/quality-helpers.ts';

type Row = Pick<RuleResultView, 'ruleId' | 'passed' | 'status' | 'severity' | 'pct'>;
const row = (
  ruleId: string,
  passed: boolean | null,
  severity: Row['severity'],
  pct: number,
  status: Row['status'] = 'evaluated',
): Row => ({
  ruleId,
  passed,
  status,
  severity,
  pct,
});

function node(name: string, scores: Partial<Record<string, number | null>>, version: string | null): OverviewNode {
  return {
    node: name,
    displayName: name,
    state: version ? 'ok' : 'down',
    run: version
      ? { runId: `r-${name}`, loadId: null, startedAt: '2026-03-01T08:00:00Z', ruleSetVersion: version }
      : null,
    totals: null,
    categories: Object.entries(scores).map(([category, score]) => ({
      category: category as 'completeness',
      score: score ?? null,
      rules: 1,
      passed: 0,
      failed: 0,
      notApplicable: 0,
      errors: 0,
    })),
    error: null,
  };
}

test('pass/fail under a typed threshold follows the engine: at the threshold passes, nothing checked is null', () => {
  const r = { status: 'evaluated' as const, denominator: 40, pct: 12.5 };
  assert.equal(passedUnder(r, 12.5), true);
  assert.equal(passedUnder(r, 12.49), false);
  assert.equal(passedUnder(r, 0), false);
  assert.equal(passedUnder({ ...r, denominator: 0, pct: 0 }, 0), null);
  assert.equal(passedUnder({ ...r, status: 'not_applicable' }, 100), null);
  assert.equal(passedUnder({ ...r, status: 'error' }, 100), null);
});

test('the rules table puts failing rules first, by severity then share, then errors, passes and the rest', () => {
  const rows = [
    row('a.pass', true, 'error', 0),
    row('b.warn', false, 'warning', 80),
    row('c.err-small', false, 'error', 1),
    row('d.err-big', false, 'error', 40),
    row('e.na', null, 'error', 0, 'not_applicable'),
    row('f.broken', null, 'info', 0, 'error'),
  ];
  assert.deepEqual(
    worstFirst(rows).map((r) => r.ruleId),
    ['d.err-big', 'c.err-small', 'b.warn', 'f.broken', 'a.pass', 'e.na'],
  );
  assert.equal(rows[0]?.ruleId, 'a.pass', 'the input is left alone');
});

test('scores read as good, fair or poor with their colours; percentages print without noise', () => {
  assert.equal(scoreLevel(95), 'good');
  assert.equal(scoreLevel(90), 'good');
  assert.equal(scoreLevel(75), 'fair');
  assert.equal(scoreLevel(12), 'poor');
  assert.equal(scoreLevel(null), 'none');
  assert.equal(scoreColor(null), '#8c8c8c');
  assert.notEqual(scoreColor(95), scoreColor(50));
  assert.equal(pctText(12.5), '12.5%');
  assert.equal(pctText(100), '100%');
  assert.equal(pctText(33.3333, 2), '33.33%');
  assert.equal(pctText(null), '—');
});

test('heatmap cells, rule-set comparability, newest completed run and API paths', () => {
  const nodes = [
    node('hospital-a', { completeness: 100, conformance: 62.5, plausibility: null }, 'v1'),
    node('hospital-b', { completeness: 90, conformance: 100, plausibility: 80 }, 'v1'),
  ];
  assert.deepEqual(heatmapCells(nodes), [
    [0, 0, 100],
    [1, 0, 62.5],
    [0, 1, 90],
    [1, 1, 100],
    [2, 1, 80],
  ]);
  assert.equal(ruleSetCount(nodes), 1);
  assert.equal(ruleSetCount([...nodes, node('hospital-c', {}, 'v2'), node('hospital-d', {}, null)]), 2);
  const run = (runId: string, status: 'running' | 'completed' | 'failed') => ({
    runId,
    status,
    loadId: null,
    ruleSetVersion: 'v1',
    asOf: '2026-03-01',
    startedAt: '2026-03-01T08:00:00Z',
    finishedAt: null,
    error: null,
  });
  assert.equal(newestCompleted([run('r3', 'running'), run('r2', 'failed'), run('r1', 'completed')])?.runId, 'r1');
  assert.equal(newestCompleted([run('r3', 'running')]), null);
  assert.equal(
    qualityPath('hospital-a', 'runs', 'qr-1', 'rules', 'measurement.unit/x', 'sample'),
    '/api/quality/hospital-a/runs/qr-1/rules/measurement.unit%2Fx/sample',
  );
});
