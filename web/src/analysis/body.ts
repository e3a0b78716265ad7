/**
 * The analysis form's state and the request body it makes for each kind (POST /api/projects/:projectId/analyses):
 * the analysis variables (src/federation/dataset, one column per variable at each hospital) and the kind's
 * parameters (src/federation/analyses: GLM, Kaplan–Meier, Cox, descriptive, FedAvg). Defaults are the demo
 * consortium's two studies: diabetic complications (logistic GLM, FedAvg, descriptive) and lung-cancer survival
 * (Kaplan–Meier by sex, stratified Cox). `analysisProblems` names what the form still lacks. Pure.
 */
import type { AnalysisVariable } from '../../../src/federation/dataset/schema.ts';
import type { AnalysisKind } from '../api-types.ts';

/** The analysis kinds, in the order the form offers them. */
export const ANALYSIS_KINDS = ['descriptive', 'km', 'cox', 'glm', 'fedavg'] as const satisfies readonly AnalysisKind[];

/** GLM families. */
export const GLM_FAMILY_VALUES = ['binomial', 'gaussian', 'poisson'] as const;

/** An agreed survival grid: times 0, unitDays, …, maxDays. */
export interface GridDraft {
  unitDays: number;
  maxDays: number;
}

/** Parameters of a GLM as the form holds them. */
export interface GlmDraft {
  family: (typeof GLM_FAMILY_VALUES)[number];
  outcome: string;
  covariates: string[];
}

/** Parameters of a Kaplan–Meier as the form holds them. */
export interface KmDraft {
  time: string;
  group: string | null;
  levels: string[];
  grid: GridDraft;
}

/** Parameters of a Cox model as the form holds them. */
export interface CoxDraft {
  time: string;
  covariates: string[];
  stratified: boolean;
  ties: 'breslow' | 'efron';
  grid: GridDraft;
}

/** One numeric column of a descriptive analysis and its agreed histogram. */
export interface NumericDraft {
  column: string;
  min: number;
  max: number;
  bins: number;
}

/** Parameters of a descriptive analysis as the form holds them. */
export interface DescriptiveDraft {
  numeric: NumericDraft[];
  categorical: { column: string; levels: string[] }[];
}

/** Parameters of a FedAvg training as the form holds them. */
export interface FedAvgDraft {
  outcome: string;
  features: string[];
  model: 'logistic' | 'mlp';
  hidden: number;
  rounds: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
}

/** Each kind's parameter draft. */
export interface ParameterDrafts {
  descriptive: DescriptiveDraft;
  km: KmDraft;
  cox: CoxDraft;
  glm: GlmDraft;
  fedavg: FedAvgDraft;
}

/** Everything the form holds for one kind: the variables and the kind's parameters. */
export interface AnalysisDraft<K extends AnalysisKind = AnalysisKind> {
  kind: K;
  variables: AnalysisVariable[];
  parameters: ParameterDrafts[K];
}

/** The variables of the diabetic-complication study (HbA1c on the index day in %, age, BMI, sex, complication). */
export const COMPLICATION_VARIABLES: readonly AnalysisVariable[] = [
  {
    name: 'hba1c',
    kind: 'measurement',
    code: '4548-4',
    value: 'first',
    window: { start: 0, end: 0 },
    unit: '%',
    decimals: 1,
  },
  { name: 'age', kind: 'age' },
  { name: 'bmi', kind: 'measurement', code: '39156-5', value: 'first', window: { start: 0, end: 0 } },
  { name: 'female', kind: 'sex', level: 'F' },
  {
    name: 'complication',
    kind: 'condition',
    codes: ['E11.2', 'E11.3', 'E11.4'],
    descendants: true,
    window: { start: 0 },
  },
];

/** The variables of the lung-cancer survival study (overall survival, smoking, age, sex). */
export const SURVIVAL_VARIABLES: readonly AnalysisVariable[] = [
  { name: 'os', kind: 'survival', event: { kind: 'death' }, censor: 'last_visit' },
  { name: 'smoker', kind: 'observation', code: '72166-2', value: 'indicator', text: ['449868002', '8517006'] },
  { name: 'age', kind: 'age' },
  { name: 'sex', kind: 'sex' },
];

