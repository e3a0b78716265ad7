/**
 * The quality dashboard's API on the hub (/api/quality/…): the consortium overview (per node, the pass rate of
 * rules per Kahn category in its newest run) and, per node, runs, one run's results, a category trend over
 * runs, reports, the rule set, and the steward's actions (run now, thresholds, rules). Each call is one or a
 * few `quality.*` tasks on the node, answered through the task channel.
 *
 * Who sees what: every signed-in role reads scores and counts of every node. Failing rows' lineage (file,
 * position, mapping version; never values) and the notes of checks that failed to run reach only the node's
 * own steward: a route of its own, audited, and the report. Running the checks, thresholds and rules are the
 * node's steward's alone, audited on success and on failure, refusals of another hospital's steward too.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { MeridianError } from '../../errors/registry.ts';
import { renderReportHtml } from '../../quality/report-html.ts';
import { CATEGORIES } from '../../quality/rules.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { audited } from '../audit/audited.ts';
import { otherHospitalRefusal } from '../auth/other-hospital.ts';
import { ROLES, type Role } from '../auth/roles.ts';
import { signedIn } from '../auth/signed-in.ts';
import { NodeParamsSchema } from '../ingest/schemas.ts';
import type { NodeTracker } from '../nodes/node-tracker.ts';
import type { TaskQueues } from '../nodes/task-queue.ts';
import { completedRuns, FAN_OUT_MAX, mapBounded, nodeCaller, overviewOf } from './node-call.ts';
import {
  NodeReportSchema,
  NodeResultsSchema,
  NodeRunsSchema,
  OverviewResponseSchema,
  QUALITY_RUNS_MAX,
  QUALITY_TREND_RUNS_MAX,
  ReportQuerySchema,
  ReportResponseSchema,
  RuleBodySchema,
  RulesResponseSchema,
  RunBodySchema,
  RunParamsSchema,
  RunResultsResponseSchema,
  RunSummarySchema,
  RunsQuerySchema,
  SampleParamsSchema,
  SampleResponseSchema,
  SaveRuleResponseSchema,
  ThresholdBodySchema,
  ThresholdResponseSchema,
  TrendQuerySchema,
  TrendResponseSchema,
} from './schemas.ts';
import { type Audience, reportFor, runResultsView, trendPoint } from './views.ts';

/** Roles that may read scores and counts (every role; lineage needs the node's own steward besides). */
export const QUALITY_READ_ROLES = ROLES;
/** Roles that may see failing rows, run the checks and change thresholds and rules (their own hospital's only). */
export const QUALITY_STEWARD_ROLES = ['steward'] as const satisfies readonly Role[];

/** How long the hub waits for a node's answer, per kind of call. */
export interface QualityTimeouts {
  /** One read; below the portal's own 15 s request limit, so the user sees the hub's clear answer. */
  readMs: number;
  /** A threshold or a rule (one small write on the node). */
  writeMs: number;
  /** Running every rule over a large hospital's lake takes minutes. */
  runMs: number;
}

/** The default waits: 5 s for a read (a trend makes several), 30 s for an edit, 30 min for a run. */
export const QUALITY_TIMEOUTS_DEFAULT: QualityTimeouts = { readMs: 5_000, writeMs: 30_000, runMs: 30 * 60_000 };

/** Runs listed by default. */
const RUNS_DEFAULT = 50;
/** Runs in a trend by default. */
const TREND_RUNS_DEFAULT = 20;
/** Tasks in flight to one node while a trend is gathered. */
const TREND_CONCURRENCY = 4;

/** What the quality routes need. */
export interface QualityRouteDeps {
  tracker: NodeTracker;
  queues: TaskQueues;
  audit: AuditLog;
  timeouts?: Partial<QualityTimeouts> | undefined;
}

const security = [{ bearer: [] }];
const tags = ['quality'];

