/**
 * The hub's rounds of the exact federated analyses carried by masked sums (Kaplan–Meier, Cox, descriptive; the
 * node side is src/federation/analyses/masked-runner.ts): a key round that collects every hospital's signed X25519
 * key, then data rounds whose masked vectors are summed — the masks cancel only in the sum over every hospital.
 * Every hospital must answer every round (MER_FED_PARTIAL names who did not and why).
 *
 *   round 0   ──► all hospitals' signed keys
 *   round r   { keys, …input } ──► Σ masked vectors ──► the pooled sums (nothing per hospital)
 */
import { MeridianError } from '../../errors/registry.ts';
import { KeyAnswerSchema, MaskedAnswerSchema } from '../../federation/analyses/masked-runner.ts';
import { sumMaskedReals } from '../../federation/analyses/secure-vector.ts';
import type { FederatedTask } from '../../federation/protocol.ts';
import { type RoundDeps, requireComplete, runRound } from './rounds.ts';

/** Longest a hospital may take for one masked round (the first data round builds its analysis table). */
export const MASKED_ROUND_TIMEOUT_MS = 60_000;

function bad(message: string): MeridianError {
  return new MeridianError('MER_FED_BAD_ANSWER', message);
}

/** Runs round 0 on every hospital and returns their signed key answers, which every later round carries. */
export async function keyRound(deps: RoundDeps, task: FederatedTask): Promise<unknown[]> {
  const round = await runRound(deps, { task, round: 0, timeoutMs: MASKED_ROUND_TIMEOUT_MS });
  requireComplete(round);
  return round.outcomes.map((o) => {
    if (o.status !== 'answered' || !KeyAnswerSchema.safeParse(o.result).success) {
      throw bad(`hospital node ${o.node} did not answer the key round with a key`);
    }
    return o.signed;
  });
}

/** What a data round gives the hub: the pooled sums, the design names and the largest minimum cell. */
export interface MaskedSum {
  readonly sum: number[];
  readonly names: readonly string[];
  readonly minCell: number;
}

/**
 * Runs one data round (the same input to every hospital, with the keys) and sums the masked vectors; `length` is
 * the vector length the hub expects, or a function of the design names when only the nodes know the design.
 */
export async function maskedSumRound(
  deps: RoundDeps,
  opts: {
    task: FederatedTask;
    round: number;
    keys: readonly unknown[];
    input: Record<string, unknown>;
    length: number | ((names: readonly string[]) => number);
  },
): Promise<MaskedSum> {
  const { task, round } = opts;
  const answers = requireComplete(
    await runRound(deps, {
      task,
      round,
      input: () => ({ ...opts.input, keys: opts.keys }),
      timeoutMs: MASKED_ROUND_TIMEOUT_MS,
    }),
  );
  const parsed = [...answers].map(([node, result]) => {
    const a = MaskedAnswerSchema.safeParse(result);
    if (!a.success) throw bad(`hospital node ${node} answered ${task.kind} round ${round} with an unexpected shape`);
    return { node, ...a.data };
  });
  const first = parsed[0];
  if (!first) throw bad('no hospital answered');
  for (const a of parsed) {
    if (a.names.join('\u0000') !== first.names.join('\u0000')) {
      throw bad(`hospital node ${a.node} built a different design (${a.names.join(', ')})`);
    }
  }
  const length = typeof opts.length === 'number' ? opts.length : opts.length(first.names);
  for (const a of parsed) {
    if (a.length !== length || a.masked.length !== 2 * length) {
      throw bad(`hospital node ${a.node} sent ${a.length} sums in ${task.kind} round ${round}; expected ${length}`);
    }
  }
  return {
    sum: sumMaskedReals(
      parsed.map((a) => a.masked),
      length,
    ),
    names: first.names,
    minCell: Math.max(...parsed.map((a) => a.minCell)),
  };
}
