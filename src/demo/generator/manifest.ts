/**
 * The ground-truth manifest (`<outDir>/manifest.json`): what was generated, file by file, with row counts,
 * sizes and hashes; every planted problem counted per hospital; the true person links across (and within)
 * hospitals; the planted effects with their true parameters and the pooled sample fit; and the catalogues
 * that are the truth for mapping. It never holds the output directory or any timing, so it is
 * byte-identical for the same seed and options.
 */
import type { LinkRecord } from './emit-common.ts';
import type { FileSummary, IdentityVariant, ProblemCounts } from './stats.ts';

/** Version of the manifest layout. */
export const MANIFEST_SCHEMA = 'meridian-demo-manifest/1';

/** One hospital's part of the manifest. */
export interface HospitalManifest {
  name: string;
  displayName: string;
  style: 'his-csv-excel' | 'hl7v2' | 'fhir-dicom';
  directory: string;
  /** Local patients (slots) of this hospital, not counting near-duplicate registrations. */
  localPatients: number;
  /** Extra patient registrations of a person who already has a local id here (near duplicates). */
  nearDuplicateRegistrations: number;
  files: FileSummary[];
  problems: ProblemCounts;
  identityVariants: Record<IdentityVariant, number>;
  /** Blood-pressure readings per spelling id (see catalogues.bloodPressureSpellings). */
  bloodPressure: Record<string, number>;
  /** Date values per spelling (hospital A only): iso, slash, compact, chinese, excelSerial. */
  dateStyles: Record<string, number>;
  notes: { total: number; mentioningMmse: number; mentioningApoe: number; mentioningSmoking: number };
}

/** All records of one person (two or more: several hospitals, or a near-duplicate registration). */
export interface LinkGroup {
  person: string;
  crossHospital: boolean;
  records: LinkRecord[];
}

/** The planted logistic model, its population, the realized sample and the pooled fit on it. */
export interface ComplicationEffect {
  description: string;
  population: string;
  outcome: string;
  covariates: Record<string, string>;
  truth: { intercept: number; coefficients: Record<string, number> };
  sample: { n: number; events: number; byHospital: Record<string, { n: number; events: number }> };
  sampleFit: {
    intercept: number;
    coefficients: Record<string, number>;
    standardErrors: Record<string, number>;
    converged: boolean;
  } | null;
}

/** The planted survival model, its population, the realized sample and the pooled Cox fit on it. */
export interface SurvivalEffect {
  description: string;
  population: string;
  timeOrigin: string;
  event: string;
  censoring: string;
  covariates: Record<string, string>;
  truth: { baselineHazardPerYear: number; hazardRatios: Record<string, number>; lossToFollowUpPerYear: number };
  sample: { n: number; deaths: number; censored: number; byHospital: Record<string, { n: number; deaths: number }> };
  sampleFit: {
    coefficients: Record<string, number>;
    hazardRatios: Record<string, number>;
    standardErrors: Record<string, number>;
    converged: boolean;
  } | null;
}

/** The whole manifest. */
export interface ConsortiumManifest {
  schema: typeof MANIFEST_SCHEMA;
  generator: { name: string; version: number };
  seed: string;
  options: { hospitals: number; patientsPerHospital: number; startDate: string; endDate: string; overlapRate: number };
  population: {
    uniquePersons: number;
    /** Persons seen at two or more hospitals. */
    sharedPersons: number;
    /** sharedPersons / uniquePersons. */
    overlapRate: number;
    personsByHospitalCount: Record<string, number>;
  };
  hospitals: HospitalManifest[];
  effects: { diabeticComplication: ComplicationEffect; lungCancerSurvival: SurvivalEffect };
  groundTruth: FileSummary[];
  reference: FileSummary[];
  totals: { files: number; bytes: number; rows: number };
  catalogues: {
    bloodPressureSpellings: readonly { id: string; hospital: string; where: string; example: string }[];
    labs: Record<
      string,
      {
        key: string;
        code: string;
        name: string;
        unit: string;
        loinc: string;
        factorFromCanonical: number;
        offsetFromCanonical: number;
        canonicalUnit: string;
      }[]
    >;
    drugs: { generic: string; atc: string; localCodes: Record<string, string> }[];
    diagnoses: { key: string; code: string; name: string; yibaoCode?: string }[];
    procedures: { key: string; code: string; name: string }[];
    codeSystems: Record<string, string>;
  };
  links: LinkGroup[];
}
