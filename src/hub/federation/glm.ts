/**
 * The hub's side of the exact federated GLM: one key round, then IRLS rounds for the full model and for the
 * null model (for the null deviance), each round's masked node vectors summed by the shared masked rounds
 * (masked-rounds.ts: masks bound to the round's input, dropout recovery in the first data round) and handed to
 * the analytics core's hub step as one combined part. The result equals the pooled fit on the same rows (of the
 * survivors, marked partial, when a hospital dropped out).
 *
 *   round 0   keys ──► all hospitals' signed X25519 keys
 *   round 1…  { keys, β, design } ──► Σ masked = Σ (n, X'WX, X'Wz, deviance, χ², AIC term, flags)
 *             glmHubStep(Σ) ──► next β … until |Δdev|/(|dev|+0.1) ≤ 1e-8
 */
import {
  type GlmDesign,
  type GlmHubState,
  type GlmNodeStep,
  type GlmResult,
  glmHubStart,
  glmHubStep,
  glmSummary,
} from '../../analytics/index.ts';
import { MeridianError } from '../../errors/registry.ts';
import { glmVectorLength, parseGlmParameters } from '../../federation/analyses/glm.ts';
import type { FederatedTask } from '../../federation/protocol.ts';
import { keyRound, type MaskedRoundDeps, maskedSumRound, type Partiality } from './masked-rounds.ts';

/** A federated GLM's outcome: the summary, the rounds it took and the sample size the hub learned (a sum). */
export interface FederatedGlm extends Partiality {
  readonly result: GlmResult;
  readonly rounds: number;
  readonly n: number;
}

function bad(message: string): MeridianError {
  return new MeridianError('MER_FED_BAD_ANSWER', message);
}

/** Unpacks the summed vector of a round into the shape the hub step takes. */
function unpack(sum: readonly number[], p: number, design: GlmDesign): GlmNodeStep {
  let k = 0;
  const next = (): number => sum[k++] as number;
  const n = Math.round(next());
  const xtwx = Array.from({ length: p }, () => new Array<number>(p).fill(0));
  for (let i = 0; i < p; i++) {
    for (let j = i; j < p; j++) {
      const v = next();
      (xtwx[i] as number[])[j] = v;
      (xtwx[j] as number[])[i] = v;
    }
  }
  const xtwz = Array.from({ length: p }, next);
  const deviance = next();
  const pearsonChi2 = next();
  const aicTerm = next();
  const flags = Math.round(next());
  const boundary = Math.round(next());
  const nonFinite = flags >= 1_000;
  return {
    design,
    p,
    n,
    xtwx,
    xtwz,
    deviance: nonFinite ? Number.POSITIVE_INFINITY : deviance,
    pearsonChi2: nonFinite ? Number.POSITIVE_INFINITY : pearsonChi2,
    aicTerm: nonFinite ? Number.POSITIVE_INFINITY : aicTerm,
    valid: flags % 1_000 === 0,
    boundary,
  };
}

/** Runs an authorized GLM task on every hospital of the task and returns the exact pooled-equivalent fit. */
export async function runFederatedGlm(deps: MaskedRoundDeps, task: FederatedTask): Promise<FederatedGlm> {
  const params = parseGlmParameters(task.parameters);
  const keys = await keyRound(deps, task);
  let round = 0;
  let names: readonly string[] | undefined;
  let n = 0;
  const irls = async (design: GlmDesign): Promise<GlmHubState> => {
    let state = glmHubStart({ family: params.family }, {}, design);
    const roundsMax = (state.maxIterations + 1) * (state.maxIterations + 2);
    for (let i = 0; !state.done && i < roundsMax; i++) {
      round++;
      let p = 1;
      const { sum, names: roundNames } = await maskedSumRound(deps, {
        task,
        round,
        keys,
        input: { beta: state.beta, design },
        length: (designNames) => {
          p = design === 'full' ? designNames.length + 1 : 1;
          return glmVectorLength(p);
        },
      });
      if (names !== undefined && roundNames.join('\u0000') !== names.join('\u0000')) {
        throw bad(`GLM round ${round} came with another design (${roundNames.join(', ')})`);
      }
      names ??= roundNames;
      const step = unpack(sum, p, design);
      if (design === 'full') n = step.n;
      state = glmHubStep(state, [step], [...names]);
    }
    return state;
  };
  const full = await irls('full');
  const nullFit = await irls('null');
  return { result: glmSummary(full, nullFit, { names: [...(names ?? [])] }), rounds: round, n, ...keys.partiality() };
}
