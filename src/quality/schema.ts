/** Tables the quality engine owns in a node's operational database, and their migrations. */
import type { Kysely } from 'kysely';
import type { Migration } from '../store/index.ts';

/** Row of quality_rules: every version of every steward-written rule, as JSON; the newest is in use. */
export interface QualityRuleTable {
  id: string;
  version: number;
  rule: string;
  created_at: Date;
  created_by: string;
}

/** Row of quality_thresholds: a steward's threshold for a rule, overriding the rule's own (percent). */
export interface QualityThresholdTable {
  rule_id: string;
  threshold_pct: number;
  updated_at: Date;
  updated_by: string;
}

/** Row of quality_runs: one run of the rule set, after a load or on demand. */
export interface QualityRunTable {
  run_id: string;
  /** The load whose rows were checked; null for an on-demand run over the whole lake. */
  load_id: string | null;
  rule_set_version: string;
  /** The rules as run (JSON array), so old results keep their meaning after the rules change. */
  rule_set: string;
  /** Reference date of age checks (YYYY-MM-DD). */
  as_of: string;
  started_at: Date;
  finished_at: Date | null;
  status: 'running' | 'completed' | 'failed';
  error: string | null;
}

/** Row of quality_results: one rule's raw counts in one run (pass/fail is computed from current thresholds). */
export interface QualityResultTable {
  run_id: string;
  rule_id: string;
  status: 'evaluated' | 'not_applicable' | 'error';
  failing: number;
  denominator: number;
  /** JSON array of failing rows' lineage (bounded). */
  sample: string;
  /** Why the rule was not applicable or failed to run. */
  note: string | null;
}

/** Row of quality_quarantine: records refused at load, per reason, as seen by one run. */
export interface QualityQuarantineTable {
  run_id: string;
  position: number;
  code: string;
  table_name: string | null;
  field: string | null;
  bound: string | null;
  mapping_version: string | null;
  count: number;
}

/** Kysely view of the quality engine's tables. */
export interface QualityDatabase {
  quality_rules: QualityRuleTable;
  quality_thresholds: QualityThresholdTable;
  quality_runs: QualityRunTable;
  quality_results: QualityResultTable;
  quality_quarantine: QualityQuarantineTable;
}

/** Quality migrations, applied after the pipeline's. */
export const QUALITY_MIGRATIONS: Migration[] = [
  {
    id: 'quality-0001-rules-runs',
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('quality_rules')
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('rule', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('quality_rules_pk', ['id', 'version'])
        .execute();
      await db.schema
        .createTable('quality_thresholds')
        .addColumn('rule_id', 'text', (c) => c.primaryKey())
        .addColumn('threshold_pct', 'double precision', (c) => c.notNull())
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
        .addColumn('updated_by', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('quality_runs')
        .addColumn('run_id', 'text', (c) => c.primaryKey())
        .addColumn('load_id', 'text')
        .addColumn('rule_set_version', 'text', (c) => c.notNull())
        .addColumn('rule_set', 'text', (c) => c.notNull())
        .addColumn('as_of', 'text', (c) => c.notNull())
        .addColumn('started_at', 'timestamptz', (c) => c.notNull())
        .addColumn('finished_at', 'timestamptz')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('error', 'text')
        .execute();
      await db.schema.createIndex('quality_runs_started').on('quality_runs').columns(['started_at']).execute();
      await db.schema
        .createTable('quality_results')
        .addColumn('run_id', 'text', (c) => c.notNull().references('quality_runs.run_id'))
        .addColumn('rule_id', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('failing', 'bigint', (c) => c.notNull())
        .addColumn('denominator', 'bigint', (c) => c.notNull())
        .addColumn('sample', 'text', (c) => c.notNull())
        .addColumn('note', 'text')
        .addPrimaryKeyConstraint('quality_results_pk', ['run_id', 'rule_id'])
        .execute();
      await db.schema.createIndex('quality_results_rule').on('quality_results').columns(['rule_id']).execute();
      await db.schema
        .createTable('quality_quarantine')
        .addColumn('run_id', 'text', (c) => c.notNull().references('quality_runs.run_id'))
        .addColumn('position', 'integer', (c) => c.notNull())
        .addColumn('code', 'text', (c) => c.notNull())
        .addColumn('table_name', 'text')
        .addColumn('field', 'text')
        .addColumn('bound', 'text')
        .addColumn('mapping_version', 'text')
        .addColumn('count', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('quality_quarantine_pk', ['run_id', 'position'])
        .execute();
    },
  },
];
