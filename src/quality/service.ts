/**
 * The node's quality service: runs the rule set over the lake (after a load, or on demand), stores raw counts
 * per rule with the rule set as run and its version, re-applies thresholds to stored counts, keeps steward
 * rules versioned, and renders reports.
 *
 * ```
 * run({ loadId? }) ─► rules (built-in + steward, latest versions) ─► ruleSetVersion
 *        └─► per rule: compileRule ─► lake.query (counts, lineage sample) ─┐
 *        └─► quarantine summary (records refused at load, per reason) ─────┼─► one transaction: results stored
 * results/trend/report ◄─ stored counts × thresholds in force (never stored) ┘
 * ```
 */
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { MeridianError } from '../errors/registry.ts';
import { canonicalize } from '../ledger/index.ts';
import type { Lake, LakeResultValue } from '../store/index.ts';
import { compileQuarantineSummary, compileRule, type LineageSample } from './compile.ts';
import { buildReport, type QualityReport, type ReportLanguage } from './report.ts';
import { renderReportHtml } from './report-html.ts';
import {
  evaluate,
  type QuarantineCount,
  type RuleResult,
  type RunInfo,
  type RunResults,
  type TrendPoint,
  thresholdOf,
} from './results.ts';
import { parseRule, type QualityRule, RULES_MAX, ruleSetVersion } from './rules.ts';
import type { QualityDatabase, QualityResultTable, QualityRunTable } from './schema.ts';
import { BUILTIN_RULE_IDS, BUILTIN_RULES } from './templates.ts';

/** Most runs listed at once. */
export const RUNS_PAGE_MAX = 500;
/** Most points of a trend. */
export const TREND_POINTS_MAX = 500;
/** Most quarantine reason groups kept per run. */
export const QUARANTINE_GROUPS_MAX = 1_000;
/** Longest note kept for a rule that could not run. */
const NOTE_CHARS_MAX = 500;
/** Load ids a run accepts: what the loader and the lake accept as batch ids. */
const LOAD_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
const INSERT_CHUNK_ROWS = 200;

/** What the service needs. */
export interface QualityServiceOptions {
  db: Kysely<QualityDatabase>;
  lake: Lake;
  /** The node's name, shown in reports. */
  node?: string;
  now?: () => Date;
}

/** What one run did, in brief. */
export interface RunSummary {
  runId: string;
  loadId: string | null;
  ruleSetVersion: string;
  startedAt: string;
  finishedAt: string;
  rules: number;
  evaluated: number;
  notApplicable: number;
  errors: number;
  /** Rules failing under the thresholds in force when the run finished. */
  failed: number;
  quarantined: number;
}

/** A saved steward rule. */
export interface SavedRule {
  rule: QualityRule;
  version: number;
  /** False when the rule was identical to its latest version, so nothing was stored. */
  created: boolean;
  ruleSetVersion: string;
}

/** The quality service of one node. */
export class QualityService {
  readonly #db: Kysely<QualityDatabase>;
  readonly #lake: Lake;
  readonly #node: string | null;
  readonly #now: () => Date;

  constructor(options: QualityServiceOptions) {
    this.#db = options.db;
    this.#lake = options.lake;
    this.#node = options.node ?? null;
    this.#now = options.now ?? (() => new Date());
  }

  /** The rule set in force: the built-in rules, then the latest version of each steward rule (by id). */
  async rules(): Promise<QualityRule[]> {
    const rows = await this.#db
      .selectFrom('quality_rules')
      .select(['id', 'rule'])
      .distinctOn('id')
      .orderBy('id')
      .orderBy('version', 'desc')
      .limit(RULES_MAX)
      .execute();
    return [...BUILTIN_RULES, ...rows.map((r) => parseRule(JSON.parse(r.rule)))];
  }

  /** The version of a rule set (SHA-256 of its canonical checks). */
  versionOf(rules: readonly QualityRule[]): string {
    return ruleSetVersion(rules);
  }

