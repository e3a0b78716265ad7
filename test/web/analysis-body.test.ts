import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CoxParametersSchema } from '../../src/federation/analyses/cox.ts';
import { DescriptiveParametersSchema } from '../../src/federation/analyses/descriptive.ts';
import { FedAvgParametersSchema } from '../../src/federation/analyses/fedavg.ts';
import { GlmParametersSchema } from '../../src/federation/analyses/glm.ts';
import { KmParametersSchema } from '../../src/federation/analyses/km.ts';
import { AnalysisVariablesSchema } from '../../src/federation/dataset/schema.ts';
import { AnalysisBodySchema, GlmBodySchema } from '../../src/hub/federation/routes.ts';
import {
  ANALYSIS_KINDS,
  ANALYSIS_PROBLEM_CODES,
  type AnalysisDraft,
  analysisProblems,
  buildAnalysisBody,
  type CoxDraft,
  defaultDraft,
  type GlmDraft,
  type KmDraft,
  type RunChoice,
  runBody,
} from '../../web/src/analysis/body.ts';
import { messages } from '../../web/src/i18n/messages.ts';

const PARAMETER_SCHEMAS = {
  glm: GlmParametersSchema,
  km: KmParametersSchema,
  cox: CoxParametersSchema,
  descriptive: DescriptiveParametersSchema,
  fedavg: FedAvgParametersSchema,
} as const;

const choice = (kind: string): RunChoice => ({
  cohortId: 'c1',
  request: { requestId: 'r1', status: 'approved', analysisKinds: [kind] },
  hospitals: ['hospital-a', 'hospital-b'],
});

test('every default draft builds variables and parameters the federation schemas accept', () => {
  for (const kind of ANALYSIS_KINDS) {
    const draft = defaultDraft(kind);
    assert.deepEqual(analysisProblems(draft, choice(kind)), [], kind);
    const core = buildAnalysisBody(draft);
    assert.ok(AnalysisVariablesSchema.safeParse(core.variables).success, `${kind} variables`);
    const parsed = PARAMETER_SCHEMAS[kind].safeParse(core.parameters);
    assert.ok(parsed.success, `${kind} parameters: ${JSON.stringify(parsed.error?.issues)}`);
    const run = runBody(draft, { requestId: 'r1', cohortId: 'c1', hospitals: ['hospital-a', 'hospital-b'] });
    const routeBody = {
      ...run.body,
      hospitals: run.hospitals,
      requestId: run.requestId,
      projectId: 'p1',
      cohort: { criteria: [] },
    };
    assert.deepEqual(Object.keys(run.body).sort(), ['parameters', 'variables']);
    const schema = kind === 'glm' ? GlmBodySchema : AnalysisBodySchema;
    assert.ok(schema.safeParse(routeBody).success, `${kind} route body`);
    assert.deepEqual(run.hospitals, ['hospital-a', 'hospital-b']);
  }
});

test('the defaults are the demo studies: logistic GLM of complications, KM by sex, stratified Cox', () => {
  const glm = buildAnalysisBody(defaultDraft('glm'));
  assert.deepEqual(glm.parameters, {
    family: 'binomial',
    outcome: 'complication',
    covariates: ['hba1c', 'age', 'bmi', 'female'],
  });
  assert.deepEqual(buildAnalysisBody(defaultDraft('km')).parameters, {
    time: 'os',
    group: 'sex',
    levels: ['F', 'M'],
    grid: { unitDays: 30, maxDays: 1800 },
  });
  assert.equal(buildAnalysisBody(defaultDraft('cox')).parameters.grid, undefined);
});

test('an unstratified Cox sends its grid; a KM without a group sends no levels', () => {
  const cox = defaultDraft('cox') as AnalysisDraft<'cox'>;
  const unstratified: AnalysisDraft = {
    ...cox,
    parameters: { ...cox.parameters, stratified: false } satisfies CoxDraft,
  };
  const p = buildAnalysisBody(unstratified).parameters;
  assert.deepEqual(p.grid, { unitDays: 30, maxDays: 1800 });
  assert.ok(CoxParametersSchema.safeParse(p).success);
  const km = defaultDraft('km') as AnalysisDraft<'km'>;
  const ungrouped: AnalysisDraft = { ...km, parameters: { ...km.parameters, group: null } satisfies KmDraft };
  const kp = buildAnalysisBody(ungrouped).parameters;
  assert.equal('levels' in kp, false);
  assert.ok(KmParametersSchema.safeParse(kp).success);
});

test('the form names what a run lacks', () => {
  const glm = defaultDraft('glm') as AnalysisDraft<'glm'>;
  const bad: AnalysisDraft = {
    ...glm,
    parameters: { ...glm.parameters, covariates: ['complication', 'nope'] } satisfies GlmDraft,
  };
  assert.deepEqual(analysisProblems(bad, choice('glm')), ['unknownColumn', 'outcomeIsCovariate']);
  assert.deepEqual(analysisProblems(glm, { cohortId: null, request: null, hospitals: ['hospital-a'] }), [
    'noCohort',
    'noRequest',
    'tooFewHospitals',
  ]);
  assert.deepEqual(analysisProblems(glm, choice('km')), ['kindNotApproved']);
  const km = defaultDraft('km') as AnalysisDraft<'km'>;
  const badGrid: AnalysisDraft = { ...km, parameters: { ...km.parameters, grid: { unitDays: 7, maxDays: 30 } } };
  assert.deepEqual(analysisProblems(badGrid, choice('km')), ['gridInvalid']);
  assert.equal(KmParametersSchema.safeParse(buildAnalysisBody(badGrid).parameters).success, false);
  const dup: AnalysisDraft = { ...km, variables: [...km.variables, { name: 'age', kind: 'age' }] };
  assert.deepEqual(analysisProblems(dup, choice('km')), ['duplicateVariable']);
  assert.equal(AnalysisVariablesSchema.safeParse(buildAnalysisBody(dup).variables).success, true);
});

test('every analysis problem is worded in both languages', () => {
  for (const code of ANALYSIS_PROBLEM_CODES) {
    const key = `analysis.problem.${code}` as keyof typeof messages.en;
    assert.ok(messages.en[key], `en ${key}`);
    assert.ok(messages['zh-CN'][key], `zh ${key}`);
  }
});
