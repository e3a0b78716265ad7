/**
 * Unit normalization for the labs that differ between hospitals (DOMAIN.md): glucose, creatinine, total
 * cholesterol, HbA1c, and blood pressure in kPa. Unit spellings are normalized first (mmol/l, mmol／L,
 * μmol/L, umol/L …); a conversion is defined per analyte, so mg/dL means different factors for glucose and
 * creatinine. Pure functions.
 */

/** Analytes with a defined conversion, by their consortium code (LOINC where one exists). */
export type Analyte = 'glucose' | 'creatinine' | 'cholesterol' | 'hba1c' | 'blood_pressure';

/** The standard unit each analyte is stored in (UCUM spelling). */
export const STANDARD_UNIT: Record<Analyte, string> = {
  glucose: 'mmol/L',
  creatinine: 'umol/L',
  cholesterol: 'mmol/L',
  hba1c: '%',
  blood_pressure: 'mm[Hg]',
};

/** Canonical spelling of a unit as written in a hospital export, or null if unrecognized. */
export function normalizeUnit(raw: string): string | null {
  const u = raw.normalize('NFKC').replace(/\s+/g, '').replace(/[μµ]/g, 'u').toLowerCase();
  const table: Record<string, string> = {
    'mmol/l': 'mmol/L',
    'mg/dl': 'mg/dL',
    'umol/l': 'umol/L',
    '%': '%',
    'mmol/mol': 'mmol/mol',
    mmhg: 'mm[Hg]',
    'mm[hg]': 'mm[Hg]',
    毫米汞柱: 'mm[Hg]',
    kpa: 'kPa',
    千帕: 'kPa',
  };
  return table[u] ?? null;
}

/** value_in_standard = f(value) for each analyte and source unit. */
const TO_STANDARD: Record<Analyte, Record<string, (v: number) => number>> = {
  glucose: { 'mmol/L': (v) => v, 'mg/dL': (v) => v / 18.0 },
  creatinine: { 'umol/L': (v) => v, 'mg/dL': (v) => v * 88.4 },
  cholesterol: { 'mmol/L': (v) => v, 'mg/dL': (v) => v / 38.67 },
  hba1c: { '%': (v) => v, 'mmol/mol': (v) => v / 10.929 + 2.15 },
  blood_pressure: { 'mm[Hg]': (v) => v, kPa: (v) => v * 7.50062 },
};

/** A converted value, or why it could not be converted. */
export type Converted = { ok: true; value: number; unit: string } | { ok: false; reason: string };

/** Converts a value of an analyte from the unit it was written in to the analyte's standard unit. */
export function toStandardUnit(analyte: Analyte, value: number, rawUnit: string): Converted {
  if (!Number.isFinite(value)) return { ok: false, reason: `value ${value} is not a number` };
  const unit = normalizeUnit(rawUnit);
  if (!unit) return { ok: false, reason: `unknown unit "${rawUnit}" for ${analyte}` };
  const f = TO_STANDARD[analyte][unit];
  if (!f) return { ok: false, reason: `unit ${unit} is not a unit of ${analyte}` };
  return { ok: true, value: f(value), unit: STANDARD_UNIT[analyte] };
}