  /** Validates and stores a steward rule as its next version; an unchanged rule stores nothing. */
  async saveRule(input: unknown, by = 'steward'): Promise<SavedRule> {
    const rule = parseRule(input);
    if (BUILTIN_RULE_IDS.has(rule.id)) {
      throw new MeridianError(
        'MER_QUALITY_RULE_INVALID',
        `Quality rule ${JSON.stringify(rule.id)}: id: is a built-in rule; give your rule its own id (value: "${rule.id}")`,
        { ruleId: rule.id },
      );
    }
    const text = canonicalize(rule);
    const saved = await this.#db.transaction().execute(async (trx) => {
      const latest = await trx
        .selectFrom('quality_rules')
        .select(['version', 'rule'])
        .where('id', '=', rule.id)
        .orderBy('version', 'desc')
        .limit(1)
        .executeTakeFirst();
      if (latest && canonicalize(JSON.parse(latest.rule)) === text) return { version: latest.version, created: false };
      if (!latest) {
        const custom = await trx
          .selectFrom('quality_rules')
          .select((eb) => eb.fn.count<number>('id').distinct().as('n'))
          .executeTakeFirstOrThrow();
        if (Number(custom.n) + BUILTIN_RULES.length >= RULES_MAX) {
          throw new MeridianError('MER_QUALITY_RULE_INVALID', `A rule set holds at most ${RULES_MAX} rules`, {
            ruleId: rule.id,
          });
        }
      }
      const version = (latest?.version ?? 0) + 1;
      await trx
        .insertInto('quality_rules')
        .values({ id: rule.id, version, rule: text, created_at: this.#now(), created_by: by.slice(0, 200) })
        .execute();
      return { version, created: true };
    });
    return { rule, ...saved, ruleSetVersion: ruleSetVersion(await this.rules()) };
  }

