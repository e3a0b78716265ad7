/**
 * Federated analysis routes (/api/federation/*). A researcher asks under one of their data-use requests; the
 * hub authorizes the task on the ledger (refused there unless the request is approved and the analysis is in
 * its scope), runs it on the hospitals, and answers with what the hospitals released. Every call is audited
 * with the task id and hash, whatever its outcome.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { isMeridianError } from '../../errors/registry.ts';
import { COUNT_DISCLOSURES, ReleasedCountValueSchema } from '../../federation/analyses/count.ts';
import { type DpRequest, DpRequestSchema, dpTaskParameters } from '../../federation/dp-task.ts';
import type { FederatedTask } from '../../federation/protocol.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { audited } from '../audit/audited.ts';
import type { Role } from '../auth/roles.ts';
import { signedIn } from '../auth/signed-in.ts';
import type { PartialCounts } from './partial-counts.ts';
import type { QueryLimiter } from './query-limiter.ts';
import type { FederationService } from './service.ts';

/** Roles that may run federated analyses. */
export const FEDERATION_ROLES = ['researcher'] as const satisfies readonly Role[];

const IdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/);

/**
 * Body of a federated count: the request it runs under, the cohort, the hospitals asked, and optionally
 * differential privacy (ε, and δ for the Gaussian), charged to the project's budget on the ledger.
 */
export const CountBodySchema = z.strictObject({
  requestId: IdSchema,
  projectId: IdSchema,
  cohort: z.record(z.string(), z.unknown()),
  hospitals: z.array(z.string().min(2).max(63)).min(1).max(64),
  dp: DpRequestSchema.optional(),
});

const LedgerTxSchema = z.strictObject({ txHash: z.string(), height: z.number() });

/** A task's trail on the ledger: the hospitals' receipts and the release of the result (or why it is not released). */
export const LedgerTrailSchema = z.strictObject({
  receipts: z.record(z.string(), LedgerTxSchema),
  release: z.strictObject({ txHash: z.string(), height: z.number(), resultHash: z.string() }).nullable(),
  unreleased: z.string().nullable(),
});

const ReleasedCountSchema = z.union([z.number(), z.strictObject({ suppressed: z.literal(true) })]);

/** The answer of a federated count. */
export const CountAnswerSchema = z.strictObject({
  taskId: z.string(),
  taskHash: z.string(),
  authorizedAt: LedgerTxSchema,
  ledger: LedgerTrailSchema,
  byHospital: z.array(
    z.union([
      z.strictObject({
        hospital: z.string(),
        status: z.literal('answered'),
        count: ReleasedCountValueSchema,
        disclosure: z.enum(COUNT_DISCLOSURES),
      }),
      z.strictObject({ hospital: z.string(), status: z.literal('missing'), code: z.string(), message: z.string() }),
    ]),
  ),
  total: z.number(),
  suppressed: z.array(z.string()),
  missing: z.array(z.string()),
  partial: z.boolean(),
  minCell: z.number().nullable(),
  unknownCodes: z.array(z.string()),
  atMost: z.array(z.string()),
  noisy: z.boolean(),
  dp: z
    .strictObject({
      mechanism: z.enum(['laplace', 'gaussian']),
      epsilon: z.number(),
      delta: z.number().nullable(),
      charge: LedgerTxSchema,
      spentEpsilon: z.number(),
      remainingEpsilon: z.number(),
    })
    .optional(),
});

/** Body of a federated GLM: the request, the cohort, the analysis variables and the model. */
export const GlmBodySchema = z.strictObject({
  requestId: IdSchema,
  projectId: IdSchema,
  cohort: z.record(z.string(), z.unknown()),
  variables: z.array(z.record(z.string(), z.unknown())).min(1).max(50),
  parameters: z.record(z.string(), z.unknown()),
  hospitals: z.array(z.string().min(2).max(63)).min(2).max(64),
});

const CoefficientSchema = z.object({
  name: z.string(),
  estimate: z.number(),
  standardError: z.number(),
  statistic: z.number(),
  pValue: z.number(),
  lower: z.number(),
  upper: z.number(),
});

/** Whether a masked analysis covers every hospital: partial when one dropped out and was recovered (masked-rounds.ts). */
const PartialitySchema = {
  /** True when a hospital dropped out and the result covers the others. */
  partial: z.boolean(),
  missing: z.array(z.string()),
  dropouts: z.array(z.strictObject({ hospital: z.string(), round: z.number(), code: z.string(), message: z.string() })),
};

/** The answer of a federated GLM: the task, its authorization, and the fit (equal to the pooled fit). */
export const GlmAnswerSchema = z.object({
  taskId: z.string(),
  taskHash: z.string(),
  authorizedAt: LedgerTxSchema,
  ledger: LedgerTrailSchema,
  rounds: z.number(),
  ...PartialitySchema,
  n: z.number(),
  result: z.object({ coefficients: z.array(CoefficientSchema) }).passthrough(),
});

