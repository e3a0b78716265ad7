/**
 * The hub's rounds of the exact federated analyses carried by masked sums (Kaplan–Meier, Cox, descriptive,
 * FedAvg; the node side is src/federation/analyses/masked-runner.ts): a key round that collects every hospital's
 * signed X25519 key, then data rounds whose masked vectors are summed — the pairwise masks cancel only in the sum
 * over every participant.
 *
 * Without dropout recovery every hospital must answer every round (MER_FED_PARTIAL names who did not and why):
 *
 *   round 0   ──► all hospitals' signed keys
 *   round r   { keys, …input } ──► Σ masked vectors ──► the pooled sums (nothing per hospital)
 *
 * With dropout recovery (`dropoutRecovery`, three hospitals or more; Bonawitz et al. 2017 adapted to tasks of
 * several rounds, rules in src/federation/secure-agg/recovery.ts) the session numbers the rounds itself:
 *
 *   round 0   { recovery }             ──► keys S_u, share keys C_u, seed commitments H(b_u)
 *   round 1   { keys }                 ──► each hospital's sealed Shamir shares of s_u and b_u, one box per peer
 *   round 2   { keys, participants P } ──► y_u = x_u + PRG(b_u) ± pair masks over P, from the survivors S ⊆ P
 *   round 3   to every v ∈ S: { recover: { round 2, S, D = P − S }, the boxes sealed to v }
 *             ──► shares of b_v (v ∈ S) and of s_d (d ∈ D) ──► reconstruct (≥ t each, checked against
 *             H(b_v) and S_d) ──► Σ_S y − Σ PRG(b_v) ∓ pair masks of D = Σ_S x; D leaves the task
 *   round 4…  { keys, participants S } ──► Σ y − Σ PRG(b_v) (the seeds are open now): every survivor must answer
 *
 * Only a hospital that did not answer is a dropout (DROPOUT_CODES); a refusal fails the analysis as without recovery.
 * The unmasking round runs after the first data round whether or not a hospital dropped (the self-masks must go);
 * it opens every survivor's seed, so from then on no honest hospital reveals a survivor's key: a dropout after the
 * first data round, fewer than t survivors, or too few shares fail with MER_FED_PARTIAL and release nothing.
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { MeridianError } from '../../errors/registry.ts';
import {
  type RecoveryAnswer,
  RecoveryAnswerSchema,
  type SetupAnswer,
  SetupAnswerSchema,
} from '../../federation/analyses/dropout-recovery.ts';
import { type KeyAnswer, KeyAnswerSchema, MaskedAnswerSchema } from '../../federation/analyses/masked-runner.ts';
import { decodeRealSum, parseMaskedWords, sumMaskedReals } from '../../federation/analyses/secure-vector.ts';
import { type FederatedTask, taskHashOf } from '../../federation/protocol.ts';
import {
  fieldElementFromBytes,
  fieldElementToBytes,
  privateKeyFromScalar,
  publicKeyFromRaw,
  publicKeyToRaw,
  recoveryThreshold,
  type SecAggParticipant,
  type ShamirShare,
  selfMask,
  shamirCombine,
  sumMasked,
  unmaskSum,
} from '../../federation/secure-agg/index.ts';
import { canonicalBytes } from '../../ledger/canonical-json.ts';
import { type NodeOutcome, type RoundDeps, requireComplete, runRound } from './rounds.ts';

/** Longest a hospital may take for one masked round (the first data round builds its analysis table). */
export const MASKED_ROUND_TIMEOUT_MS = 60_000;

/** Fewest hospitals with which the hub recovers dropouts (with two, one survivor's sum would be its own value). */
export const RECOVERY_HOSPITALS_MIN = 3;

/**
 * Codes of a hospital that did not answer (down, timed out, crashed): a dropout to recover. Any other code is an
 * answer — a refusal under disclosure control, policy or authorization, or a bad answer — and fails the analysis.
 */
export const DROPOUT_CODES: ReadonlySet<string> = new Set([
  'MER_NODE_UNAVAILABLE',
  'MER_NODE_TIMEOUT',
  'MER_NODE_UNKNOWN',
  'MER_NODE_TASK_FAILED',
  'MER_INTERNAL',
]);

/** What the masked rounds need from the hub: its round deps, and whether to recover a hospital that drops out. */
export type MaskedRoundDeps = RoundDeps & {
  readonly dropoutRecovery?: boolean;
  /** Told of each hospital that dropped out and was recovered (the service marks any masked answer partial by it). */
  readonly onDropout?: (dropout: Dropout) => void;
};

/** A hospital that left a masked task: the round it did not answer and why. */
export interface Dropout {
  readonly hospital: string;
  readonly round: number;
  readonly code: string;
  readonly message: string;
}

