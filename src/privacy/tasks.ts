/**
 * The node's de-identification preview (`privacy.preview`): what a record-level release of one DWD table would
 * look like under the default spec, computed where the data lives. The hub forwards a steward's request; the
 * node reads the table from its lake (bounded), opens the fields encrypted at rest, applies the spec and
 * answers with the rule of every field, a few de-identified rows, and the k-anonymity of the quasi-identifiers
 * (k achieved, the smallest equivalence classes, the rows suppression would remove). Clear identifiers never
 * leave: every released column went through its rule, and L4–L5 fields can only be dropped, scrubbed or
 * generalized (spec.ts refuses `keep` on them).
 *
 *   person  ──one row per person──────────────────────────────┐
 *   <table> ──each row, with its person's birth date, sex,     ├─► QI columns: deidentify ─► k-anonymity, suppression
 *             region as columns person.<field>─────────────────┘   first N rows: decrypt ─► deidentify ─► sample
 *
 * Pseudonyms and date offsets use a key made for this one preview, so nothing in a preview links to a release.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { MeridianError } from '../errors/registry.ts';
import { DWD_TABLES, type DwdTable } from '../model/dwd.ts';
import type { TaskHandler } from '../node/hub-channel.ts';
import type { Lake, LakeParam } from '../store/index.ts';
import { deidentifyExtract, type ExtractColumn, type ExtractPlan, planExtract, tableExtract } from './deidentify.ts';
import type { FieldCrypto } from './field-crypto.ts';
import { checkKAnonymity, classKey, suppressToK } from './k-anonymity.ts';
import { defaultDeidSpec, FieldRuleSchema } from './spec.ts';

/** Most rows (persons for `person`) a preview reads from the lake. */
export const PREVIEW_ROWS_MAX = 100_000;
/** Most de-identified sample rows a preview returns. */
export const PREVIEW_SAMPLE_MAX = 50;
/** Sample rows returned unless asked otherwise. */
export const PREVIEW_SAMPLE_DEFAULT = 10;
/** The target k unless asked otherwise. */
export const PREVIEW_K_DEFAULT = 5;
/** Largest target k a preview accepts. */
export const PREVIEW_K_MAX = 100;
/** Most quasi-identifiers one preview checks. */
export const PREVIEW_QI_MAX = 8;
/** Smallest equivalence classes listed. */
export const PREVIEW_CLASSES_SHOWN = 10;
/** Dates of a preview move by up to this many days either way. */
export const PREVIEW_SHIFT_DAYS = 180;

/** The person fields joined onto the rows of another table (what an attacker is most likely to know). */
const PERSON_QI_FIELDS = ['birth_date', 'gender', 'region_code'] as const;

/** Per table, its own fields that are quasi-identifiers by default (besides the person's). */
const TABLE_QI_FIELDS: Readonly<Record<DwdTable, readonly string[]>> = {
  person: PERSON_QI_FIELDS,
  visit_occurrence: ['visit_type', 'department'],
  condition_occurrence: ['condition_code'],
  drug_exposure: ['atc_code'],
  measurement: ['measurement_code'],
  procedure_occurrence: ['procedure_code'],
  observation: ['observation_code'],
  note: ['note_type'],
  imaging_study: ['modality', 'body_part'],
  death: ['cause_code'],
};

const TABLE_NAMES = Object.keys(DWD_TABLES) as [DwdTable, ...DwdTable[]];

/** Payload of `privacy.preview` (the hub checks the same shape before it forwards a request). */
export const PrivacyPreviewPayloadSchema = z.strictObject({
  table: z.enum(TABLE_NAMES),
  quasiIdentifiers: z.array(z.string().min(1).max(80)).min(1).max(PREVIEW_QI_MAX).optional(),
  k: z.int().min(2).max(PREVIEW_K_MAX).default(PREVIEW_K_DEFAULT),
  sampleRows: z.int().min(0).max(PREVIEW_SAMPLE_MAX).default(PREVIEW_SAMPLE_DEFAULT),
});

/** A request for a preview. */
export type PrivacyPreviewPayload = z.input<typeof PrivacyPreviewPayloadSchema>;

