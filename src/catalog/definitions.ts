/**
 * The data catalog's definitions: every table and field of the canonical model (src/model/dwd.ts) with its
 * names in Chinese and English, type, vocabulary, L1–L5 level, and which value distribution the catalog may
 * show for it. Identifying fields (keys, tokens, blind indexes, lineage positions, fields encrypted at rest) and
 * L4–L5 fields get none at all; codes and categories get their top values, numbers a histogram, dates a count
 * per year, every count disclosure-controlled (disclosure.ts).
 */
import { DWD_TABLES, type DwdTable, type FieldDef, LINEAGE_FIELDS, type SensitivityLevel } from '../model/dwd.ts';
import { ENCRYPTED_FIELDS } from '../privacy/field-crypto.ts';
import type { LakeColumnType } from '../store/index.ts';

/** How a field's values are summarized, or why they are not. */
export type DistributionKind = 'categories' | 'histogram' | 'years' | 'none';

/** Why a field has no value distribution: it identifies a person or a record, or it is L4–L5. */
export type NoDistributionReason = 'identifying' | 'sensitive';

/** One field as the catalog lists it. */
export interface CatalogField {
  name: string;
  zh: string;
  en: string;
  type: LakeColumnType;
  level: SensitivityLevel;
  vocabulary: string | null;
  required: boolean;
  /** A lineage column every DWD row carries (source hash, position, mapping version, load). */
  lineage: boolean;
  /** Stored encrypted at rest (never decrypted for the catalog). */
  encrypted: boolean;
  distribution: DistributionKind;
  /** Why `distribution` is `none`; null otherwise. */
  withheld: NoDistributionReason | null;
}

/** One table as the catalog lists it. */
export interface CatalogTable {
  name: DwdTable;
  zh: string;
  en: string;
  /** The highest level of any of its fields. */
  level: SensitivityLevel;
  fields: CatalogField[];
}

/** Fields that identify a person or one record (keys, tokens, blind indexes, positions), in any table. */
const IDENTIFYING_NAMES: ReadonlySet<string> = new Set([
  'person_id',
  'visit_id',
  'patient_token',
  'study_uid',
  'location',
  'source_sha256',
  'source_position',
]);

/** Suffixes of identifying field names (blind indexes of identifiers). */
const IDENTIFYING_SUFFIXES = ['_bidx'] as const;

/** Whether a field identifies a person or a record (so no value of it is ever summarized). */
export function isIdentifying(table: DwdTable, name: string): boolean {
  if (ENCRYPTED_FIELDS[table].includes(name)) return true;
  return IDENTIFYING_NAMES.has(name) || IDENTIFYING_SUFFIXES.some((s) => name.endsWith(s));
}

const KIND_OF_TYPE: Readonly<Record<LakeColumnType, DistributionKind>> = {
  VARCHAR: 'categories',
  BOOLEAN: 'categories',
  BIGINT: 'histogram',
  DOUBLE: 'histogram',
  DATE: 'years',
  TIMESTAMP: 'years',
};

function catalogField(table: DwdTable, name: string, def: FieldDef, lineage: boolean): CatalogField {
  const withheld: NoDistributionReason | null = isIdentifying(table, name)
    ? 'identifying'
    : def.level >= 4
      ? 'sensitive'
      : null;
  return {
    name,
    zh: def.zh,
    en: def.en,
    type: def.type,
    level: def.level,
    vocabulary: def.vocabulary ?? null,
    required: def.required === true,
    lineage,
    encrypted: ENCRYPTED_FIELDS[table].includes(name),
    distribution: withheld === null ? KIND_OF_TYPE[def.type] : 'none',
    withheld,
  };
}

/** The catalog entry of one canonical table: its fields, then the lineage fields. */
export function catalogTable(table: DwdTable): CatalogTable {
  const fields: Readonly<Record<string, FieldDef>> = DWD_TABLES[table].fields;
  const lineage: Readonly<Record<string, FieldDef>> = LINEAGE_FIELDS;
  const entries = [
    ...Object.entries(fields).map(([name, def]) => catalogField(table, name, def, false)),
    ...Object.entries(lineage).map(([name, def]) => catalogField(table, name, def, true)),
  ];
  return {
    name: table,
    zh: DWD_TABLES[table].zh,
    en: DWD_TABLES[table].en,
    level: Math.max(...entries.map((f) => f.level)) as SensitivityLevel,
    fields: entries,
  };
}

/** Every canonical table name, in the model's order. */
export const CATALOG_TABLE_NAMES = Object.keys(DWD_TABLES) as [DwdTable, ...DwdTable[]];

/** The whole catalog, in the model's order. */
export const CATALOG: readonly CatalogTable[] = CATALOG_TABLE_NAMES.map(catalogTable);