const StampSchema = {
  taskId: z.string(),
  taskHash: z.string(),
  authorizedAt: LedgerTxSchema,
  ledger: LedgerTrailSchema,
  rounds: z.number(),
};

/** Body of a federated Kaplan–Meier, Cox, descriptive or FedAvg analysis (the GLM's shape: request, cohort, variables, parameters). */
export const AnalysisBodySchema = GlmBodySchema;

const SuppressedSchema = z.strictObject({ suppressed: z.literal(true) });

/** The answer of a federated Kaplan–Meier: curves released per the hub's coarsening rule, the log-rank test. */
export const KmAnswerSchema = z.object({
  ...StampSchema,
  ...PartialitySchema,
  grid: z.object({ unitDays: z.number(), maxDays: z.number() }),
  minCell: z.number(),
  confidenceLevel: z.number(),
  curves: z.array(
    z.union([
      z.object({
        group: z.string(),
        status: z.literal('released'),
        n: z.number(),
        rows: z.array(
          z.object({
            time: z.number(),
            atRisk: z.number(),
            events: z.number(),
            censored: z.number(),
            survival: z.number(),
            standardError: z.number().nullable(),
            lower: z.number().nullable(),
            upper: z.number().nullable(),
          }),
        ),
        tail: z
          .object({
            after: z.number(),
            until: z.number(),
            atRisk: z.number(),
            events: SuppressedSchema,
            censored: SuppressedSchema,
          })
          .nullable(),
        median: z.object({ time: z.number().nullable(), lower: z.number().nullable(), upper: z.number().nullable() }),
      }),
      z.object({ group: z.string(), status: z.literal('withheld'), n: SuppressedSchema }),
    ]),
  ),
  logRank: z.object({ chiSquare: z.number(), df: z.number(), pValue: z.number() }).nullable(),
  withheld: z.array(z.string()),
});

/** The answer of a federated Cox model: the fit (equal to the pooled fit), stratified or not. */
export const CoxAnswerSchema = z.object({
  ...StampSchema,
  ...PartialitySchema,
  stratified: z.boolean(),
  result: z
    .object({
      ties: z.enum(['breslow', 'efron']),
      coefficients: z.array(
        z.object({
          name: z.string(),
          estimate: z.number(),
          standardError: z.number(),
          z: z.number(),
          pValue: z.number(),
          hazardRatio: z.number(),
          lower: z.number(),
          upper: z.number(),
        }),
      ),
      n: z.number(),
      events: z.number(),
    })
    .passthrough(),
});

/** The answer of federated descriptive statistics: counts under the minimum cell, moments, histogram quantiles. */
export const DescriptiveAnswerSchema = z.object({
  ...StampSchema,
  ...PartialitySchema,
  minCell: z.number(),
  rows: ReleasedCountSchema,
  numeric: z.array(
    z.object({
      column: z.string(),
      n: ReleasedCountSchema,
      missing: ReleasedCountSchema,
      mean: z.number().nullable(),
      sd: z.number().nullable(),
      histogram: z.object({
        edges: z.array(z.number()),
        below: ReleasedCountSchema,
        counts: z.array(ReleasedCountSchema),
        above: ReleasedCountSchema,
      }),
      quantiles: z.array(
        z.object({
          q: z.number(),
          lower: z.number().nullable(),
          upper: z.number().nullable(),
          value: z.number().nullable(),
        }),
      ),
    }),
  ),
  categorical: z.array(
    z.object({
      column: z.string(),
      levels: z.array(z.object({ level: z.string(), count: ReleasedCountSchema })),
      other: ReleasedCountSchema,
      missing: ReleasedCountSchema,
    }),
  ),
});

/** The answer of a FedAvg training: the model, the pooled standardization, the weights and the per-round loss and AUC. */
export const FedAvgAnswerSchema = z.object({
  ...StampSchema,
  ...PartialitySchema,
  n: z.number(),
  seed: z.number(),
  model: z.union([
    z.object({ kind: z.literal('logistic') }),
    z.object({ kind: z.literal('mlp'), hidden: z.number(), activation: z.enum(['relu', 'tanh']) }),
  ]),
  features: z.array(z.object({ name: z.string(), mean: z.number(), sd: z.number() })),
  weights: z.array(z.number()),
  history: z.array(
    z.object({
      round: z.number(),
      trainLoss: z.number(),
      loss: z.number(),
      auc: z.number().nullable(),
      aucError: z.number().nullable(),
    }),
  ),
});

const security = [{ bearer: [] }];

/** Admits a task under the rate limit; a refusal sets the Retry-After header (seconds) before it is thrown. */
function admitOrRetryAfter(limiter: QueryLimiter, task: FederatedTask, reply: FastifyReply) {
  try {
    return limiter.admit(task);
  } catch (e) {
    const retryAfterMs = isMeridianError(e, 'MER_DISCLOSURE_RATE_LIMITED') ? e.details?.retryAfterMs : undefined;
    if (typeof retryAfterMs === 'number') reply.header('retry-after', String(Math.ceil(retryAfterMs / 1000)));
    throw e;
  }
}

