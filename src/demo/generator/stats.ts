/**
 * Bookkeeping of everything planted and written at one hospital: files with their row counts, sizes and
 * hashes; duplicates, impossible values, unit errors and missing values; identifier variants; blood-pressure
 * spellings; date spellings; note mentions. The manifest is assembled from these counters, which are bumped
 * at the moment each row is written, so the manifest says exactly what the files hold.
 */
import type { BpSpellingId } from './catalog.ts';

/** Kinds of impossible values the generator plants. */
export const IMPOSSIBLE_KINDS = [
  'age_over_150',
  'negative_glucose',
  'lab_before_birth',
  'sbp_900',
  'discharge_before_admission',
] as const;

/** An impossible-value kind. */
export type ImpossibleKind = (typeof IMPOSSIBLE_KINDS)[number];

/** Kinds of identifier differences between one person's records. */
export const IDENTITY_VARIANTS = [
  'fullwidth_digits_id',
  'lowercase_x_id',
  'old_15_digit_id',
  'phone_swapped_digits',
  'name_homophone',
  'name_whitespace',
  'name_dot_variant',
] as const;

/** An identifier variant kind. */
export type IdentityVariant = (typeof IDENTITY_VARIANTS)[number];

/** One written file (or, for DICOM, one directory of files) as the manifest lists it. */
export interface FileSummary {
  /** Path relative to the output directory, with forward slashes. */
  path: string;
  format: 'csv' | 'xlsx' | 'hl7v2' | 'fhir-bundle' | 'ndjson' | 'dicom' | 'json';
  encoding?: 'utf-8' | 'utf-8-bom' | 'gbk' | 'gb18030';
  framing?: 'newline' | 'mllp';
  /** Only for a DICOM directory: number of files. */
  files?: number;
  bytes: number;
  sha256: string;
  rows: Record<string, number>;
}

/** Counts of planted problems at one hospital. */
export interface ProblemCounts {
  duplicates: { exact: Record<string, number>; near: Record<string, number> };
  impossible: Record<ImpossibleKind, number>;
  unitErrors: Record<string, number>;
  missing: Record<string, number>;
}

/** Mutable counters for one hospital. */
export class HospitalStats {
  readonly name: string;
  readonly files: FileSummary[] = [];
  readonly problems: ProblemCounts = {
    duplicates: { exact: {}, near: {} },
    impossible: Object.fromEntries(IMPOSSIBLE_KINDS.map((k) => [k, 0])) as Record<ImpossibleKind, number>,
    unitErrors: {},
    missing: {},
  };
  readonly identityVariants: Record<IdentityVariant, number> = Object.fromEntries(
    IDENTITY_VARIANTS.map((k) => [k, 0]),
  ) as Record<IdentityVariant, number>;
  readonly bloodPressure: Partial<Record<BpSpellingId, number>> = {};
  readonly dateStyles: Record<string, number> = {};
  readonly notes = { total: 0, mentioningMmse: 0, mentioningApoe: 0, mentioningSmoking: 0 };
  localPatients = 0;
  nearDuplicateRegistrations = 0;

  constructor(name: string) {
    this.name = name;
  }

  /** Adds n to a counter in a record. */
  static bump(record: Record<string, number>, key: string, n = 1): void {
    record[key] = (record[key] ?? 0) + n;
  }

  /** Counts one blood-pressure reading written in a spelling. */
  bp(id: BpSpellingId): void {
    this.bloodPressure[id] = (this.bloodPressure[id] ?? 0) + 1;
  }

  /** Counts one missing value of a field. */
  missing(field: string): void {
    HospitalStats.bump(this.problems.missing, field);
  }

  /** Counts one impossible value. */
  impossible(kind: ImpossibleKind): void {
    this.problems.impossible[kind]++;
  }

  /** Counts one unit error. */
  unitError(kind: string): void {
    HospitalStats.bump(this.problems.unitErrors, kind);
  }

  /** Counts one exact duplicate in a file. */
  exactDuplicate(file: string): void {
    HospitalStats.bump(this.problems.duplicates.exact, file);
  }

  /** Counts one near duplicate in a file. */
  nearDuplicate(file: string): void {
    HospitalStats.bump(this.problems.duplicates.near, file);
  }
}