/** A released value as JSON carries it (timestamps as ISO text). */
const CellSchema = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/** One equivalence class: its quasi-identifier values (de-identified) and its size. */
const ClassSchema = z.object({ values: z.record(z.string(), CellSchema), size: z.number().int().nonnegative() });

/** The answer of `privacy.preview`; the hub parses the node's answer with it and the portal reads its type. */
export const PrivacyPreviewSchema = z.object({
  table: z.enum(TABLE_NAMES),
  /** `person`: one record per person; `row`: one record per row of the table. */
  unit: z.enum(['person', 'row']),
  /** Records in the table (persons for `person`), and how many the preview read. */
  total: z.number().int().nonnegative(),
  examined: z.number().int().nonnegative(),
  truncated: z.boolean(),
  fields: z.array(
    z.object({
      column: z.string(),
      table: z.enum(TABLE_NAMES),
      field: z.string(),
      type: z.string(),
      level: z.number().int().min(1).max(5),
      /** The field's name in Chinese and English (from the canonical model). */
      zh: z.string(),
      en: z.string(),
      rule: FieldRuleSchema,
      quasiIdentifier: z.boolean(),
    }),
  ),
  quasiIdentifiers: z.array(z.string()),
  sample: z.array(z.record(z.string(), CellSchema)),
  k: z.object({
    target: z.number().int().positive(),
    achieved: z.number().int().nonnegative(),
    classes: z.number().int().nonnegative(),
    smallest: z.array(ClassSchema),
    /** Classes below the target, by size: how many classes and records have 1, 2, … k−1 records. */
    belowBySize: z.array(
      z.object({
        size: z.number().int().positive(),
        classes: z.number().int().nonnegative(),
        records: z.number().int().nonnegative(),
      }),
    ),
  }),
  suppression: z.object({
    rows: z.number().int().nonnegative(),
    classes: z.number().int().nonnegative(),
    remaining: z.number().int().nonnegative(),
    kAfter: z.number().int().nonnegative(),
  }),
  shiftDaysMax: z.number().int().positive(),
  referenceDate: z.string(),
});

/** A de-identification preview. */
export type PrivacyPreview = z.infer<typeof PrivacyPreviewSchema>;

/** What the preview reads: the node's lake and the keys of its fields encrypted at rest. */
export interface PrivacyTaskDeps {
  lake: Lake;
  crypto: FieldCrypto;
  /** The clock that sets the reference date of ages (defaults to the system clock). */
  now?: () => Date;
}

/** The columns of a table's extract: its own fields, and for a non-person table the person's QI fields. */
export function previewColumns(table: DwdTable, withPerson: boolean): Record<string, ExtractColumn> {
  const own = tableExtract(table);
  if (table === 'person' || !withPerson) return own;
  const person = Object.fromEntries(
    PERSON_QI_FIELDS.map((f) => [`person.${f}`, { table: 'person' as const, field: f }]),
  );
  return { ...own, ...person };
}

/** The default quasi-identifiers of a table's extract (those among `columns`). */
export function defaultQuasiIdentifiers(table: DwdTable, columns: Readonly<Record<string, ExtractColumn>>): string[] {
  const person = table === 'person' ? [] : PERSON_QI_FIELDS.map((f) => `person.${f}`);
  return [...person, ...TABLE_QI_FIELDS[table]].filter((c) => Object.hasOwn(columns, c));
}

/** Checks the chosen quasi-identifiers: released columns of the extract, no repeats. */
function checkQuasiIdentifiers(plan: ExtractPlan, qis: readonly string[]): void {
  const released = new Map(plan.columns.filter((c) => c.rule !== 'drop').map((c) => [c.column, c]));
  const problems: string[] = [];
  if (new Set(qis).size !== qis.length) problems.push('a quasi-identifier is named twice');
  for (const q of qis) {
    if (released.has(q)) continue;
    const known = plan.columns.some((c) => c.column === q);
    problems.push(known ? `'${q}' is dropped by the spec, so it cannot identify anyone` : `'${q}' is not a column`);
  }
  if (problems.length > 0)
    throw new MeridianError('MER_PRIVACY_SPEC_INVALID', `quasi-identifiers: ${problems.join('; ')}`, {
      problems,
      columns: [...released.keys()],
    });
}

