/**
 * Code tables of the demo consortium, built from the generator's catalogue (this is demo configuration, so the
 * catalogue is the hospitals' own data dictionary): local lab codes → consortium LOINC, local drug codes → ATC,
 * and the shared bits every hospital's specs use (plausibility bounds, vital-sign LOINC codes, smoking codes).
 */
import { type Analyte, analyteCode, BP_LOINC } from '../../pipeline/units.ts';
import { DRUGS, drugLocalCode, LABS, type LabKey, type LocalLab } from '../generator/catalog.ts';

/** The demo hospitals, in the generator's order (index = the catalogue's hospital index). */
export const DEMO_HOSPITALS = ['hospital-a', 'hospital-b', 'hospital-c'] as const;

/** A demo hospital name. */
export type DemoHospital = (typeof DEMO_HOSPITALS)[number];

const ANALYTE_OF_LAB: Readonly<Record<LabKey, Analyte>> = {
  glucose: 'glucose',
  hba1c: 'hba1c',
  creatinine: 'creatinine',
  cholesterol: 'cholesterol',
  triglyceride: 'triglycerides',
  alt: 'alt',
  hemoglobin: 'hemoglobin',
  wbc: 'wbc',
  potassium: 'potassium',
  crp: 'crp',
};

/** A hospital's local lab codes → the consortium LOINC code of the analyte (units.ts), as a code map. */
export function labCodeMap(hospital: DemoHospital): { entries: Record<string, string>; otherwise: 'reject' } {
  const labs: readonly LocalLab[] = Object.values(LABS[DEMO_HOSPITALS.indexOf(hospital)] ?? {});
  const entries = Object.fromEntries(labs.map((lab) => [lab.code, analyteCode(ANALYTE_OF_LAB[lab.key])] as const));
  return { entries, otherwise: 'reject' };
}

/** A hospital's local drug codes → ATC, as a code map. */
export function drugCodeMap(hospital: DemoHospital): { entries: Record<string, string>; otherwise: 'reject' } {
  const h = DEMO_HOSPITALS.indexOf(hospital);
  return { entries: Object.fromEntries(DRUGS.map((d, i) => [drugLocalCode(h, i), d.atc])), otherwise: 'reject' };
}

/** LOINC codes of the vital signs the demo hospitals record. */
export const VITAL_LOINC = {
  systolic: BP_LOINC.systolic,
  diastolic: BP_LOINC.diastolic,
  height: '8302-2',
  weight: '29463-7',
  bmi: '39156-5',
  smoking: '72166-2',
  mmse: '72107-6',
} as const;

/** SNOMED CT smoking-status codes (what hospitals B and C send; hospital A's note phrases map onto them). */
export const SMOKING_SNOMED = { current: '449868002', former: '8517006', never: '266919005' } as const;

/** Hospital A and C note phrases that state a smoking status → SNOMED CT code. */
export const SMOKING_PHRASES: Readonly<Record<string, string>> = {
  否认吸烟史: SMOKING_SNOMED.never,
  无吸烟嗜好: SMOKING_SNOMED.never,
  已戒烟: SMOKING_SNOMED.former,
  未戒烟: SMOKING_SNOMED.current,
  吸烟史: SMOKING_SNOMED.current,
};

/** Finds the smoking phrase of a note (leftmost wins, so 否认吸烟史 is never read as 吸烟史). */
export const SMOKING_PATTERN = '(否认吸烟史|无吸烟嗜好|已戒烟|未戒烟|吸烟史(?=\\s*\\d))';

/** Finds an MMSE total score in a note (MMSE评分 24分, MMSE：24/30, …（MMSE）得分22分). */
export const MMSE_PATTERN = 'MMSE\\D{0,6}?(\\d{1,2})(?:分|/30)';

/**
 * Earliest plausible birth date: 150 years before the demo window opens (2018), so a birth date typed a
 * century and a half early is refused.
 */
export const BIRTH_DATE_MIN = '1868-01-01';

/** Highest plausible blood pressure in mmHg (SBP 900 is a typing error, not a reading). */
export const BP_MMHG_MAX = 300;

/**
 * The first six digits of a resident ID number (GB/T 2260 region code), 18- or 15-character form; the check
 * character is not looked at (it may be a full-width Ｘ).
 */
export const REGION_PATTERN = '^\\s*(\\d{6})\\d{9}';

/** The year of a date written year first (2023-05-01, 2023/5/1, 20230501, 2023年5月1日). */
export const YEAR_PATTERN = '^\\s*(\\d{4})';