/** The default draft of a kind: the demo study it fits, with sensible parameters. */
export function defaultDraft<K extends AnalysisKind>(kind: K): AnalysisDraft<K> {
  const drafts: { [k in AnalysisKind]: AnalysisDraft<k> } = {
    glm: {
      kind: 'glm',
      variables: structuredClone([...COMPLICATION_VARIABLES]),
      parameters: { family: 'binomial', outcome: 'complication', covariates: ['hba1c', 'age', 'bmi', 'female'] },
    },
    fedavg: {
      kind: 'fedavg',
      variables: structuredClone([...COMPLICATION_VARIABLES]),
      parameters: {
        outcome: 'complication',
        features: ['hba1c', 'age', 'bmi', 'female'],
        model: 'logistic',
        hidden: 8,
        rounds: 10,
        epochs: 1,
        batchSize: 32,
        learningRate: 0.1,
      },
    },
    descriptive: {
      kind: 'descriptive',
      variables: structuredClone([
        ...COMPLICATION_VARIABLES.filter((v) => v.name !== 'female'),
        { name: 'sex', kind: 'sex' } as AnalysisVariable,
      ]),
      parameters: {
        numeric: [
          { column: 'hba1c', min: 4, max: 14, bins: 20 },
          { column: 'age', min: 20, max: 100, bins: 16 },
          { column: 'bmi', min: 15, max: 45, bins: 15 },
        ],
        categorical: [{ column: 'sex', levels: ['F', 'M'] }],
      },
    },
    km: {
      kind: 'km',
      variables: structuredClone([...SURVIVAL_VARIABLES]),
      parameters: { time: 'os', group: 'sex', levels: ['F', 'M'], grid: { unitDays: 30, maxDays: 1800 } },
    },
    cox: {
      kind: 'cox',
      variables: structuredClone([...SURVIVAL_VARIABLES]),
      parameters: {
        time: 'os',
        covariates: ['age', 'smoker'],
        stratified: true,
        ties: 'efron',
        grid: { unitDays: 30, maxDays: 1800 },
      },
    },
  };
  return drafts[kind] as AnalysisDraft<K>;
}

/** The columns a variable gives the analysis table (a survival variable gives two). */
export function variableColumns(v: AnalysisVariable): string[] {
  return v.kind === 'survival' ? [`${v.name}_time_days`, `${v.name}_event`] : [v.name];
}

/** The names of the survival variables (what KM and Cox take as `time`). */
export function survivalNames(variables: readonly AnalysisVariable[]): string[] {
  return variables.filter((v) => v.kind === 'survival').map((v) => v.name);
}

/** The columns usable as a covariate, outcome or feature: every column but the survival pairs. */
export function plainColumns(variables: readonly AnalysisVariable[]): string[] {
  return variables.filter((v) => v.kind !== 'survival').map((v) => v.name);
}

/** The variables and parameters a draft sends (the part of the route body the form builds). */
export interface AnalysisBodyCore {
  variables: AnalysisVariable[];
  parameters: Record<string, unknown>;
}

/** The variables and parameters of a draft, in the shapes of the federation's schemas. */
export function buildAnalysisBody(draft: AnalysisDraft): AnalysisBodyCore {
  const variables = structuredClone(draft.variables);
  switch (draft.kind) {
    case 'glm': {
      const p = draft.parameters as GlmDraft;
      return { variables, parameters: { family: p.family, outcome: p.outcome, covariates: [...p.covariates] } };
    }
    case 'km': {
      const p = draft.parameters as KmDraft;
      return {
        variables,
        parameters: {
          time: p.time,
          ...(p.group === null ? {} : { group: p.group, levels: [...p.levels] }),
          grid: { ...p.grid },
        },
      };
    }
    case 'cox': {
      const p = draft.parameters as CoxDraft;
      return {
        variables,
        parameters: {
          time: p.time,
          covariates: [...p.covariates],
          stratified: p.stratified,
          ties: p.ties,
          ...(p.stratified ? {} : { grid: { ...p.grid } }),
        },
      };
    }
    case 'descriptive': {
      const p = draft.parameters as DescriptiveDraft;
      return {
        variables,
        parameters: {
          numeric: p.numeric.map((n) => ({ column: n.column, histogram: { min: n.min, max: n.max, bins: n.bins } })),
          categorical: p.categorical.map((c) => ({ column: c.column, levels: [...c.levels] })),
        },
      };
    }
    case 'fedavg': {
      const p = draft.parameters as FedAvgDraft;
      return {
        variables,
        parameters: {
          outcome: p.outcome,
          features: [...p.features],
          model: p.model === 'mlp' ? { kind: 'mlp', hidden: p.hidden, activation: 'relu' } : { kind: 'logistic' },
          rounds: p.rounds,
          epochs: p.epochs,
          batchSize: p.batchSize,
          learningRate: p.learningRate,
        },
      };
    }
  }
}