const quote = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/**
 * SQL reading `columns` of the extract, `limit` rows in person order: the person table one row per person (the
 * newest load's), another table each row with its person's fields joined when the lake has persons.
 */
function extractSql(table: DwdTable, columns: Readonly<Record<string, ExtractColumn>>, withPerson: boolean): string {
  const latestPerson = (fields: readonly string[]) =>
    `select ${fields.map(quote).join(', ')} from person
     qualify row_number() over (partition by person_id order by load_id desc, source_position) = 1`;
  if (table === 'person') {
    const fields = Object.values(columns).map((c) => c.field);
    const list = [...new Set(['person_id', ...fields])];
    return `select ${Object.keys(columns)
      .map((c) => `t.${quote(c)}`)
      .join(', ')} from (${latestPerson(list)}) t order by t.person_id limit $1`;
  }
  const select = Object.entries(columns).map(([column, c]) =>
    c.table === table ? `t.${quote(c.field)} as ${quote(column)}` : `p.${quote(c.field)} as ${quote(column)}`,
  );
  const join = withPerson
    ? `left join (${latestPerson(['person_id', ...PERSON_QI_FIELDS])}) p on p.person_id = t.person_id`
    : '';
  return `select ${select.join(', ')} from ${quote(table)} t ${join} order by t.person_id, t.source_position limit $1`;
}

/** A released value as JSON carries it. */
function cell(value: unknown): string | number | boolean | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : String(value);
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  return String(value);
}

function cells(row: Readonly<Record<string, unknown>>): Record<string, string | number | boolean | null> {
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, cell(v)]));
}

