/**
 * Compiles a quality rule to DuckDB SQL over the lake's DWD views; pure (no I/O, no clock: the reference date
 * for age checks comes in the context). Every rule becomes two statements over the same rows:
 *
 * ```
 * base    = rows of the rule's table [of one load] [matching the rule's where filter]
 * checked = base rows the check applies to (e.g. a non-null value)          → denominator
 * failing = checked rows that break the check                              → failing count
 * counts: count(*) | count(distinct person_id) | count(distinct source record), per the rule's countBy
 * sample: the failing rows' lineage (source_sha256, source_position, mapping_version, load_id), bounded
 * ```
 *
 * A table the rule reads but the lake lacks is an empty relation of the canonical columns (a reference into it
 * fails, an order check against it passes); a rule whose own table is absent is not applicable. Values from a
 * rule travel as parameters, names only after validation against the canonical model.
 */

import { DWD_TABLES, type DwdTable, lakeColumns } from '../model/dwd.ts';
import { ENCRYPTED_FIELDS } from '../privacy/field-crypto.ts';
import type { LakeParam } from '../store/index.ts';
import { type Check, type CountUnit, fieldType, type QualityRule } from './rules.ts';

/** Most failing rows' lineage kept per rule. */
export const SAMPLE_ROWS_MAX = 20;

/** What the compiler needs to know about the lake and the run. */
export interface CompileContext {
  /** Tables the lake holds now. */
  present: ReadonlySet<string>;
  /** Check only the rows of this load (references and duplicates of other rows still see the whole table). */
  loadId?: string;
  /** Reference date (YYYY-MM-DD) for age checks: the run's start. */
  asOf: string;
  /** Failing rows' lineage to return (at most {@link SAMPLE_ROWS_MAX}). */
  sampleRows?: number;
}

/** One statement and its positional parameters ($1, $2, …). */
export interface CompiledSql {
  sql: string;
  params: LakeParam[];
}

/** A compiled rule: its counting and sampling statements, or why it does not apply. */
export type CompiledRule =
  | { kind: 'sql'; counts: CompiledSql; sample: CompiledSql }
  | { kind: 'not_applicable'; reason: string };

/** The lineage of one failing row. */
export interface LineageSample {
  source_sha256: string | null;
  source_position: string | null;
  mapping_version: string | null;
  load_id: string | null;
}

/** Extracts the source record from a position: 'oru.hl7#56/6(OBX)' → 'oru.hl7#56', 'b.json[7]@component[0]' → 'b.json[7]'. */
export const RECORD_OF_POSITION = String.raw`(/[0-9]+\([^)]*\))?(@.*)?$`;

/**
 * Compiles one validated rule.
 *
 * @example
 * const c = compileRule(rule, { present: new Set(await lake.tables()), asOf: '2026-05-01' });
 * if (c.kind === 'sql') { const [row] = await lake.query(c.counts.sql, c.counts.params); }
 */
export function compileRule(rule: QualityRule, ctx: CompileContext): CompiledRule {
  const table = rule.table as DwdTable;
  if (!ctx.present.has(table)) return { kind: 'not_applicable', reason: `the lake has no ${table} table` };
  const p = new Params();
  const scope: string[] = [];
  if (ctx.loadId !== undefined) scope.push(`t.load_id = ${p.add(ctx.loadId)}`);
  for (const [field, values] of Object.entries(rule.where ?? {})) {
    scope.push(`cast(t.${q(field)} as varchar) in (${values.map((v) => p.add(String(v))).join(', ')})`);
  }
  const base = `select t.* from ${q(table)} t${scope.length > 0 ? ` where ${scope.join(' and ')}` : ''}`;
  const parts = checkParts(rule.check, table, ctx, p);
  const ranked = parts.ranked ? `, ranked as (${parts.ranked})` : '';
  const failingFrom = parts.ranked ? 'ranked' : 'base';
  const ctes = `with base as (${base})${ranked}, checked as (select * from base t where ${parts.applies}), failing as (select * from ${failingFrom} t where ${parts.applies} and (${parts.fails}))`;
  const unit = countExpression(rule.countBy);
  const sampleRows = Math.max(0, Math.min(ctx.sampleRows ?? SAMPLE_ROWS_MAX, SAMPLE_ROWS_MAX));
  return {
    kind: 'sql',
    counts: {
      sql: `${ctes} select (select ${unit} from checked t) as denominator, (select ${unit} from failing t) as failing`,
      params: p.values,
    },
    sample: {
      sql: `${ctes} select t.source_sha256, t.source_position, t.mapping_version, t.load_id from failing t order by t.source_sha256, t.source_position, t.mapping_version limit ${sampleRows}`,
      params: p.values,
    },
  };
}

/** The quarantine (records refused at load) per reason: code, DWD table and field, which bound, mapping spec. */
export function compileQuarantineSummary(opts: { loadId?: string; groupsMax: number }): CompiledSql {
  const p = new Params();
  const where = opts.loadId === undefined ? '' : `where load_id = ${p.add(opts.loadId)}`;
  return {
    sql: `select code,
        case when mapping_version is null then null else nullif(regexp_extract(message, '^([a-z_]+)\\.', 1), '') end as table_name,
        field,
        case
          when code = 'MAP_RANGE' and message like '%below the plausible minimum%' then 'min'
          when code = 'MAP_RANGE' and message like '%above the plausible maximum%' then 'max'
          when code = 'MAP_RANGE' and message like '% precedes %' then 'order'
        end as bound,
        mapping_version,
        count(*)::bigint as n
      from quarantine ${where}
      group by all
      order by n desc, code, table_name nulls first, field nulls first, bound nulls first, mapping_version nulls first
      limit ${Math.max(1, Math.floor(opts.groupsMax))}`,
    params: p.values,
  };
}

