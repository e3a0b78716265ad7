/**
 * The hub's side of the exact federated GLM: one key round, then IRLS rounds for the full model and for the
 * null model (for the null deviance), each round's masked node vectors summed — the masks cancel only in the
 * sum over every hospital — and handed to the analytics core's hub step as one combined part. Every hospital
 * must answer every round; the result equals the pooled fit on the same rows.
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
import {
  GlmKeyAnswerSchema,
  GlmMaskedAnswerSchema,
  glmVectorLength,
  parseGlmParameters,
} from '../../federation/analyses/glm.ts';
import { sumMaskedReals } from '../../federation/analyses/secure-vector.ts';
import type { FederatedTask } from '../../federation/protocol.ts';
import { type RoundDeps, requireComplete, runRound } from './rounds.ts';

/** Longest a hospital may take for one GLM round (the first builds its analysis table). */
export const GLM_ROUND_TIMEOUT_MS = 60_000;

/** A federated GLM's outcome: the summary, the rounds it took and the sample size the hub learned (a sum). */
export interface FederatedGlm {
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
export async function runFederatedGlm(deps: RoundDeps, task: FederatedTask): Promise<FederatedGlm> {
  const params = parseGlmParameters(task.parameters);
  const keyRound = await runRound(deps, { task, round: 0, timeoutMs: GLM_ROUND_TIMEOUT_MS });
  requireComplete(keyRound);
  const keys: unknown[] = [];
  for (const o of keyRound.outcomes) {
    if (o.status !== 'answered' || !GlmKeyAnswerSchema.safeParse(o.result).success) {
      throw bad(`hospital node ${o.node} did not answer the key round with a key`);
    }
    keys.push(o.signed);
  }
  let round = 0;
  let names: string[] | undefined;
  let n = 0;
  const irls = async (design: GlmDesign): Promise<GlmHubState> => {
    let state = glmHubStart({ family: params.family }, {}, design);
    const roundsMax = (state.maxIterations + 1) * (state.maxIterations + 2);
    for (let i = 0; !state.done && i < roundsMax; i++) {
      round++;
      const answers = requireComplete(
        await runRound(deps, {
          task,
          round,
          input: () => ({ keys, beta: state.beta, design }),
          timeoutMs: GLM_ROUND_TIMEOUT_MS,
        }),
      );
      const parsed = [...answers].map(([node, result]) => {
        const a = GlmMaskedAnswerSchema.safeParse(result);
        if (!a.success) throw bad(`hospital node ${node} answered GLM round ${round} with an unexpected shape`);
        return { node, ...a.data };
      });
      const first = parsed[0];
      if (!first) throw bad('no hospital answered');
      for (const a of parsed) {
        if (a.length !== first.length || a.names.join('\u0000') !== first.names.join('\u0000')) {
          throw bad(`hospital node ${a.node} built a different design (${a.names.join(', ')})`);
        }
      }
      names ??= first.names;
      const p = design === 'full' ? first.names.length + 1 : 1;
      if (first.length !== glmVectorLength(p)) throw bad(`GLM round ${round} vectors have ${first.length} values`);
      const sum = sumMaskedReals(
        parsed.map((a) => a.masked),
        first.length,
      );
      const step = unpack(sum, p, design);
      if (design === 'full') n = step.n;
      state = glmHubStep(state, [step], names);
    }
    return state;
  };
  const full = await irls('full');
  const nullFit = await irls('null');
  return { result: glmSummary(full, nullFit, { names: names ?? [] }), rounds: round, n };
}
