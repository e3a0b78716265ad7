/**
 * The hub's side of federated Cox regression, exact across hospitals: a key round; a center round whose masked
 * column sums give the pooled covariate means (the agreed center); then Newton rounds driven by the analytics
 * core — `coxHubStart`, `coxHubStep` on each round's summed evaluation, `coxSummary` — as R's coxph iterates.
 * Stratified by hospital, a round's sum is the pooled stratified log-likelihood, score and information; unstratified,
 * it is the pooled risk-set sums at every time of the agreed grid, which `coxRiskSetCombine` turns into the pooled
 * partial likelihood of the binned times. Either way the fit equals the pooled fit of the same rows.
 *
 *   round 0   keys
 *   round 1   { step: 'center' } ──► Σ [n, events, Σx] ──► center = Σx / n
 *   round r   { step: 'newton', center, β } ──► Σ evaluation | Σ risk-set sums ──► coxHubStep ──► β' … done
 */
import {
  type CoxEvaluation,
  type CoxHubState,
  type CoxResult,
  type CoxRiskSetStep,
  coxCenter,
  coxHubStart,
  coxHubStep,
  coxRiskSetCombine,
  coxSummary,
} from '../../analytics/index.ts';
import { MeridianError } from '../../errors/registry.ts';
import { type CoxPlan, coxCenterLength, coxNewtonLength, coxPlan } from '../../federation/analyses/cox.ts';
import type { FederatedTask } from '../../federation/protocol.ts';
import { keyRound, type MaskedRoundDeps, maskedSumRound, type Partiality } from './masked-rounds.ts';

/** A federated Cox model as the researcher sees it: the fit, how it was stratified and the rounds it took. */
export interface FederatedCox extends Partiality {
  readonly result: CoxResult;
  readonly stratified: boolean;
  readonly rounds: number;
}

function bad(message: string): MeridianError {
  return new MeridianError('MER_FED_BAD_ANSWER', message);
}

function whole(value: number, what: string): number {
  const n = Math.round(value);
  if (!(n >= 0) || Math.abs(value - n) > 1e-6) throw bad(`the summed ${what} is not a whole count ≥ 0`);
  return n;
}

/** Reads a summed vector in order. */
function reader(sum: readonly number[]): { next(): number; take(k: number): number[]; done(): boolean } {
  let at = 0;
  return {
    next: () => sum[at++] as number,
    take: (k) => {
      at += k;
      return sum.slice(at - k, at);
    },
    done: () => at === sum.length,
  };
}

/** The pooled stratified evaluation from a summed Newton vector: [n, events, ℓ, U, I upper triangle]. */
export function coxEvaluationFromSums(sum: readonly number[], p: number): CoxEvaluation {
  const r = reader(sum);
  const n = whole(r.next(), 'row count');
  const events = whole(r.next(), 'event count');
  const loglik = r.next();
  const gradient = r.take(p);
  const information = Array.from({ length: p }, () => new Array<number>(p).fill(0));
  for (let j = 0; j < p; j++) {
    for (let k = j; k < p; k++) {
      const v = r.next();
      (information[j] as number[])[k] = v;
      (information[k] as number[])[j] = v;
    }
  }
  if (!r.done()) throw bad('the Cox vector has another length than its design');
  return { p, n, events, loglik, gradient, information };
}

/** The pooled risk-set sums from a summed Newton vector: [n, per grid time: d, Σx, S0, S1, S2 (Efron: D0, D1, D2)]. */
export function coxRiskSetsFromSums(sum: readonly number[], p: number, plan: CoxPlan): CoxRiskSetStep {
  const tri = (p * (p + 1)) / 2;
  const efron = plan.params.ties === 'efron';
  const r = reader(sum);
  const step: CoxRiskSetStep = {
    ties: plan.params.ties,
    p,
    n: whole(r.next(), 'row count'),
    events: [],
    sumX: [],
    s0: [],
    s1: [],
    s2: [],
    ...(efron ? { d0: [], d1: [], d2: [] } : {}),
  };
  plan.times.forEach((t) => {
    step.events.push(whole(r.next(), `event count at ${t}`));
    step.sumX.push(r.take(p));
    step.s0.push(r.next());
    step.s1.push(r.take(p));
    step.s2.push(r.take(tri));
    if (efron) {
      step.d0?.push(r.next());
      step.d1?.push(r.take(p));
      step.d2?.push(r.take(tri));
    }
  });
  if (!r.done()) throw bad('the Cox vector has another length than its design');
  return step;
}

/** Runs an authorized Cox task on every hospital of the task and returns the exact pooled-equivalent fit. */
export async function runFederatedCox(deps: MaskedRoundDeps, task: FederatedTask): Promise<FederatedCox> {
  const plan = coxPlan(task);
  const keys = await keyRound(deps, task);
  let round = 1;
  const centerRound = await maskedSumRound(deps, {
    task,
    round,
    keys,
    input: { step: 'center' },
    length: (names) => coxCenterLength(names.length),
  });
  const names = centerRound.names;
  const p = names.length;
  if (p < 1) throw bad('the hospitals built a Cox design without covariates');
  const n = whole(centerRound.sum[0] as number, 'row count');
  const events = whole(centerRound.sum[1] as number, 'event count');
  const center = coxCenter([{ n, sums: centerRound.sum.slice(2) }]);
  let state: CoxHubState = coxHubStart(p);
  const roundsMax = state.maxIterations + 2;
  for (let i = 0; !state.done && i < roundsMax; i++) {
    round++;
    const { sum, names: roundNames } = await maskedSumRound(deps, {
      task,
      round,
      keys,
      input: { step: 'newton', center, beta: state.beta },
      length: coxNewtonLength(p, plan),
    });
    if (roundNames.join('\u0000') !== names.join('\u0000')) throw bad(`round ${round} came with another design`);
    const evaluation = plan.params.stratified
      ? coxEvaluationFromSums(sum, p)
      : coxRiskSetCombine([coxRiskSetsFromSums(sum, p, plan)], state.beta, plan.times.length);
    if (evaluation.n !== n || evaluation.events !== events) {
      throw bad(`round ${round} summed other rows or events than the center round`);
    }
    state = coxHubStep(state, evaluation, names);
  }
  if (!state.done) throw new MeridianError('MER_INTERNAL', 'the Cox iteration did not finish within its bound');
  return {
    result: coxSummary(state, plan.params.ties, { names }),
    stratified: plan.params.stratified,
    rounds: round,
    ...keys.partiality(),
  };
}
