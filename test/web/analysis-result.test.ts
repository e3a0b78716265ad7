import assert from 'node:assert/strict';
import { test } from 'node:test';
import { forestOption, kmOption } from '../../web/src/analysis/charts.ts';
import { csvField, toCsv } from '../../web/src/analysis/csv.ts';
import {
  atRiskAt,
  coxForest,
  glmForest,
  histogramBars,
  kmCurves,
  ledgerSteps,
  resultCsvRows,
  toAnalysisRecord,
} from '../../web/src/analysis/result-data.ts';
import type {
  AnalysisRecord,
  CountAnswer,
  CoxAnswer,
  DescriptiveAnswer,
  GlmAnswer,
  KmAnswer,
} from '../../web/src/api-types.ts';
import { countBarValue, countCsvRows, countRows } from '../../web/src/cohort/count-helpers.ts';
import { wrapText } from '../../web/src/report/report-canvas.ts';

const stamp = {
  taskId: 't1',
  taskHash: 'h'.repeat(64),
  authorizedAt: { txHash: 'a'.repeat(64), height: 10 },
  ledger: {
    receipts: {
      'hospital-b': { txHash: 'b'.repeat(64), height: 12 },
      'hospital-a': { txHash: 'c'.repeat(64), height: 11 },
    },
    release: { txHash: 'd'.repeat(64), height: 13, resultHash: 'e'.repeat(64) },
    unreleased: null,
  },
  rounds: 7,
  partial: false,
  missing: [],
  dropouts: [],
};

const coefficient = (name: string, estimate: number, se: number) => ({
  name,
  estimate,
  standardError: se,
  statistic: estimate / se,
  pValue: 0.01,
  lower: estimate - 1.96 * se,
  upper: estimate + 1.96 * se,
});

const glm: GlmAnswer = {
  ...stamp,
  n: 812,
  result: {
    family: 'binomial',
    coefficients: [
      coefficient('(Intercept)', -4, 0.5),
      coefficient('hba1c', Math.log(1.5), 0.1),
      coefficient('age', 0.02, 0.01),
    ],
  },
};

test('GLM forest rows are odds ratios with exp-transformed intervals, without the intercept', () => {
  const rows = glmForest(glm);
  assert.deepEqual(
    rows.map((r) => r.name),
    ['hba1c', 'age'],
  );
  assert.ok(Math.abs((rows[0]?.effect ?? 0) - 1.5) < 1e-12);
  assert.ok(Math.abs((rows[0]?.lower ?? 0) - Math.exp(Math.log(1.5) - 0.196)) < 1e-12);
  const gaussian = glmForest({ ...glm, result: { ...glm.result, family: 'gaussian' } });
  assert.equal(gaussian[1]?.effect, 0.02);
  const option = forestOption(rows, 'oddsRatio', 'Odds ratio');
  const x = option.xAxis as { type: string; min: number; max: number };
  assert.equal(x.type, 'log');
  assert.ok(x.min < Math.min(...rows.map((r) => r.lower)) && x.max > Math.max(...rows.map((r) => r.upper)));
  assert.equal((forestOption(gaussian, 'coefficient', 'β').xAxis as { type: string }).type, 'value');
});

test('Cox forest rows are the hazard ratios as released', () => {
  const cox = {
    ...stamp,
    stratified: true,
    result: {
      ties: 'efron',
      n: 300,
      events: 120,
      coefficients: [
        {
          name: 'smoker',
          estimate: 0.5,
          standardError: 0.1,
          z: 5,
          pValue: 0.001,
          hazardRatio: 1.65,
          lower: 1.35,
          upper: 2.0,
        },
      ],
    },
  } as CoxAnswer;
  assert.deepEqual(coxForest(cox), [{ name: 'smoker', effect: 1.65, lower: 1.35, upper: 2.0, pValue: 0.001 }]);
});

