/**
 * Unit normalization for labs and vital signs (DOMAIN.md): every analyte has one consortium code (LOINC, the
 * variant measured in the standard unit) and one standard unit (UCUM spelling); values written in another unit
 * are converted per analyte, so mg/dL means different factors for glucose and creatinine. Unit spellings are
 * normalized first (mmol/l, mmol／L, μmol/L, umol/L, 10^9/L …). Pure functions.
 */

/** How one analyte is stored: its consortium LOINC code, standard unit and conversions from other units. */
interface AnalyteDef {
  readonly loinc: string;
  readonly unit: string;
  readonly from: Readonly<Record<string, (v: number) => number>>;
}

const same = (v: number) => v;

const ANALYTES = {
  glucose: { loinc: '14749-6', unit: 'mmol/L', from: { 'mmol/L': same, 'mg/dL': (v) => v / 18.0 } },
  creatinine: { loinc: '14682-9', unit: 'umol/L', from: { 'umol/L': same, 'mg/dL': (v) => v * 88.4 } },
  cholesterol: { loinc: '14647-2', unit: 'mmol/L', from: { 'mmol/L': same, 'mg/dL': (v) => v / 38.67 } },
  triglycerides: { loinc: '14927-8', unit: 'mmol/L', from: { 'mmol/L': same, 'mg/dL': (v) => v / 88.57 } },
  hba1c: { loinc: '4548-4', unit: '%', from: { '%': same, 'mmol/mol': (v) => v / 10.929 + 2.15 } },
  alt: { loinc: '1742-6', unit: 'U/L', from: { 'U/L': same } },
  hemoglobin: { loinc: '718-7', unit: 'g/L', from: { 'g/L': same, 'g/dL': (v) => v * 10 } },
  wbc: { loinc: '6690-2', unit: '10*9/L', from: { '10*9/L': same } },
  potassium: { loinc: '2823-3', unit: 'mmol/L', from: { 'mmol/L': same, 'mEq/L': same } },
  crp: { loinc: '1988-5', unit: 'mg/L', from: { 'mg/L': same, 'mg/dL': (v) => v * 10 } },
  blood_pressure: { loinc: '55284-4', unit: 'mm[Hg]', from: { 'mm[Hg]': same, kPa: (v) => v * 7.50062 } },
} as const satisfies Record<string, AnalyteDef>;

/** Analytes with a defined standard unit. */
export type Analyte = keyof typeof ANALYTES;

/** Every analyte name (for schemas). */
export const ANALYTE_NAMES = Object.keys(ANALYTES) as [Analyte, ...Analyte[]];

/** The standard unit each analyte is stored in (UCUM spelling). */
export const STANDARD_UNIT = Object.fromEntries(Object.entries(ANALYTES).map(([k, d]) => [k, d.unit])) as Record<
  Analyte,
  string
>;

/** LOINC codes of systolic and diastolic blood pressure, the two rows a blood-pressure reading becomes. */
export const BP_LOINC = { systolic: '8480-6', diastolic: '8462-4' } as const;

const BY_LOINC: ReadonlyMap<string, Analyte> = new Map([
  ...Object.entries(ANALYTES).map(([k, d]) => [d.loinc, k as Analyte] as const),
  [BP_LOINC.systolic, 'blood_pressure'],
  [BP_LOINC.diastolic, 'blood_pressure'],
]);

/** The analyte a consortium LOINC code stands for, if Meridian converts its units. */
export function analyteOfCode(code: string): Analyte | undefined {
  return BY_LOINC.get(code);
}

/** The consortium LOINC code of an analyte. */
export function analyteCode(analyte: Analyte): string {
  return ANALYTES[analyte].loinc;
}

const UNIT_SPELLINGS: Readonly<Record<string, string>> = {
  'mmol/l': 'mmol/L',
  'mg/dl': 'mg/dL',
  'umol/l': 'umol/L',
  '%': '%',
  'mmol/mol': 'mmol/mol',
  'u/l': 'U/L',
  'iu/l': 'U/L',
  'g/l': 'g/L',
  'g/dl': 'g/dL',
  'mg/l': 'mg/L',
  'meq/l': 'mEq/L',
  '10^9/l': '10*9/L',
  '10*9/l': '10*9/L',
  '×10^9/l': '10*9/L',
  'x10^9/l': '10*9/L',
  '10e9/l': '10*9/L',
  mmhg: 'mm[Hg]',
  'mm[hg]': 'mm[Hg]',
  毫米汞柱: 'mm[Hg]',
  kpa: 'kPa',
  千帕: 'kPa',
};

/** Canonical spelling of a unit as written in a hospital export, or null if unrecognized. */
export function normalizeUnit(raw: string): string | null {
  const u = raw.normalize('NFKC').replace(/\s+/g, '').replace(/[μµ]/g, 'u').toLowerCase();
  return UNIT_SPELLINGS[u] ?? null;
}

/** A converted value, or why it could not be converted. */
export type Converted = { ok: true; value: number; unit: string } | { ok: false; reason: string };

/** Converts a value of an analyte from the unit it was written in to the analyte's standard unit. */
export function toStandardUnit(analyte: Analyte, value: number, rawUnit: string): Converted {
  if (!Number.isFinite(value)) return { ok: false, reason: `value ${value} is not a number` };
  const unit = normalizeUnit(rawUnit);
  if (!unit) return { ok: false, reason: `unknown unit "${rawUnit}" for ${analyte}` };
  const def: AnalyteDef = ANALYTES[analyte];
  const f = def.from[unit];
  if (!f) return { ok: false, reason: `unit ${unit} is not a unit of ${analyte}` };
  return { ok: true, value: f(value), unit: def.unit };
}