/** Registers the quality routes on the hub's user app. */
export function registerQualityRoutes(app: FastifyInstance, deps: QualityRouteDeps): void {
  const timeouts = { ...QUALITY_TIMEOUTS_DEFAULT, ...deps.timeouts };
  const call = nodeCaller(deps);
  const reader = { roles: QUALITY_READ_ROLES };
  const steward = { roles: QUALITY_STEWARD_ROLES };

  /** Whether the signed-in user is the steward of the node in the route. */
  const audienceOf = (request: FastifyRequest): Audience => {
    const { node } = request.params as z.infer<typeof NodeParamsSchema>;
    const user = signedIn(request);
    return user.role === 'steward' && user.hospital === node ? 'steward' : 'counts';
  };

  /** The node of a steward-only route, after checking it is the steward's own (refusals are audited). */
  const ownNode = async (request: FastifyRequest): Promise<string> => {
    const { node } = request.params as z.infer<typeof NodeParamsSchema>;
    if (audienceOf(request) === 'steward') return node;
    throw await otherHospitalRefusal(
      request,
      deps.audit,
      node,
      'MER_QUALITY_OTHER_HOSPITAL',
      `; only ${node}'s steward may do this`,
    );
  };

  app.get(
    '/api/quality/overview',
    {
      config: reader,
      schema: {
        tags,
        summary: "Every node's newest quality run as scores per Kahn category (aggregates only)",
        security,
        response: { 200: OverviewResponseSchema },
      },
    },
    async () => {
      const nodes = deps.tracker.list();
      const lines = await mapBounded(nodes, FAN_OUT_MAX, (n) => overviewOf(call, n, timeouts.readMs));
      return { categories: [...CATEGORIES], nodes: lines };
    },
  );

  app.get(
    '/api/quality/:node/runs',
    {
      config: reader,
      schema: {
        tags,
        summary: "A node's quality runs, newest first",
        security,
        params: NodeParamsSchema,
        querystring: RunsQuerySchema,
        response: { 200: NodeRunsSchema },
      },
    },
    async (request) => {
      const { node } = request.params as z.infer<typeof NodeParamsSchema>;
      const { limit = RUNS_DEFAULT } = request.query as z.infer<typeof RunsQuerySchema>;
      return call(node, 'quality.runs', { limit: Math.min(limit, QUALITY_RUNS_MAX) }, timeouts.readMs, NodeRunsSchema);
    },
  );

  app.get(
    '/api/quality/:node/runs/:runId',
    {
      config: reader,
      schema: {
        tags,
        summary: 'One run: every rule under the thresholds in force now, tallies per category, quarantine counts',
        security,
        params: RunParamsSchema,
        response: { 200: RunResultsResponseSchema },
      },
    },
    async (request) => {
      const { node, runId } = request.params as z.infer<typeof RunParamsSchema>;
      const answer = await call(node, 'quality.results', { runId }, timeouts.readMs, NodeResultsSchema);
      return runResultsView(answer, audienceOf(request));
    },
  );

  app.get(
    '/api/quality/:node/runs/:runId/rules/:ruleId/sample',
    {
      config: steward,
      schema: {
        tags,
        summary: "A failing rule's rows in one run: file, position, mapping version (the node's own steward only)",
        security,
        params: SampleParamsSchema,
        response: { 200: SampleResponseSchema },
      },
    },
    async (request) => {
      const node = await ownNode(request);
      const { runId, ruleId } = request.params as z.infer<typeof SampleParamsSchema>;
      const user = signedIn(request);
      return audited(
        deps.audit,
        user,
        { action: 'quality.sample', target: node, detail: { runId, ruleId } },
        async () => {
          const answer = await call(node, 'quality.results', { runId }, timeouts.readMs, NodeResultsSchema);
          const result = answer.results.find((r) => r.ruleId === ruleId);
          if (!result) {
            throw new MeridianError('MER_QUALITY_RULE_UNKNOWN', `run ${runId} of ${node} has no rule ${ruleId}`, {
              node,
              runId,
              ruleId,
            });
          }
          const sample = { runId, ruleId, failing: result.failing, sample: result.sample };
          return { answer: sample, detail: { rows: result.sample.length } };
        },
      );
    },
  );

  app.get(
    '/api/quality/:node/trend',
    {
      config: reader,
      schema: {
        tags,
        summary: 'The score of each Kahn category over the newest completed runs, oldest first',
        security,
        params: NodeParamsSchema,
        querystring: TrendQuerySchema,
        response: { 200: TrendResponseSchema },
      },
    },
    async (request) => {
      const { node } = request.params as z.infer<typeof NodeParamsSchema>;
      const { limit = TREND_RUNS_DEFAULT } = request.query as z.infer<typeof TrendQuerySchema>;
      const runs = await completedRuns(call, node, {
        limit: Math.min(limit, QUALITY_TREND_RUNS_MAX),
        window: QUALITY_RUNS_MAX,
        timeoutMs: timeouts.readMs,
      });
      const points = await mapBounded(runs.reverse(), TREND_CONCURRENCY, async (run) => {
        const answer = await call(node, 'quality.results', { runId: run.runId }, timeouts.readMs, NodeResultsSchema);
        return trendPoint(run, answer.results);
      });
      return { points };
    },
  );

  app.get(
    '/api/quality/:node/runs/:runId/report',
    {
      config: reader,
      schema: {
        tags,
        summary: "A run's report as JSON or a self-contained HTML page (lineage for the node's own steward only)",
        security,
        params: RunParamsSchema,
        querystring: ReportQuerySchema,
        response: { 200: ReportResponseSchema },
      },
    },
    async (request) => {
      const { node, runId } = request.params as z.infer<typeof RunParamsSchema>;
      const { format, lang } = request.query as z.infer<typeof ReportQuerySchema>;
      const answer = await call(node, 'quality.report', { runId, format: 'json' }, timeouts.readMs, NodeReportSchema);
      const report = reportFor(answer.report, audienceOf(request));
      return format === 'json' ? { format, report } : { format, lang, html: renderReportHtml(report, lang) };
    },
  );

  app.get(
    '/api/quality/:node/rules',
    {
      config: reader,
      schema: {
        tags,
        summary: 'The rule set in force (built-in and steward rules) and its version',
        security,
        params: NodeParamsSchema,
        response: { 200: RulesResponseSchema },
      },
    },
    async (request) => {
      const { node } = request.params as z.infer<typeof NodeParamsSchema>;
      return call(node, 'quality.rules', {}, timeouts.readMs, RulesResponseSchema);
    },
  );

  app.post(
    '/api/quality/:node/run',
    {
      config: steward,
      schema: {
        tags,
        summary: "Run every rule now, over one load's rows or the whole lake",
        security,
        params: NodeParamsSchema,
        body: RunBodySchema,
        response: { 200: RunSummarySchema },
      },
    },
    async (request) => {
      const node = await ownNode(request);
      const body = request.body as z.infer<typeof RunBodySchema>;
      const user = signedIn(request);
      const detail = { loadId: body.loadId ?? null };
      return audited(deps.audit, user, { action: 'quality.run', target: node, detail }, async () => {
        const answer = await call(node, 'quality.run', body, timeouts.runMs, RunSummarySchema);
        return {
          answer,
          detail: { runId: answer.runId, failed: answer.failed, ruleSetVersion: answer.ruleSetVersion },
        };
      });
    },
  );

  app.post(
    '/api/quality/:node/thresholds',
    {
      config: steward,
      schema: {
        tags,
        summary: "Change a rule's threshold; every stored run is re-evaluated from its counts, nothing re-runs",
        security,
        params: NodeParamsSchema,
        body: ThresholdBodySchema,
        response: { 200: ThresholdResponseSchema },
      },
    },
    async (request) => {
      const node = await ownNode(request);
      const body = request.body as z.infer<typeof ThresholdBodySchema>;
      const user = signedIn(request);
      return audited(deps.audit, user, { action: 'quality.threshold', target: node, detail: { ...body } }, async () => {
        const answer = await call(
          node,
          'quality.threshold',
          { ...body, by: user.username },
          timeouts.writeMs,
          ThresholdResponseSchema,
        );
        const newest = answer.trend.at(-1);
        return { answer, detail: { runs: answer.trend.length, newestPassed: newest?.passed ?? null } };
      });
    },
  );

  app.post(
    '/api/quality/:node/rules',
    {
      config: steward,
      schema: {
        tags,
        summary: 'Save a steward rule as its next version (validated on the node against the canonical model)',
        security,
        params: NodeParamsSchema,
        body: RuleBodySchema,
        response: { 200: SaveRuleResponseSchema },
      },
    },
    async (request) => {
      const node = await ownNode(request);
      const { rule } = request.body as z.infer<typeof RuleBodySchema>;
      const user = signedIn(request);
      const ruleId = typeof rule.id === 'string' ? rule.id.slice(0, 100) : null;
      return audited(deps.audit, user, { action: 'quality.rule', target: node, detail: { ruleId } }, async () => {
        const answer = await call(
          node,
          'quality.saveRule',
          { rule, by: user.username },
          timeouts.writeMs,
          SaveRuleResponseSchema,
        );
        const { version, created, ruleSetVersion } = answer;
        return { answer, detail: { version, created, ruleSetVersion } };
      });
    },
  );
}