/** What the form can still lack; the portal words each as `analysis.problem.<code>`. */
export const ANALYSIS_PROBLEM_CODES = [
  'noCohort',
  'noRequest',
  'kindNotApproved',
  'noHospitals',
  'tooFewHospitals',
  'noVariables',
  'badVariableName',
  'duplicateVariable',
  'variableIncomplete',
  'unknownColumn',
  'noOutcome',
  'noCovariates',
  'outcomeIsCovariate',
  'noSurvival',
  'gridInvalid',
  'levelsInvalid',
  'histogramInvalid',
  'nothingToDescribe',
  'trainingInvalid',
] as const;
/** One problem code of the analysis form. */
export type AnalysisProblemCode = (typeof ANALYSIS_PROBLEM_CODES)[number];

/** Names a variable may have (the dataset schema's rule). */
const VARIABLE_NAME = /^[a-z][a-z0-9_]{0,39}$/;
/** Most intervals of a survival grid. */
const GRID_BINS_MAX = 1_000;
/** Most histogram bins. */
const HISTOGRAM_BINS_MAX = 500;
/** Most levels of a Kaplan–Meier group. */
const KM_LEVELS_MAX = 9;

/** What the run needs besides the draft: a cohort, an approved request naming the kind, and its hospitals. */
export interface RunChoice {
  cohortId: string | null;
  request: { requestId: string; status: string; analysisKinds: readonly string[] } | null;
  hospitals: readonly string[];
}

/** The problems of a run before it is sent, in the form's order; empty when it can be sent. */
export function analysisProblems(draft: AnalysisDraft, choice: RunChoice): AnalysisProblemCode[] {
  const out = new Set<AnalysisProblemCode>();
  if (choice.cohortId === null) out.add('noCohort');
  if (choice.request === null) out.add('noRequest');
  else if (!choice.request.analysisKinds.includes(draft.kind)) out.add('kindNotApproved');
  if (choice.hospitals.length === 0) out.add('noHospitals');
  else if (choice.hospitals.length < 2 && draft.kind !== 'descriptive') out.add('tooFewHospitals');
  const vars = draft.variables;
  if (vars.length === 0) out.add('noVariables');
  const names = new Set<string>();
  for (const v of vars) {
    if (!VARIABLE_NAME.test(v.name)) out.add('badVariableName');
    if (names.has(v.name)) out.add('duplicateVariable');
    names.add(v.name);
    if (variableIncomplete(v)) out.add('variableIncomplete');
  }
  const plain = new Set(plainColumns(vars));
  const survival = new Set(survivalNames(vars));
  const known = (c: string) => plain.has(c);
  const gridOk = (g: GridDraft) =>
    Number.isInteger(g.unitDays) &&
    Number.isInteger(g.maxDays) &&
    g.unitDays >= 1 &&
    g.maxDays >= g.unitDays &&
    g.maxDays % g.unitDays === 0 &&
    g.maxDays / g.unitDays <= GRID_BINS_MAX;
  switch (draft.kind) {
    case 'glm': {
      const p = draft.parameters as GlmDraft;
      if (p.outcome === '') out.add('noOutcome');
      else if (!known(p.outcome)) out.add('unknownColumn');
      if (p.covariates.length === 0) out.add('noCovariates');
      if (p.covariates.some((c) => !known(c))) out.add('unknownColumn');
      if (p.covariates.includes(p.outcome)) out.add('outcomeIsCovariate');
      break;
    }
    case 'fedavg': {
      const p = draft.parameters as FedAvgDraft;
      if (p.outcome === '') out.add('noOutcome');
      else if (!known(p.outcome)) out.add('unknownColumn');
      if (p.features.length === 0) out.add('noCovariates');
      if (p.features.some((c) => !known(c))) out.add('unknownColumn');
      if (p.features.includes(p.outcome)) out.add('outcomeIsCovariate');
      const ints = [p.rounds, p.epochs, p.batchSize, p.hidden];
      if (ints.some((n) => !Number.isInteger(n) || n < 1) || !(p.learningRate > 0 && p.learningRate <= 10)) {
        out.add('trainingInvalid');
      }
      break;
    }
    case 'km': {
      const p = draft.parameters as KmDraft;
      if (!survival.has(p.time)) out.add('noSurvival');
      if (p.group !== null) {
        if (!known(p.group)) out.add('unknownColumn');
        if (p.levels.length < 2 || p.levels.length > KM_LEVELS_MAX || new Set(p.levels).size !== p.levels.length) {
          out.add('levelsInvalid');
        }
      }
      if (!gridOk(p.grid)) out.add('gridInvalid');
      break;
    }
    case 'cox': {
      const p = draft.parameters as CoxDraft;
      if (!survival.has(p.time)) out.add('noSurvival');
      if (p.covariates.length === 0) out.add('noCovariates');
      if (p.covariates.some((c) => !known(c))) out.add('unknownColumn');
      if (!p.stratified && !gridOk(p.grid)) out.add('gridInvalid');
      break;
    }
    case 'descriptive': {
      const p = draft.parameters as DescriptiveDraft;
      if (p.numeric.length + p.categorical.length === 0) out.add('nothingToDescribe');
      for (const n of p.numeric) {
        if (!known(n.column)) out.add('unknownColumn');
        if (!(n.max > n.min) || !Number.isInteger(n.bins) || n.bins < 1 || n.bins > HISTOGRAM_BINS_MAX) {
          out.add('histogramInvalid');
        }
      }
      for (const c of p.categorical) {
        if (!known(c.column)) out.add('unknownColumn');
        if (c.levels.length === 0) out.add('levelsInvalid');
      }
      break;
    }
  }
  return [...out];
}