test('the ledger trail: authorization, receipts sorted by hospital, release', () => {
  assert.deepEqual(
    ledgerSteps(glm).map((s) => [s.step, s.hospital, s.height]),
    [
      ['authorize', null, 10],
      ['receipt', 'hospital-a', 11],
      ['receipt', 'hospital-b', 12],
      ['release', null, 13],
    ],
  );
  const unreleased = { ...glm, ledger: { ...glm.ledger, release: null, unreleased: 'MER_LEDGER_UNAVAILABLE' } };
  assert.deepEqual(ledgerSteps(unreleased).at(-1), {
    step: 'unreleased',
    hospital: null,
    txHash: null,
    height: null,
    note: 'MER_LEDGER_UNAVAILABLE',
  });
});

test('Kaplan–Meier: released curves only, numbers at risk from the last row at or before a time', () => {
  const km = {
    ...stamp,
    grid: { unitDays: 30, maxDays: 180 },
    minCell: 10,
    confidenceLevel: 0.95,
    curves: [
      {
        group: 'F',
        status: 'released',
        n: 100,
        rows: [
          {
            time: 30,
            atRisk: 100,
            events: 10,
            censored: 0,
            survival: 0.9,
            standardError: 0.03,
            lower: 0.84,
            upper: 0.96,
          },
          {
            time: 90,
            atRisk: 80,
            events: 8,
            censored: 2,
            survival: 0.81,
            standardError: 0.04,
            lower: null,
            upper: null,
          },
        ],
        tail: null,
        median: { time: null, lower: null, upper: null },
      },
      { group: 'M', status: 'withheld', n: { suppressed: true } },
    ],
    logRank: null,
    withheld: ['M'],
  } as KmAnswer;
  const curves = kmCurves(km);
  assert.deepEqual(
    curves.map((c) => c.group),
    ['F'],
  );
  const curve = curves[0];
  assert.ok(curve);
  assert.equal(atRiskAt(curve, 0), 100);
  assert.equal(atRiskAt(curve, 60), 100);
  assert.equal(atRiskAt(curve, 90), 80);
  assert.equal(atRiskAt(curve, 120), null);
  const option = kmOption(curves, { time: 'days', survival: 'S' }, 180);
  assert.equal((option.series as unknown[]).length, 3);
  const rows = resultCsvRows({
    analysisId: 'a1',
    cohortId: 'c1',
    requestId: 'r1',
    kind: 'km',
    status: 'done',
    result: km,
    createdBy: 'r',
    createdAt: '2026-01-01T00:00:00Z',
  });
  assert.deepEqual(rows.at(-1), ['M', '', '<10', '', '', '', '', '', '']);
});

test('descriptive results keep suppressed cells suppressed in bars and CSV', () => {
  const numeric: DescriptiveAnswer['numeric'][number] = {
    column: 'age',
    n: 120,
    missing: { suppressed: true },
    mean: 61.2,
    sd: 9.8,
    histogram: { edges: [20, 40, 60], below: 0, counts: [30, { suppressed: true }], above: 85 },
    quantiles: [{ q: 0.5, lower: 58, upper: 62, value: 60 }],
  };
  assert.deepEqual(histogramBars(numeric), [
    { label: '<20', count: 0 },
    { label: '20–40', count: 30 },
    { label: '40–60', count: null },
    { label: '>60', count: 85 },
  ]);
  const record: AnalysisRecord = {
    analysisId: 'a2',
    cohortId: 'c1',
    requestId: 'r1',
    kind: 'descriptive',
    status: 'done',
    result: { ...stamp, minCell: 5, rows: 120, numeric: [numeric], categorical: [] },
    createdBy: 'r',
    createdAt: '2026-01-01T00:00:00Z',
  };
  const csv = resultCsvRows(record);
  assert.deepEqual(
    csv.find((r) => r[1] === 'missing'),
    ['age', 'missing', '<5'],
  );
  assert.deepEqual(
    csv.find((r) => r[1] === 'bin 40–60'),
    ['age', 'bin 40–60', '<5'],
  );
});