interface CheckParts {
  /** Predicate on `t` (a base row): the check applies to the row. */
  applies: string;
  /** Predicate on `t`: the row breaks the check. */
  fails: string;
  /** A select over `base` adding columns the predicates use (duplicates: rn). */
  ranked?: string;
}

function checkParts(check: Check, table: DwdTable, ctx: CompileContext, p: Params): CheckParts {
  const col = (field: string) => `t.${q(field)}`;
  const notNull = (field: string) => `${col(field)} is not null`;
  switch (check.kind) {
    case 'not_null': {
      const blank = fieldType(table, check.field) === 'VARCHAR' ? ` or trim(${col(check.field)}) = ''` : '';
      return { applies: 'true', fails: `${col(check.field)} is null${blank}` };
    }
    case 'value_set':
      return {
        applies: notNull(check.field),
        fails: `cast(${col(check.field)} as varchar) not in (${check.values.map((v) => p.add(String(v))).join(', ')})`,
      };
    case 'pattern':
      return {
        applies: notNull(check.field),
        fails: `not regexp_full_match(${col(check.field)}, ${p.add(check.regex)})`,
      };
    case 'unit_per_code': {
      const codes = Object.keys(check.units).sort();
      const cases = codes
        .map((code) => {
          const units = (check.units[code] ?? []).map((u) => p.add(u)).join(', ');
          return `when ${p.add(code)} then coalesce(${col(check.unitField)} in (${units}), false)`;
        })
        .join(' ');
      return {
        applies: `${col(check.codeField)} in (${codes.map((c) => p.add(c)).join(', ')})`,
        fails: `not (case ${col(check.codeField)} ${cases} else true end)`,
      };
    }
    case 'reference':
      return {
        applies: notNull(check.field),
        fails: `not exists (select 1 from ${relation(check.refTable as DwdTable, ctx)} r where r.${q(check.refField)} = ${col(check.field)})`,
      };
    case 'range': {
      const temporal = typeof check.min === 'string' || typeof check.max === 'string';
      const bound = (v: number | string) => (temporal ? `cast(${p.add(v)} as date)` : `${p.add(v)}::double`);
      const value = temporal ? `cast(${col(check.field)} as date)` : col(check.field);
      const out: string[] = [];
      if (check.min !== undefined) out.push(`${value} < ${bound(check.min)}`);
      if (check.max !== undefined) out.push(`${value} > ${bound(check.max)}`);
      return { applies: notNull(check.field), fails: out.join(' or ') };
    }
    case 'age':
      return {
        applies: notNull(check.field),
        fails: `${col(check.field)} < cast(${p.add(ctx.asOf)} as date) - to_years(${p.add(check.maxYears)}::integer)`,
      };
    case 'field_order':
      return {
        applies: `${notNull(check.field)} and ${notNull(check.notBefore)}`,
        fails: `cast(${col(check.field)} as date) < cast(${col(check.notBefore)} as date)`,
      };
    case 'ref_order': {
      const op = check.op === 'not_before' ? '<' : '>';
      return {
        applies: `${notNull(check.field)} and ${notNull(check.on)}`,
        fails: `exists (select 1 from ${relation(check.refTable as DwdTable, ctx)} r where r.${q(check.on)} = ${col(check.on)} and r.${q(check.refField)} is not null and cast(${col(check.field)} as date) ${op} cast(r.${q(check.refField)} as date))`,
      };
    }
    case 'duplicate': {
      // Encrypted fields differ on every write (a fresh nonce); their blind indexes stand in for them.
      const encrypted = new Set(ENCRYPTED_FIELDS[table]);
      const fields = check.fields ?? Object.keys(DWD_TABLES[table].fields).filter((f) => !encrypted.has(f));
      const partition = fields.map((f) => `t.${q(f)}`).join(', ');
      return {
        applies: 'true',
        fails: 't.rn > 1',
        ranked: `select t.*, row_number() over (partition by ${partition} order by t.source_sha256, t.source_position, t.mapping_version, t.load_id) as rn from base t`,
      };
    }
    case 'near_duplicate': {
      const same = check.same.map((f) => `o.${q(f)} = t.${q(f)}`).join(' and ');
      const any = check.anyOf.map((a) => `o.${q(a.field)} = t.${q(a.field)}`).join(' or ');
      return {
        applies: `${notNull(check.key)} and ${check.same.map(notNull).join(' and ')}`,
        fails: `exists (select 1 from ${q(table)} o where o.${q(check.key)} < t.${q(check.key)} and ${same} and (${any}))`,
      };
    }
  }
}

function countExpression(unit: CountUnit): string {
  switch (unit) {
    case 'row':
      return 'count(*)::bigint';
    case 'person':
      return 'count(distinct t.person_id)::bigint';
    case 'record':
      return `count(distinct t.source_sha256 || ':' || regexp_replace(t.source_position, '${RECORD_OF_POSITION}', ''))::bigint`;
  }
}

/** A table the lake has, or an empty relation with its canonical columns. */
function relation(table: DwdTable, ctx: CompileContext): string {
  if (ctx.present.has(table)) return q(table);
  const columns = Object.entries(lakeColumns(table)).map(([name, type]) => `cast(null as ${type}) as ${q(name)}`);
  return `(select ${columns.join(', ')} where false)`;
}

function q(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

class Params {
  readonly values: LakeParam[] = [];

  add(value: LakeParam): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}
