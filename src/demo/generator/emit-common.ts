/**
 * What the three vendor-style writers share: the rates of planted problems, the link reporting of one
 * person's records, a CSV file with row counting, and the choice of how many identifier variants a
 * record of a person seen elsewhere gets.
 */
import { join } from 'node:path';
import type { Rng, RootSeed } from './prng.ts';
import type { LocalRecord } from './records.ts';
import type { FileSummary, HospitalStats, IdentityVariant } from './stats.ts';
import { csvLine, type TextEncoding, TextSink } from './writers/text-sink.ts';

/** Probabilities of planted problems (per opportunity: per patient, per row, per message). */
export const DIRT = {
  idMissing: 0.015,
  phoneMissing: 0.03,
  birthDateMissing: 0.007,
  ageOver150: 0.005,
  patientExactDuplicate: 0.006,
  nearDuplicateRegistration: 0.01,
  dischargeBeforeAdmission: 0.006,
  labValueMissing: 0.003,
  labUnitMissing: 0.008,
  negativeGlucose: 0.006,
  labBeforeBirth: 0.003,
  glucoseUnitError: 0.008,
  creatinineUnitError: 0.006,
  labExactDuplicate: 0.004,
  labNearDuplicate: 0.003,
  dxCodeMissing: 0.006,
  drugDoseMissing: 0.01,
  sbp900: 0.003,
  messageExactDuplicate: 0.006,
  messageNearDuplicate: 0.004,
  yibaoCode: 0.08,
} as const;

/** One record of a person, as the ground-truth links list it. */
export interface LinkRecord {
  hospital: string;
  patientId: string;
  /** FHIR resource id (hospital C only). */
  resourceId?: string;
  home: boolean;
  nearDuplicate: boolean;
  variants: IdentityVariant[];
}

/** What every vendor writer receives. */
export interface EmitterContext {
  root: RootSeed;
  outDir: string;
  hospital: number;
  name: string;
  displayName: string;
  startDay: number;
  endDay: number;
  stats: HospitalStats;
  /** Reports one record of a person (called for shared persons and near-duplicate registrations). */
  link(person: number, record: LinkRecord): void;
}

/** A vendor-style writer: takes one local record at a time, then closes its files. */
export interface Emitter {
  add(record: LocalRecord): void;
  /** Called between chunks: waits for background writes to catch up (bounded memory). */
  drain?(): Promise<void>;
  close(): void | Promise<void>;
  /** Releases background resources after a failure. */
  abort?(): void;
}

/** Draws at most one planted problem for a value from [kind, probability, applies] choices; null for none. */
export function drawProblem<K extends string>(rng: Rng, choices: readonly (readonly [K, number, boolean])[]): K | null {
  const r = rng.float();
  let t = 0;
  for (const [kind, p, applies] of choices) {
    if (!applies) continue;
    t += p;
    if (r < t) return kind;
  }
  return null;
}

/** True when the person attends more than one hospital. */
export function isShared(record: LocalRecord): boolean {
  const m = record.person.memberMask;
  return (m & (m - 1)) !== 0;
}

/** How many identifier variants a record gets: the home record none, other records of shared persons 0–2. */
export function variantCount(rng: Rng, record: LocalRecord): number {
  if (record.isHome || !isShared(record)) return 0;
  const r = rng.float();
  return r < 0.45 ? 0 : r < 0.85 ? 1 : 2;
}

/** True when the record carries a planted outcome that dirt must not touch. */
export function isProtected(record: LocalRecord): boolean {
  return record.isHome && (record.person.diabetesTruth !== null || record.person.lungCancer !== null);
}

/** A CSV file with a header line, counting its data rows. */
export class CsvFile {
  readonly rel: string;
  #sink: TextSink;
  #eol: string;
  #rows = 0;
  #kind: string;

  constructor(
    outDir: string,
    rel: string,
    header: readonly string[],
    opts: { encoding: TextEncoding; eol: string; kind: string },
  ) {
    this.rel = rel;
    this.#sink = new TextSink(join(outDir, rel), opts.encoding);
    this.#eol = opts.eol;
    this.#kind = opts.kind;
    this.#sink.write(csvLine(header, opts.eol));
  }

  /** Writes one data row and returns its text (for exact duplicates). */
  row(fields: readonly string[]): string {
    const line = csvLine(fields, this.#eol);
    this.#sink.write(line);
    this.#rows++;
    return line;
  }

  /** Writes a line again verbatim (an exact duplicate row). */
  repeat(line: string): void {
    this.#sink.write(line);
    this.#rows++;
  }

  /** Closes the file and describes it for the manifest. */
  close(): FileSummary {
    const { bytes, sha256 } = this.#sink.close();
    return {
      path: this.rel,
      format: 'csv',
      encoding: this.#sink.encoding,
      bytes,
      sha256,
      rows: { [this.#kind]: this.#rows },
    };
  }
}

/** Chinese names of the frequency codes. */
export const FREQUENCY_CN: Record<string, string> = {
  qd: '每日一次',
  bid: '每日两次',
  tid: '每日三次',
  qn: '每晚一次',
  prn: '必要时',
};

/** A number without trailing zeros beyond its precision ("0.5", "47.5", "120"). */
export function num(value: number): string {
  return String(Math.round(value * 1000) / 1000);
}