/** Builds the preview of one table under the default spec. */
export async function previewDeidentification(
  deps: PrivacyTaskDeps,
  payload: PrivacyPreviewPayload,
): Promise<PrivacyPreview> {
  const parsed = PrivacyPreviewPayloadSchema.safeParse(payload);
  if (!parsed.success)
    throw new MeridianError(
      'MER_PRIVACY_INVALID_OPTION',
      `the preview request is not valid: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
    );
  const { table, k, sampleRows } = parsed.data;
  const lakeTables = new Set(await deps.lake.tables());
  const withPerson = lakeTables.has('person');
  const columns = previewColumns(table, withPerson);
  const plan = planExtract(defaultDeidSpec(), columns);
  const qis = parsed.data.quasiIdentifiers ?? defaultQuasiIdentifiers(table, columns);
  checkQuasiIdentifiers(plan, qis);
  const ctx = {
    projectKey: randomBytes(32),
    maxShiftDays: PREVIEW_SHIFT_DAYS,
    referenceDate: (deps.now?.() ?? new Date()).toISOString().slice(0, 10),
  };
  const base = {
    table,
    unit: table === 'person' ? ('person' as const) : ('row' as const),
    fields: plan.columns.map((c) => ({
      column: c.column,
      table: c.source.table,
      field: c.source.field,
      type: c.def.type,
      level: c.def.level,
      zh: c.def.zh,
      en: c.def.en,
      rule: c.rule,
      quasiIdentifier: qis.includes(c.column),
    })),
    quasiIdentifiers: qis,
    shiftDaysMax: PREVIEW_SHIFT_DAYS,
    referenceDate: ctx.referenceDate,
  };
  if (!lakeTables.has(table))
    return {
      ...base,
      total: 0,
      examined: 0,
      truncated: false,
      sample: [],
      k: { target: k, achieved: 0, classes: 0, smallest: [], belowBySize: [] },
      suppression: { rows: 0, classes: 0, remaining: 0, kAfter: 0 },
    };

  const personCol = plan.personColumn;
  const qiColumns: Record<string, ExtractColumn> = {};
  for (const c of [...qis, ...(personCol === null ? [] : [personCol])]) qiColumns[c] = columns[c] as ExtractColumn;
  const params: LakeParam[] = [PREVIEW_ROWS_MAX + 1];
  const read = await deps.lake.query(extractSql(table, qiColumns, withPerson), params);
  const truncated = read.length > PREVIEW_ROWS_MAX;
  const rows = truncated ? read.slice(0, PREVIEW_ROWS_MAX) : read;
  // A scrubbed note text may be a quasi-identifier: open what is encrypted at rest before the rules apply.
  const open = (row: Record<string, unknown>) => deps.crypto.decryptRow(table, row);
  const qiPlan: ExtractPlan = { columns: plan.columns.filter((c) => qis.includes(c.column)), personColumn: personCol };
  const released = deidentifyExtract(rows.map(open), qiPlan, ctx);
  const report = checkKAnonymity(released, { quasiIdentifiers: qis, k, show: PREVIEW_CLASSES_SHOWN });
  const suppressed = suppressToK(released, { quasiIdentifiers: qis, k, show: 0 });

  const sizes = new Map<string, number>();
  for (const r of released) {
    const key = classKey(r, qis);
    sizes.set(key, (sizes.get(key) ?? 0) + 1);
  }
  const below = new Map<number, number>();
  for (const size of sizes.values()) if (size < k) below.set(size, (below.get(size) ?? 0) + 1);
  const belowBySize = [...below.entries()]
    .sort(([a], [b]) => a - b)
    .map(([size, n]) => ({ size, classes: n, records: size * n }));

  const counted = await deps.lake.query<{ n: number | bigint }>(
    table === 'person'
      ? 'select count(distinct person_id) as n from person'
      : `select count(*) as n from ${quote(table)}`,
  );
  return {
    ...base,
    total: Number(counted[0]?.n ?? rows.length),
    examined: rows.length,
    truncated,
    sample: await sampleRowsOf(deps, { table, columns, plan, withPerson, sampleRows, ctx }),
    k: {
      target: k,
      achieved: report.k,
      classes: report.classes,
      smallest: report.smallest.map((c) => ({ values: cells(c.values), size: c.size })),
      belowBySize,
    },
    suppression: {
      rows: suppressed.suppressed,
      classes: suppressed.suppressedClasses.length,
      remaining: suppressed.rows.length,
      kAfter: suppressed.report.k,
    },
  };
}

/** The first rows of the extract, opened and de-identified (notes scrubbed with their patient's names known). */
async function sampleRowsOf(
  deps: PrivacyTaskDeps,
  o: {
    table: DwdTable;
    columns: Record<string, ExtractColumn>;
    plan: ExtractPlan;
    withPerson: boolean;
    sampleRows: number;
    ctx: Parameters<typeof deidentifyExtract>[2];
  },
): Promise<Record<string, string | number | boolean | null>[]> {
  if (o.sampleRows === 0) return [];
  const raw = await deps.lake.query(extractSql(o.table, o.columns, o.withPerson), [o.sampleRows]);
  const opened = raw.map((row) => deps.crypto.decryptRow(o.table, row));
  const knownNames = o.table === 'note' && o.withPerson ? await namesOf(deps, opened) : undefined;
  const released = deidentifyExtract(opened, o.plan, knownNames ? { ...o.ctx, knownNames } : o.ctx);
  return released.map(cells);
}

/** The clear names of the persons of `rows` (decrypted here), so their notes are scrubbed of them. */
async function namesOf(
  deps: PrivacyTaskDeps,
  rows: readonly Record<string, unknown>[],
): Promise<Map<string, string[]>> {
  const ids = [...new Set(rows.map((r) => r.person_id).filter((v): v is string => typeof v === 'string'))];
  const names = new Map<string, string[]>();
  if (ids.length === 0) return names;
  const found = await deps.lake.query(
    `select person_id, name from person where person_id in (${ids.map((_, i) => `$${i + 1}`).join(', ')})`,
    ids,
  );
  for (const row of found) {
    const name = deps.crypto.decryptRow('person', { name: row.name }).name;
    if (typeof name !== 'string' || typeof row.person_id !== 'string') continue;
    names.set(row.person_id, [...(names.get(row.person_id) ?? []), name]);
  }
  return names;
}

/** Task handlers the node registers for the hub: `privacy.preview` answers one de-identification preview. */
export function privacyTaskHandlers(deps: PrivacyTaskDeps): Record<string, TaskHandler> {
  return {
    'privacy.preview': async (payload) => previewDeidentification(deps, (payload ?? {}) as PrivacyPreviewPayload),
  };
}