/** How complete a masked analysis is: partial when a hospital dropped out and the result covers the survivors. */
export interface Partiality {
  readonly partial: boolean;
  readonly missing: readonly string[];
  readonly dropouts: readonly Dropout[];
}

function bad(message: string): MeridianError {
  return new MeridianError('MER_FED_BAD_ANSWER', message);
}

function partialError(why: string, missing: readonly string[]): MeridianError {
  return new MeridianError('MER_FED_PARTIAL', `${why}; nothing is released`, { missing: [...missing] });
}

function reason(o: NodeOutcome): string {
  return o.status === 'missing' ? `${o.node} (${o.code}: ${o.message})` : o.node;
}

/**
 * A masked task's keys and recovery state, from {@link keyRound} to the last {@link maskedSumRound}: who still
 * takes part, who dropped, the seeds the hub has reconstructed.
 */
export class MaskedKeys {
  readonly task: FederatedTask;
  /** The signed round-0 answers every data round carries. */
  readonly signed: readonly unknown[];
  readonly #answers: ReadonlyMap<string, KeyAnswer>;
  readonly #recovery: boolean;
  #boxes: ReadonlyMap<string, SetupAnswer> = new Map();
  #participants: readonly string[];
  #dropouts: Dropout[] = [];
  #seeds: Map<string, Buffer> | undefined;
  #next = 2;
  #lastRound = 0;

  constructor(opts: {
    task: FederatedTask;
    signed: readonly unknown[];
    answers: ReadonlyMap<string, KeyAnswer>;
    recovery: boolean;
  }) {
    this.task = opts.task;
    this.signed = opts.signed;
    this.#answers = opts.answers;
    this.#recovery = opts.recovery;
    this.#participants = [...opts.task.hospitals];
  }

  /** True when this task recovers dropouts. */
  get recovery(): boolean {
    return this.#recovery;
  }

  /** The hospitals still taking part. */
  get participants(): readonly string[] {
    return this.#participants;
  }

