/**
 * Classification-based access (GB/T 39725 levels L1–L5). Each role sees fields up to a ceiling: the
 * treating team (clinician) and the hospital's data steward up to L4 (identifiable), a researcher up to L3
 * (de-identified record level), everyone else L2 (aggregates, catalog, lineage) — an administrator runs the
 * system and an auditor checks the trail, neither reads patients. L5 (HIV, psychiatry, reproduction,
 * genetics) is seen only under an explicit grant, and only by a role whose ceiling reaches record level.
 * Besides L5 fields, a row is L5 as a whole when its code puts it in one of those special categories (an HIV
 * diagnosis is L5 although condition_code is an L3 field).
 */
import type { Role } from '../hub/auth/roles.ts';
import type { DwdTable, SensitivityLevel } from '../model/dwd.ts';
import { fieldDef } from './spec.ts';

/** The highest level each role sees without a grant (L5 never without one). */
export const ROLE_LEVEL_CEILING: Readonly<Record<Role, Exclude<SensitivityLevel, 5>>> = {
  admin: 2,
  researcher: 3,
  clinician: 4,
  steward: 4,
  ethics: 2,
  auditor: 2,
  manager: 2,
};

/** Lowest ceiling a role needs before an L5 grant means anything (record-level access). */
const L5_GRANTABLE_FROM = 3;

/** A special category of health data that makes a row L5. */
export type SpecialCategory = 'hiv' | 'psychiatric' | 'reproductive' | 'genetic';

/** L5 grants: `table.field` for an L5 field, `category:<name>` for rows of a special category. */
export type L5Grants = ReadonlySet<string>;

/** True when `role` may see data of `level`; L5 needs `granted`. */
export function canSee(role: Role, level: SensitivityLevel, opts: { granted?: boolean } = {}): boolean {
  const ceiling = ROLE_LEVEL_CEILING[role];
  if (level === 5) return opts.granted === true && ceiling >= L5_GRANTABLE_FROM;
  return level <= ceiling;
}

/** ICD-10 code ranges (3-character categories, inclusive) of each special category. */
const ICD10_SPECIAL: readonly (readonly [SpecialCategory, string, string])[] = [
  ['hiv', 'B20', 'B24'],
  ['hiv', 'Z21', 'Z21'],
  ['hiv', 'R75', 'R75'],
  ['psychiatric', 'F10', 'F99'], // F00–F09 (organic, e.g. dementia) stay with neurology
  ['reproductive', 'O00', 'O08'],
  ['reproductive', 'N96', 'N98'],
  ['reproductive', 'Z30', 'Z31'],
  ['genetic', 'Q90', 'Q99'],
];

/** Fields whose ICD-10 code decides a row's special category. */
const ICD10_FIELDS: Partial<Record<DwdTable, string>> = { condition_occurrence: 'condition_code', death: 'cause_code' };

/** The special category of an ICD-10 code, or null. */
export function icd10SpecialCategory(code: string): SpecialCategory | null {
  const category = code.replaceAll('.', '').slice(0, 3).toUpperCase();
  for (const [kind, from, to] of ICD10_SPECIAL) if (category >= from && category <= to) return kind;
  return null;
}

/** The special category of a DWD row (diagnosis or death cause code, genetic observation), or null. */
export function rowSpecialCategory(table: DwdTable, row: Readonly<Record<string, unknown>>): SpecialCategory | null {
  const codeField = ICD10_FIELDS[table];
  if (codeField !== undefined) {
    const code = row[codeField];
    return typeof code === 'string' ? icd10SpecialCategory(code) : null;
  }
  if (table === 'observation') {
    const code = row.observation_code;
    return typeof code === 'string' && /APOE|基因|gene/i.test(code) ? 'genetic' : null;
  }
  return null;
}

/**
 * The part of a DWD row `role` may see: the fields within its ceiling (L5 fields only when granted), or null
 * when the whole row is L5 by its special category and the category is not granted, or when no field is
 * visible (so not even the row's existence shows). Fields the table does not define are never returned.
 */
export function projectRow(opts: {
  table: DwdTable;
  row: Readonly<Record<string, unknown>>;
  role: Role;
  grants?: L5Grants;
}): Record<string, unknown> | null {
  const { table, row, role } = opts;
  const grants = opts.grants ?? new Set<string>();
  const category = rowSpecialCategory(table, row);
  if (category !== null && !canSee(role, 5, { granted: grants.has(`category:${category}`) })) return null;
  const out: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(row)) {
    const def = fieldDef(table, field);
    if (def !== null && canSee(role, def.level, { granted: grants.has(`${table}.${field}`) })) out[field] = value;
  }
  return Object.keys(out).length === 0 ? null : out;
}

/** {@link projectRow} over many rows; rows withheld as a whole are left out. */
export function projectRows(opts: {
  table: DwdTable;
  rows: readonly Readonly<Record<string, unknown>>[];
  role: Role;
  grants?: L5Grants;
}): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const row of opts.rows) {
    const seen = projectRow({
      table: opts.table,
      row,
      role: opts.role,
      ...(opts.grants ? { grants: opts.grants } : {}),
    });
    if (seen !== null) out.push(seen);
  }
  return out;
}