test('a failed analysis exports its error; stored rows of other kinds are not drawn', () => {
  const failed = resultCsvRows({
    analysisId: 'a3',
    cohortId: 'c1',
    requestId: 'r1',
    kind: 'glm',
    status: 'failed',
    result: null,
    error: { code: 'MER_FED_DISCLOSURE', message: 'too few' },
    createdBy: 'r',
    createdAt: '2026-01-01T00:00:00Z',
  });
  assert.deepEqual(failed[1], ['a3', 'glm', 'failed', 'MER_FED_DISCLOSURE', 'too few']);
  const row = {
    analysisId: 'a4',
    cohortId: 'c1',
    requestId: 'r1',
    kind: 'count',
    status: 'done',
    result: {},
    error: null,
    hospitals: [],
    body: {},
    createdBy: 'r',
    createdAt: '2026-01-01T00:00:00Z',
  };
  assert.equal(toAnalysisRecord(row), null);
  assert.equal(toAnalysisRecord({ ...row, kind: 'glm', result: glm })?.kind, 'glm');
});

test('feasibility counts: suppressed under the minimum cell, missing with its reason', () => {
  const answer = {
    ...stamp,
    byHospital: [
      { hospital: 'hospital-a', status: 'answered', count: 120, disclosure: 'suppression' },
      { hospital: 'hospital-b', status: 'answered', count: { suppressed: true }, disclosure: 'suppression' },
      { hospital: 'hospital-c', status: 'missing', code: 'MER_NODE_UNAVAILABLE', message: 'down' },
    ],
    total: 120,
    suppressed: ['hospital-b'],
    missing: ['hospital-c'],
    partial: true,
    minCell: 10,
    unknownCodes: [],
    atMost: [],
    noisy: false,
  } as CountAnswer;
  const rows = countRows(answer);
  assert.deepEqual(
    rows.map((r) => [r.hospital, r.kind, r.value]),
    [
      ['hospital-a', 'exact', 120],
      ['hospital-b', 'suppressed', null],
      ['hospital-c', 'missing', null],
    ],
  );
  assert.deepEqual(rows[2]?.reason, { code: 'MER_NODE_UNAVAILABLE', message: 'down' });
  assert.equal(countBarValue(rows[1] as (typeof rows)[number], 10), 10);
  assert.deepEqual(countCsvRows(answer).slice(1), [
    ['hospital-a', 'exact', 120, ''],
    ['hospital-b', 'suppressed', '<10', ''],
    ['hospital-c', 'missing', '', 'MER_NODE_UNAVAILABLE'],
    ['total', 'partial', 120, ''],
  ]);
});

test('CSV: quoted where needed, formulas defused, BOM and CRLF', () => {
  assert.equal(csvField('a,b'), '"a,b"');
  assert.equal(csvField('say "hi"'), '"say ""hi"""');
  assert.equal(csvField('=cmd()'), "'=cmd()");
  assert.equal(csvField(-1.5), '-1.5');
  assert.equal(csvField(Number.NaN), '');
  assert.equal(
    toCsv([
      ['医院', 'n'],
      ['a', 1],
    ]),
    '\ufeff医院,n\r\na,1\r\n',
  );
});

test('report text wraps at spaces for Latin words and between Chinese characters', () => {
  const measure = (s: string) => s.length * 10;
  assert.deepEqual(wrapText(measure, 'one two three four', 90), ['one two', 'three', 'four']);
  assert.deepEqual(wrapText(measure, '逻辑回归分析报告', 40), ['逻辑回归', '分析报告']);
  assert.deepEqual(wrapText(measure, '', 40), ['']);
  for (const line of wrapText(measure, 'HbA1c 糖化血红蛋白 ≥ 7% in 2023', 60)) assert.ok(measure(line) <= 60, line);
});