/** Registers the federation routes on the hub's user app. */
export function registerFederationRoutes(
  app: FastifyInstance,
  deps: {
    federation: FederationService;
    audit: AuditLog;
    /** Where partial counts are kept for a re-run (rerun.ts). */
    partials?: PartialCounts;
    /** Per-researcher rate limit of near-identical analyses (averaging attacks). */
    limiter: QueryLimiter;
  },
): void {
  // Every analysis route: build the task for the signed-in researcher, run it, audit it with its task id and hash.
  const analysis = <A extends { taskHash: string }>(route: {
    kind: FederatedTask['kind'];
    summary: string;
    body: z.ZodType;
    response: z.ZodType;
    run: (task: FederatedTask) => Promise<A>;
    detail: (answer: A) => Record<string, unknown>;
  }) => {
    app.post(
      `/api/federation/${route.kind}`,
      {
        config: { roles: FEDERATION_ROLES },
        schema: {
          tags: ['federation'],
          summary: route.summary,
          security,
          body: route.body,
          response: { 200: route.response },
        },
      },
      async (request, reply) => {
        const user = signedIn(request);
        const { dp, ...body } = request.body as z.infer<typeof AnalysisBodySchema> & { dp?: DpRequest };
        const parameters = dp === undefined ? body.parameters : { ...body.parameters, dp: dpTaskParameters(dp) };
        const task = deps.federation.task(
          { ...body, ...(parameters === undefined ? {} : { parameters }), kind: route.kind },
          { id: user.username, role: user.role },
        );
        const detail = { taskId: task.taskId, requestId: task.requestId, hospitals: task.hospitals };
        const what = { action: `federation.${route.kind}`, target: task.requestId, detail };
        return audited(deps.audit, user, what, async () => {
          const admission = admitOrRetryAfter(deps.limiter, task, reply);
          const answer = await route.run(task);
          const stamp = { taskHash: answer.taskHash, fingerprint: admission.fingerprint };
          return { answer, detail: { ...detail, ...stamp, ...route.detail(answer) } };
        });
      },
    );
  };
  analysis({
    kind: 'count',
    summary:
      "Count a cohort at every hospital of a data-use request: authorized on the ledger, released under each hospital's minimum cell size or SHRINE obfuscation, or with DP noise whose ε is charged to the project's budget first; partial when a hospital does not answer; rate-limited per researcher (429)",
    body: CountBodySchema,
    response: CountAnswerSchema,
    run: async (task) => {
      const answer = await deps.federation.count(task);
      await deps.partials?.record({ userId: task.user.id, task, answer });
      return answer;
    },
    detail: (a) => ({
      partial: a.partial,
      missing: a.missing,
      ...(a.dp === undefined ? {} : { epsilon: a.dp.epsilon, remainingEpsilon: a.dp.remainingEpsilon }),
    }),
  });
  analysis({
    kind: 'glm',
    summary:
      'Fit a GLM (gaussian, binomial, poisson) across the hospitals of a data-use request: authorized on the ledger, every hospital returns pairwise-masked sums, the coefficients equal the pooled fit',
    body: GlmBodySchema,
    response: GlmAnswerSchema,
    run: (task) => deps.federation.glm(task),
    detail: (a) => ({ rounds: a.rounds, n: a.n }),
  });
  analysis({
    kind: 'km',
    summary:
      'Kaplan–Meier curves across the hospitals of a data-use request on an agreed time grid: masked counts, pooled curves released only over intervals whose counts reach the minimum cell, log-rank test',
    body: AnalysisBodySchema,
    response: KmAnswerSchema,
    run: (task) => deps.federation.km(task),
    detail: (a) => ({ rounds: a.rounds }),
  });
  analysis({
    kind: 'cox',
    summary:
      'Fit a Cox model (stratified by hospital, or unstratified on an agreed grid) across the hospitals of a data-use request: every round is a masked sum, the coefficients equal the pooled fit',
    body: AnalysisBodySchema,
    response: CoxAnswerSchema,
    run: (task) => deps.federation.cox(task),
    detail: (a) => ({ rounds: a.rounds }),
  });
  analysis({
    kind: 'descriptive',
    summary:
      'Descriptive statistics across the hospitals of a data-use request: masked sums; counts under the minimum cell with secondary suppression, mean and SD, histogram quantiles; never a minimum or maximum',
    body: AnalysisBodySchema,
    response: DescriptiveAnswerSchema,
    run: (task) => deps.federation.descriptive(task),
    detail: (a) => ({ rounds: a.rounds }),
  });
  analysis({
    kind: 'fedavg',
    summary:
      'Train a logistic model or a small perceptron by FedAvg with server momentum across the hospitals of a data-use request: pooled standardization, clipped local updates as masked sums, per-round loss and AUC',
    body: AnalysisBodySchema,
    response: FedAvgAnswerSchema,
    run: (task) => deps.federation.fedavg(task),
    detail: (a) => ({ rounds: a.rounds, n: a.n }),
  });
}
