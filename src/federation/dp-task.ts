/**
 * Differential privacy as part of a federated task. A researcher asks for DP noise with ε (and δ for the
 * Gaussian); the hub turns it into `task.parameters.dp` in integer units (micro-ε, pico-δ), so the task's content
 * hash, which the ledger authorizes, covers the noise the hospitals will add. The hub charges ε to the project's
 * budget on the ledger (`budget.charge` naming the task) before it sends the task; each hospital checks on its own
 * replica that the task's charge covers the ε the task asks, and that it has not released this task before,
 * before it adds any noise. Pure: the ledger's task record is an argument.
 */
import { z } from 'zod';
import { MeridianError } from '../errors/registry.ts';
import { EPSILON_MICROS_MAX, formatEpsilon, MICRO_EPSILON_PER_EPSILON } from '../ledger/contracts/index.ts';
import type { DpMechanism } from './disclosure/dp-mechanisms.ts';
import { PICO_DELTA_PER_DELTA } from './disclosure/privacy-budget.ts';
import type { FederatedTask } from './protocol.ts';

/** Largest ε one DP task may ask for: beyond it the noise protects nobody. */
export const DP_EPSILON_MAX = 10;

/** Largest δ one DP task may ask for (δ must stay well below 1/n). */
export const DP_DELTA_MAX = 1e-3;

/** The DP request in a researcher's analysis body: mechanism, ε, and δ for the Gaussian. */
export const DpRequestSchema = z.discriminatedUnion('mechanism', [
  z.strictObject({ mechanism: z.literal('laplace'), epsilon: z.number().positive().max(DP_EPSILON_MAX) }),
  z.strictObject({
    mechanism: z.literal('gaussian'),
    epsilon: z.number().positive().max(DP_EPSILON_MAX),
    delta: z.number().positive().max(DP_DELTA_MAX),
  }),
]);

/** A researcher's DP request. */
export type DpRequest = z.infer<typeof DpRequestSchema>;

/** `task.parameters.dp`: the same request in the integer units the ledger and the samplers count in. */
export const DpTaskParametersSchema = z.discriminatedUnion('mechanism', [
  z.strictObject({ mechanism: z.literal('laplace'), epsilonMicros: z.number().int().min(1).max(EPSILON_MICROS_MAX) }),
  z.strictObject({
    mechanism: z.literal('gaussian'),
    epsilonMicros: z.number().int().min(1).max(EPSILON_MICROS_MAX),
    deltaPicos: z
      .number()
      .int()
      .min(1)
      .max(PICO_DELTA_PER_DELTA - 1),
  }),
]);

/** DP parameters of a task. */
export type DpTaskParameters = z.infer<typeof DpTaskParametersSchema>;

/** Converts a researcher's DP request to task parameters (ε to micro-ε, δ to pico-δ; MER_DP_INVALID_OPTION if either rounds to 0). */
export function dpTaskParameters(request: DpRequest): DpTaskParameters {
  const parsed = DpRequestSchema.safeParse(request);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = ['dp', ...(issue?.path ?? []).map(String)].join('.');
    throw new MeridianError('MER_DP_INVALID_OPTION', `${path}: ${issue?.message ?? 'invalid'}`, { field: path });
  }
  const r = parsed.data;
  const epsilonMicros = Math.round(r.epsilon * MICRO_EPSILON_PER_EPSILON);
  if (epsilonMicros < 1) {
    throw new MeridianError('MER_DP_INVALID_OPTION', `dp.epsilon ${r.epsilon} is below the smallest unit, 0.000001`, {
      field: 'dp.epsilon',
      value: r.epsilon,
    });
  }
  if (r.mechanism === 'laplace') return { mechanism: 'laplace', epsilonMicros };
  const deltaPicos = Math.round(r.delta * PICO_DELTA_PER_DELTA);
  if (deltaPicos < 1) {
    throw new MeridianError('MER_DP_INVALID_OPTION', `dp.delta ${r.delta} is below the smallest unit, 1e-12`, {
      field: 'dp.delta',
      value: r.delta,
    });
  }
  return { mechanism: 'gaussian', epsilonMicros, deltaPicos };
}

/** The DP parameters of a task, undefined when it asks for none (MER_FED_INVALID_TASK when they are malformed). */
export function dpOfTask(task: FederatedTask): DpTaskParameters | undefined {
  const raw = task.parameters.dp;
  if (raw === undefined) return undefined;
  const parsed = DpTaskParametersSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = ['parameters', 'dp', ...(issue?.path ?? []).map(String)].join('.');
    throw new MeridianError('MER_FED_INVALID_TASK', `task field ${path}: ${issue?.message ?? 'invalid'}`, { path });
  }
  return parsed.data;
}

/** The samplers' mechanism for a task's DP parameters. */
export function dpMechanismOf(dp: DpTaskParameters): DpMechanism {
  return dp.mechanism === 'laplace'
    ? { kind: 'laplace', epsilonMicros: dp.epsilonMicros }
    : { kind: 'gaussian', epsilonMicros: dp.epsilonMicros, deltaPicos: dp.deltaPicos };
}

/**
 * Checks, at a hospital, that the ledger's record of a DP task pays for it: the ε charged to the task covers the
 * ε it asks, and this hospital has not filed a receipt for it yet (one charge pays for one release by each
 * hospital). Throws MER_FED_DP_NOT_CHARGED naming the task, the ε asked and the ε charged.
 */
export function checkDpCharge(opts: {
  task: FederatedTask;
  dp: DpTaskParameters;
  node: string;
  ledger: { readonly epsilonChargedMicros?: number; readonly receipts?: Readonly<Record<string, unknown>> };
}): void {
  const charged = opts.ledger.epsilonChargedMicros ?? 0;
  const { taskId } = opts.task;
  if (charged < opts.dp.epsilonMicros) {
    throw new MeridianError(
      'MER_FED_DP_NOT_CHARGED',
      `task ${taskId} asks ε ${formatEpsilon(opts.dp.epsilonMicros)} of differential privacy, but the ledger records a charge of ε ${formatEpsilon(charged)} for it; ${opts.node} adds no noise and releases nothing`,
      { taskId, node: opts.node, epsilonMicros: opts.dp.epsilonMicros, chargedMicros: charged },
    );
  }
  if (opts.ledger.receipts !== undefined && Object.hasOwn(opts.ledger.receipts, opts.node)) {
    throw new MeridianError(
      'MER_FED_DP_NOT_CHARGED',
      `${opts.node} already released DP task ${taskId} (its receipt is on the ledger); a new release needs a new task and charge`,
      { taskId, node: opts.node },
    );
  }
}