  /** Whether the result covers every hospital, and who dropped out and why. */
  partiality(): Partiality {
    return {
      partial: this.#dropouts.length > 0,
      missing: this.#dropouts.map((d) => d.hospital),
      dropouts: [...this.#dropouts],
    };
  }

  /** Stores the setup round's verified answers. */
  setBoxes(boxes: ReadonlyMap<string, SetupAnswer>): void {
    this.#boxes = boxes;
  }

  /** The protocol round of the caller's data round `round` (the session's own numbering with recovery). */
  protocolRound(round: number): number {
    if (round <= this.#lastRound) throw new MeridianError('MER_INTERNAL', `data round ${round} repeats or goes back`);
    this.#lastRound = round;
    if (!this.#recovery) return round;
    const r = this.#next;
    this.#next += this.#seeds === undefined ? 2 : 1;
    return r;
  }

  /** The participants with their pairwise keys. */
  participantKeys(nodes: readonly string[]): SecAggParticipant[] {
    return nodes.map((id) => ({
      id,
      publicKey: publicKeyFromRaw(Buffer.from((this.#answers.get(id) as KeyAnswer).publicKey, 'hex')),
    }));
  }

  /** The boxes sealed to `to` by each of `from`. */
  boxesTo(to: string, from: readonly string[]): { from: string; box: string }[] {
    return from
      .filter((f) => f !== to)
      .map((f) => {
        const box = this.#boxes.get(f)?.boxes.find((b) => b.to === to);
        if (box === undefined) throw new MeridianError('MER_INTERNAL', `no box from ${f} to ${to}`);
        return { from: f, box: box.box };
      });
  }

  /** The survivors' seeds once open (after the first data round), or undefined. */
  get seeds(): ReadonlyMap<string, Buffer> | undefined {
    return this.#seeds;
  }

  /** Records the recovery of the first data round: the survivors go on, the dropped leave. */
  recovered(opts: { survivors: readonly string[]; dropouts: readonly Dropout[]; seeds: Map<string, Buffer> }): void {
    this.#participants = [...opts.survivors];
    this.#dropouts.push(...opts.dropouts);
    this.#seeds = opts.seeds;
  }

  /** A participant's published seed commitment and pairwise key. */
  answerOf(node: string): KeyAnswer {
    return this.#answers.get(node) as KeyAnswer;
  }
}

/**
 * Runs round 0 on every hospital (and, with dropout recovery, the setup round that hands out the sealed shares)
 * and returns the task's keys, which every later round carries. A hospital missing here fails the task.
 */
export async function keyRound(deps: MaskedRoundDeps, task: FederatedTask): Promise<MaskedKeys> {
  const recovery = deps.dropoutRecovery === true && task.hospitals.length >= RECOVERY_HOSPITALS_MIN;
  const round = await runRound(deps, {
    task,
    round: 0,
    ...(recovery ? { input: () => ({ recovery: true }) } : {}),
    timeoutMs: MASKED_ROUND_TIMEOUT_MS,
  });
  requireComplete(round);
  const answers = new Map<string, KeyAnswer>();
  const signed = round.outcomes.map((o) => {
    const a = o.status === 'answered' ? KeyAnswerSchema.safeParse(o.result) : undefined;
    if (!a?.success || (recovery && (a.data.encryptionKey === undefined || a.data.seedCommitment === undefined))) {
      throw bad(`hospital node ${o.node} did not answer the key round with a key`);
    }
    answers.set(o.node, a.data);
    return o.status === 'answered' ? o.signed : undefined;
  });
  const keys = new MaskedKeys({ task, signed, answers, recovery });
  if (!recovery) return keys;
  const setup = await runRound(deps, {
    task,
    round: 1,
    input: () => ({ keys: signed }),
    timeoutMs: MASKED_ROUND_TIMEOUT_MS,
  });
  requireComplete(setup);
  const threshold = recoveryThreshold(task.hospitals.length);
  const boxes = new Map<string, SetupAnswer>();
  for (const o of setup.outcomes) {
    const a = o.status === 'answered' ? SetupAnswerSchema.safeParse(o.result) : undefined;
    const peers = task.hospitals.filter((h) => h !== o.node);
    if (
      !a?.success ||
      a.data.threshold !== threshold ||
      a.data.boxes.length !== peers.length ||
      !peers.every((p) => a.data.boxes.some((b) => b.to === p))
    ) {
      throw bad(`hospital node ${o.node} did not hand out one share box per hospital with threshold ${threshold}`);
    }
    boxes.set(o.node, a.data);
  }
  keys.setBoxes(boxes);
  return keys;
}

/** What a data round gives the hub: the pooled sums, the design names and the largest minimum cell. */
export interface MaskedSum {
  readonly sum: number[];
  readonly names: readonly string[];
  readonly minCell: number;
}

/**
 * Runs one data round (the same input to every participant, with the keys) and sums the masked vectors; `length`
 * is the vector length the hub expects, or a function of the design names when only the nodes know the design.
 * `round` numbers the caller's data rounds (1, 2, …); with recovery the session numbers the protocol's rounds.
 */
export async function maskedSumRound(
  deps: MaskedRoundDeps,
  opts: {
    task: FederatedTask;
    round: number;
    keys: MaskedKeys;
    input: Record<string, unknown>;
    length: number | ((names: readonly string[]) => number);
  },
): Promise<MaskedSum> {
  const { task, keys } = opts;
  const round = keys.protocolRound(opts.round);
  const participants = keys.participants;
  const input = keys.recovery
    ? { ...opts.input, keys: keys.signed, participants: [...participants] }
    : { ...opts.input, keys: keys.signed };
  const outcome = await runRound(deps, {
    task,
    round,
    nodes: participants,
    input: () => input,
    timeoutMs: MASKED_ROUND_TIMEOUT_MS,
  });
  const refused = outcome.outcomes.some((o) => o.status === 'missing' && !DROPOUT_CODES.has(o.code));
  if (!keys.recovery || refused) requireComplete(outcome);
  const parsed = outcome.outcomes.flatMap((o) => {
    if (o.status !== 'answered') return [];
    const a = MaskedAnswerSchema.safeParse(o.result);
    if (!a.success) throw bad(`hospital node ${o.node} answered ${task.kind} round ${round} with an unexpected shape`);
    return [{ node: o.node, ...a.data }];
  });
  const first = parsed[0];
  if (!first) {
    throw partialError(
      `no hospital answered ${task.kind} round ${round}: ${outcome.outcomes.map(reason).join('; ')}`,
      participants,
    );
  }
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
  const minCell = Math.max(...parsed.map((a) => a.minCell));
  if (!keys.recovery) {
    return {
      sum: sumMaskedReals(
        parsed.map((a) => a.masked),
        length,
      ),
      names: first.names,
      minCell,
    };
  }
  const masked = sumMasked(parsed.map((a, k) => parseMaskedWords(a.masked, length, k)));
  const labels = {
    roundId: `${taskHashOf(task)}/${round}`,
    context: `${task.kind}/${createHash('sha256').update(canonicalBytes(input)).digest('hex')}`,
  };
  const missing = outcome.outcomes.filter((o) => o.status === 'missing');
  const open = keys.seeds;
  if (open !== undefined) {
    if (missing.length > 0) {
      throw partialError(
        `${missing.map(reason).join('; ')} dropped out after the first data round, when every survivor's self-mask seed is open and no hospital may reveal its key any more`,
        missing.map((o) => o.node),
      );
    }
    for (const v of participants) {
      const mask = selfMask({ seed: open.get(v) as Buffer, ...labels, length: 2 * length });
      for (let i = 0; i < masked.length; i++) masked[i] = (masked[i] as bigint) - (mask[i] as bigint);
    }
    return { sum: decodeRealSum(masked, length), names: first.names, minCell };
  }
  const sum = await recoverRound(deps, {
    keys,
    round,
    labels,
    masked,
    survivors: parsed.map((a) => a.node),
    missing,
  });
  return { sum: decodeRealSum(sum, length), names: first.names, minCell };
}

/** The recovery round after the first data round: reconstructs the seeds and dropped keys, removes their masks. */
async function recoverRound(
  deps: MaskedRoundDeps,
  opts: {
    keys: MaskedKeys;
    round: number;
    labels: { roundId: string; context: string };
    masked: BigUint64Array;
    survivors: readonly string[];
    missing: readonly NodeOutcome[];
  },
): Promise<BigUint64Array> {
  const { keys, round, survivors } = opts;
  const task = keys.task;
  const participants = keys.participants;
  const dropped = participants.filter((p) => !survivors.includes(p));
  const threshold = recoveryThreshold(task.hospitals.length);
  if (survivors.length < threshold) {
    throw partialError(
      `${survivors.length} of ${participants.length} hospitals answered ${task.kind} round ${round}, fewer than the ${threshold} that recover the others' masks (missing: ${opts.missing.map(reason).join('; ')})`,
      dropped,
    );
  }
  const outcome = await runRound(deps, {
    task,
    round: round + 1,
    nodes: survivors,
    input: (node) => ({
      recover: { round, survivors: [...survivors], dropped },
      boxes: keys.boxesTo(node, participants),
    }),
    timeoutMs: MASKED_ROUND_TIMEOUT_MS,
  });
  const xOf = (node: string) => task.hospitals.indexOf(node) + 1;
  const bShares = new Map<string, ShamirShare[]>(survivors.map((v) => [v, []]));
  const sShares = new Map<string, ShamirShare[]>(dropped.map((d) => [d, []]));
  const silent: NodeOutcome[] = [];
  for (const o of outcome.outcomes) {
    const a = o.status === 'answered' ? RecoveryAnswerSchema.safeParse(o.result) : undefined;
    const y = (hex: string) => fieldElementFromBytes(Buffer.from(hex, 'hex'));
    if (
      !a?.success ||
      !answersRequest(a.data, survivors, dropped) ||
      [...a.data.b, ...a.data.s].some((x) => y(x.share) === undefined)
    ) {
      silent.push(o);
      continue;
    }
    for (const b of a.data.b) bShares.get(b.of)?.push({ x: xOf(o.node), y: y(b.share) as bigint });
    for (const s of a.data.s) sShares.get(s.of)?.push({ x: xOf(o.node), y: y(s.share) as bigint });
  }
  const short = (shares: readonly ShamirShare[]) => shares.length < threshold;
  if ([...bShares.values(), ...sShares.values()].some(short)) {
    throw partialError(
      `too few hospitals answered the recovery of ${task.kind} round ${round} (threshold ${threshold}; missing: ${silent.map(reason).join('; ')})`,
      dropped,
    );
  }
  const seeds = new Map<string, Buffer>();
  for (const [v, shares] of bShares) {
    const seed = fieldElementToBytes(shamirCombine(shares, threshold));
    if (createHash('sha256').update(seed).digest('hex') !== keys.answerOf(v).seedCommitment) {
      throw new MeridianError(
        'MER_SECAGG_RECOVERY_FAILED',
        `the shares of ${v}'s self-mask seed do not match its commitment`,
      );
    }
    seeds.set(v, seed);
  }
  const droppedKeys = new Map<string, KeyObject>();
  for (const [d, shares] of sShares) {
    const key = privateKeyFromScalar(shamirCombine(shares, threshold));
    if (publicKeyToRaw(createPublicKey(key)).toString('hex') !== keys.answerOf(d).publicKey) {
      throw new MeridianError('MER_SECAGG_RECOVERY_FAILED', `the shares of ${d}'s key do not match its published key`);
    }
    droppedKeys.set(d, key);
  }
  const sum = unmaskSum({
    sum: opts.masked,
    ...opts.labels,
    participants: keys.participantKeys(participants),
    seeds,
    droppedKeys,
  });
  const dropouts = opts.missing.flatMap((o) =>
    o.status === 'missing' ? [{ hospital: o.node, round, code: o.code, message: o.message }] : [],
  );
  keys.recovered({ survivors, seeds, dropouts });
  for (const d of dropouts) deps.onDropout?.(d);
  return sum;
}

function answersRequest(a: RecoveryAnswer, survivors: readonly string[], dropped: readonly string[]): boolean {
  return (
    a.b.length === survivors.length &&
    a.b.every((x, i) => x.of === survivors[i]) &&
    a.s.length === dropped.length &&
    a.s.every((x, i) => x.of === dropped[i])
  );
}