  /** Runs every rule over the rows of one load (or the whole lake) and stores the raw counts. */
  async run(opts: { loadId?: string } = {}): Promise<RunSummary> {
    if (opts.loadId !== undefined && !LOAD_ID.test(opts.loadId)) {
      throw new MeridianError(
        'MER_HTTP_VALIDATION',
        `loadId ${JSON.stringify(opts.loadId.slice(0, 40))} is not a load id`,
        {
          loadId: opts.loadId.slice(0, 140),
        },
      );
    }
    const rules = await this.rules();
    const version = ruleSetVersion(rules);
    const startedAt = this.#now();
    const asOf = startedAt.toISOString().slice(0, 10);
    const runId = `qr-${startedAt.toISOString().replace(/\D/g, '').slice(0, 14)}-${randomBytes(4).toString('hex')}`;
    await this.#db
      .insertInto('quality_runs')
      .values({
        run_id: runId,
        load_id: opts.loadId ?? null,
        rule_set_version: version,
        rule_set: JSON.stringify(rules),
        as_of: asOf,
        started_at: startedAt,
        finished_at: null,
        status: 'running',
        error: null,
      })
      .execute();
    try {
      const present = new Set(await this.#lake.tables());
      const results: QualityResultTable[] = [];
      for (const rule of rules) results.push(await this.#evaluateRule(runId, rule, present, opts.loadId, asOf));
      const quarantine = present.has('quarantine') ? await this.#quarantine(opts.loadId) : [];
      const finishedAt = this.#now();
      await this.#db.transaction().execute(async (trx) => {
        for (let i = 0; i < results.length; i += INSERT_CHUNK_ROWS) {
          await trx
            .insertInto('quality_results')
            .values(results.slice(i, i + INSERT_CHUNK_ROWS))
            .execute();
        }
        const groups = quarantine.map((g, position) => ({
          run_id: runId,
          position,
          code: g.code,
          table_name: g.table,
          field: g.field,
          bound: g.bound,
          mapping_version: g.mappingVersion,
          count: g.count,
        }));
        for (let i = 0; i < groups.length; i += INSERT_CHUNK_ROWS) {
          await trx
            .insertInto('quality_quarantine')
            .values(groups.slice(i, i + INSERT_CHUNK_ROWS))
            .execute();
        }
        await trx
          .updateTable('quality_runs')
          .set({ status: 'completed', finished_at: finishedAt })
          .where('run_id', '=', runId)
          .execute();
      });
      const evaluated = await this.results(runId);
      return {
        runId,
        loadId: opts.loadId ?? null,
        ruleSetVersion: version,
        startedAt: startedAt.toISOString(),
        finishedAt: finishedAt.toISOString(),
        rules: rules.length,
        evaluated: results.filter((r) => r.status === 'evaluated').length,
        notApplicable: results.filter((r) => r.status === 'not_applicable').length,
        errors: results.filter((r) => r.status === 'error').length,
        failed: evaluated.results.filter((r) => r.passed === false).length,
        quarantined: quarantine.reduce((n, g) => n + g.count, 0),
      };
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      await this.#db
        .updateTable('quality_runs')
        .set({ status: 'failed', finished_at: this.#now(), error: message.slice(0, NOTE_CHARS_MAX) })
        .where('run_id', '=', runId)
        .execute();
      throw e;
    }
  }

  /** Runs, newest first. */
  async runs(limit = 50): Promise<RunInfo[]> {
    const rows = await this.#db
      .selectFrom('quality_runs')
      .select(['run_id', 'load_id', 'rule_set_version', 'as_of', 'started_at', 'finished_at', 'status', 'error'])
      .orderBy('started_at', 'desc')
      .orderBy('run_id', 'desc')
      .limit(Math.max(1, Math.min(limit, RUNS_PAGE_MAX)))
      .execute();
    return rows.map(runInfo);
  }

  /** A run's results under the thresholds in force now. */
  async results(runId: string): Promise<RunResults> {
    const run = await this.#run(runId);
    const asRun = new Map((JSON.parse(run.rule_set) as QualityRule[]).map((r) => [r.id, r]));
    const [rows, quarantine, thresholds] = await Promise.all([
      this.#db.selectFrom('quality_results').selectAll().where('run_id', '=', runId).orderBy('rule_id').execute(),
      this.#db.selectFrom('quality_quarantine').selectAll().where('run_id', '=', runId).orderBy('position').execute(),
      this.#thresholds(),
    ]);
    const results = rows.flatMap((row) => {
      const rule = asRun.get(row.rule_id);
      return rule ? [ruleResult(rule, row, thresholdOf(row.rule_id, { ...thresholds, asRun: rule }))] : [];
    });
    return {
      run: runInfo(run),
      results,
      quarantine: quarantine.map((q) => ({
        code: q.code,
        table: q.table_name,
        field: q.field,
        bound: q.bound as QuarantineCount['bound'],
        mappingVersion: q.mapping_version,
        count: Number(q.count),
      })),
    };
  }

  /** One rule's results across completed runs, oldest first (the latest {@link TREND_POINTS_MAX}). */
  async trend(ruleId: string, opts: { before?: Date; limit?: number } = {}): Promise<TrendPoint[]> {
    const thresholds = await this.#thresholds();
    let query = this.#db
      .selectFrom('quality_results as r')
      .innerJoin('quality_runs as u', 'u.run_id', 'r.run_id')
      .select([
        'r.run_id',
        'r.status',
        'r.failing',
        'r.denominator',
        'u.load_id',
        'u.started_at',
        'u.rule_set_version',
        'u.rule_set',
      ])
      .where('r.rule_id', '=', ruleId)
      .where('u.status', '=', 'completed');
    if (opts.before) query = query.where('u.started_at', '<=', opts.before);
    const rows = await query
      .orderBy('u.started_at', 'desc')
      .orderBy('u.run_id', 'desc')
      .limit(Math.max(1, Math.min(opts.limit ?? TREND_POINTS_MAX, TREND_POINTS_MAX)))
      .execute();
    if (rows.length === 0 && !thresholds.current.has(ruleId)) {
      throw new MeridianError('MER_QUALITY_RULE_UNKNOWN', `No quality rule ${JSON.stringify(ruleId)}`, { ruleId });
    }
    return rows.reverse().map((row) => {
      const asRun = (JSON.parse(row.rule_set) as QualityRule[]).find((r) => r.id === ruleId);
      const thresholdPct = thresholdOf(ruleId, { ...thresholds, asRun });
      const raw = { status: row.status, failing: Number(row.failing), denominator: Number(row.denominator) };
      return {
        runId: row.run_id,
        loadId: row.load_id,
        startedAt: row.started_at.toISOString(),
        ruleSetVersion: row.rule_set_version,
        ...raw,
        ...evaluate(raw, thresholdPct),
        thresholdPct,
      };
    });
  }

  /** Sets a rule's threshold (percent) and returns its trend re-evaluated from stored counts (no SQL re-run). */
  async setThreshold(
    ruleId: string,
    thresholdPct: number,
    by = 'steward',
  ): Promise<{ ruleId: string; thresholdPct: number; trend: TrendPoint[] }> {
    if (!Number.isFinite(thresholdPct) || thresholdPct < 0 || thresholdPct > 100) {
      throw new MeridianError(
        'MER_HTTP_VALIDATION',
        `threshold for ${ruleId} must be a percentage from 0 to 100 (value: ${String(thresholdPct)})`,
        { ruleId, thresholdPct },
      );
    }
    const rules = await this.rules();
    if (!rules.some((r) => r.id === ruleId)) {
      throw new MeridianError('MER_QUALITY_RULE_UNKNOWN', `No quality rule ${JSON.stringify(ruleId)}`, { ruleId });
    }
    const row = { rule_id: ruleId, threshold_pct: thresholdPct, updated_at: this.#now(), updated_by: by.slice(0, 200) };
    await this.#db
      .insertInto('quality_thresholds')
      .values(row)
      .onConflict((oc) => oc.column('rule_id').doUpdateSet(row))
      .execute();
    return { ruleId, thresholdPct, trend: await this.trend(ruleId) };
  }

  /** The report of a run: the JSON document, or a self-contained HTML page (zh-CN by default). */
  async report(runId: string, format: 'json', opts?: { lang?: ReportLanguage }): Promise<QualityReport>;
  async report(runId: string, format: 'html', opts?: { lang?: ReportLanguage }): Promise<string>;
  async report(
    runId: string,
    format: 'json' | 'html',
    opts: { lang?: ReportLanguage } = {},
  ): Promise<QualityReport | string> {
    const results = await this.results(runId);
    const startedAt = new Date(results.run.startedAt);
    const failing = results.results.filter((r) => r.passed === false).map((r) => r.ruleId);
    const trends: Record<string, TrendPoint[]> = {};
    for (const ruleId of failing.slice(0, 10))
      trends[ruleId] = await this.trend(ruleId, { before: startedAt, limit: 30 });
    const report = buildReport({ node: this.#node, results, trends });
    return format === 'json' ? report : renderReportHtml(report, opts.lang ?? 'zh-CN');
  }

  async #run(runId: string): Promise<QualityRunTable> {
    const run = await this.#db.selectFrom('quality_runs').selectAll().where('run_id', '=', runId).executeTakeFirst();
    if (!run) throw new MeridianError('MER_QUALITY_RUN_UNKNOWN', `No quality run ${JSON.stringify(runId)}`, { runId });
    return run;
  }

  async #thresholds(): Promise<{ overrides: Map<string, number>; current: Map<string, QualityRule> }> {
    const [rows, rules] = await Promise.all([
      this.#db
        .selectFrom('quality_thresholds')
        .select(['rule_id', 'threshold_pct'])
        .limit(RULES_MAX * 2)
        .execute(),
      this.rules(),
    ]);
    return {
      overrides: new Map(rows.map((r) => [r.rule_id, Number(r.threshold_pct)])),
      current: new Map(rules.map((r) => [r.id, r])),
    };
  }

  async #evaluateRule(
    runId: string,
    rule: QualityRule,
    present: ReadonlySet<string>,
    loadId: string | undefined,
    asOf: string,
  ): Promise<QualityResultTable> {
    const compiled = compileRule(rule, { present, asOf, ...(loadId === undefined ? {} : { loadId }) });
    const row = { run_id: runId, rule_id: rule.id, failing: 0, denominator: 0, sample: '[]', note: null };
    if (compiled.kind === 'not_applicable') return { ...row, status: 'not_applicable', note: compiled.reason };
    try {
      const [counts] = await this.#lake.query(compiled.counts.sql, compiled.counts.params);
      const failing = Number(counts?.failing ?? 0);
      const sample =
        failing > 0
          ? (await this.#lake.query(compiled.sample.sql, compiled.sample.params)).map(lineageOf)
          : ([] as LineageSample[]);
      return {
        ...row,
        status: 'evaluated',
        failing,
        denominator: Number(counts?.denominator ?? 0),
        sample: JSON.stringify(sample),
      };
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      return { ...row, status: 'error', note: message.slice(0, NOTE_CHARS_MAX) };
    }
  }

  async #quarantine(loadId: string | undefined): Promise<QuarantineCount[]> {
    const q = compileQuarantineSummary({
      groupsMax: QUARANTINE_GROUPS_MAX,
      ...(loadId === undefined ? {} : { loadId }),
    });
    const rows = await this.#lake.query(q.sql, q.params);
    return rows.map((r) => ({
      code: String(r.code),
      table: textOrNull(r.table_name),
      field: textOrNull(r.field),
      bound: textOrNull(r.bound) as QuarantineCount['bound'],
      mappingVersion: textOrNull(r.mapping_version),
      count: Number(r.n),
    }));
  }
}

function runInfo(run: Omit<QualityRunTable, 'rule_set'>): RunInfo {
  return {
    runId: run.run_id,
    loadId: run.load_id,
    ruleSetVersion: run.rule_set_version,
    asOf: run.as_of,
    startedAt: run.started_at.toISOString(),
    finishedAt: run.finished_at ? run.finished_at.toISOString() : null,
    status: run.status,
    error: run.error,
  };
}

function ruleResult(rule: QualityRule, row: QualityResultTable, thresholdPct: number): RuleResult {
  const raw = { status: row.status, failing: Number(row.failing), denominator: Number(row.denominator) };
  return {
    ruleId: rule.id,
    category: rule.category,
    subcategory: rule.subcategory,
    table: rule.table,
    severity: rule.severity,
    countBy: rule.countBy,
    description: rule.description,
    ...raw,
    ...evaluate(raw, thresholdPct),
    thresholdPct,
    sample: JSON.parse(row.sample) as LineageSample[],
    note: row.note,
  };
}

function lineageOf(row: Record<string, LakeResultValue>): LineageSample {
  return {
    source_sha256: textOrNull(row.source_sha256),
    source_position: textOrNull(row.source_position),
    mapping_version: textOrNull(row.mapping_version),
    load_id: textOrNull(row.load_id),
  };
}

function textOrNull(v: unknown): string | null {
  return v === null || v === undefined ? null : String(v);
}