/** True when a variable still lacks its codes (or an indicator its text values). */
function variableIncomplete(v: AnalysisVariable): boolean {
  switch (v.kind) {
    case 'condition':
    case 'drug':
    case 'procedure':
      return v.codes.length === 0;
    case 'measurement':
      return v.code === '';
    case 'observation':
      return v.code === '' || (v.value === 'indicator' && (v.text ?? []).length === 0);
    case 'survival':
      return v.event.kind === 'condition' && v.event.codes.length === 0;
    case 'age':
    case 'sex':
    case 'death':
      return false;
  }
}

/** The full body of POST /api/projects/:projectId/analyses. */
export interface RunAnalysisBody {
  kind: AnalysisKind;
  requestId: string;
  cohortId: string;
  hospitals: string[];
  /** The kind's route body without request, project, cohort and hospitals (those are the fields above). */
  body: AnalysisBodyCore;
}

/** The body of a run: the choice, and the draft's variables and parameters. */
export function runBody(
  draft: AnalysisDraft,
  choice: { requestId: string; cohortId: string; hospitals: readonly string[] },
): RunAnalysisBody {
  return {
    kind: draft.kind,
    requestId: choice.requestId,
    cohortId: choice.cohortId,
    hospitals: [...choice.hospitals],
    body: buildAnalysisBody(draft),
  };
}

/** The variable kinds, in the order the form offers them. */
export const VARIABLE_KINDS = [
  'age',
  'sex',
  'measurement',
  'condition',
  'drug',
  'procedure',
  'observation',
  'death',
  'survival',
] as const satisfies readonly AnalysisVariable['kind'][];

/** A new variable of a kind with the form's defaults (codes still to pick). */
export function newVariable(kind: (typeof VARIABLE_KINDS)[number], name: string): AnalysisVariable {
  switch (kind) {
    case 'age':
      return { name, kind };
    case 'sex':
      return { name, kind, level: 'F' };
    case 'measurement':
      return { name, kind, code: '', value: 'first', window: { start: 0, end: 0 } };
    case 'condition':
      return { name, kind, codes: [], descendants: true };
    case 'drug':
      return { name, kind, codes: [] };
    case 'procedure':
      return { name, kind, codes: [], descendants: true };
    case 'observation':
      return { name, kind, code: '', value: 'indicator', text: [] };
    case 'death':
      return { name, kind };
    case 'survival':
      return { name, kind, event: { kind: 'death' }, censor: 'last_visit' };
  }
}

/** A variable name not used yet: `<kind>`, then `<kind>_2`, `<kind>_3`, … */
export function freshVariableName(kind: string, variables: readonly AnalysisVariable[]): string {
  const used = new Set(variables.map((v) => v.name));
  if (!used.has(kind)) return kind;
  for (let i = 2; i <= variables.length + 2; i++) if (!used.has(`${kind}_${i}`)) return `${kind}_${i}`;
  return `${kind}_${variables.length + 3}`;
}
