/**
 * Declarative mapping specs: how one kind of source record becomes one row of a canonical DWD table. A spec
 * names, per target field, where the value comes from (a column, an HL7 path, a FHIR element — whatever the
 * reader's accessor understands) and how it is normalized (dates, numbers, sex, code maps, unit conversion,
 * blood pressure). Specs are versioned data, validated by Zod, and stored; applying one is a pure function.
 */
import { z } from 'zod';
import { DWD_TABLES, type DwdTable, type FieldDef } from '../model/dwd.ts';
import { parseBloodPressure } from './blood-pressure.ts';
import { parseClinicalDate, toHalfWidth } from './dates.ts';
import { ANALYTE_NAMES, type Analyte, analyteOfCode, STANDARD_UNIT, toStandardUnit } from './units.ts';

const path = z.string().min(1).max(200);

/** How one target field is filled. */
export const FieldRuleSchema = z
  .strictObject({
    /** Where the value comes from in the source record. */
    from: path.optional(),
    /** A fixed value instead of `from`. */
    const: z.union([z.string().max(200), z.number(), z.boolean()]).optional(),
    /** The standard unit the named (converted) field of this row was stored in, instead of `from`. */
    unitOf: z.string().max(63).optional(),
    /** Normalization applied to the value (`reference`: the id of a FHIR reference such as `Patient/123`). */
    as: z.enum(['text', 'number', 'date', 'datetime', 'sex', 'boolean', 'reference']).default('text'),
    /** Name of a code map in the spec, applied after normalization. */
    codeMap: z.string().max(64).optional(),
    /** Where the local name of a code is, so an unmapped code is listed with its name (and suggestions). */
    nameFrom: path.optional(),
    /**
     * Converts a number to the standard unit of an analyte, named (`analyte`) or found from the consortium code
     * another field of the row was mapped to (`analyteOfField`); the unit written is read from `unitFrom` or is
     * `unit`. A code without a known analyte keeps its value when its unit is already written in standard form.
     */
    convert: z
      .strictObject({
        analyte: z.enum(ANALYTE_NAMES).optional(),
        analyteOfField: z.string().max(63).optional(),
        unitFrom: path.optional(),
        unit: z.string().max(32).optional(),
      })
      .refine((c) => (c.unitFrom === undefined) !== (c.unit === undefined), 'give exactly one of unitFrom and unit')
      .refine(
        (c) => (c.analyte === undefined) !== (c.analyteOfField === undefined),
        'give exactly one of analyte and analyteOfField',
      )
      .optional(),
    /** Takes one side of a blood-pressure text ("120/80", "收缩压120 舒张压80", …) read from `from`. */
    bloodPressure: z.enum(['systolic', 'diastolic']).optional(),
  })
  .refine(
    (r) => [r.from, r.const, r.unitOf].filter((v) => v !== undefined).length === 1,
    'give exactly one of from, const and unitOf',
  );

/** One field rule. */
export type FieldRule = z.infer<typeof FieldRuleSchema>;

/** A local → standard code table; `otherwise` says what happens to a code that is not in it. */
export const CodeMapSchema = z.strictObject({
  entries: z.record(z.string().max(100), z.string().max(100)),
  otherwise: z.enum(['keep', 'reject']).default('reject'),
});

/** A versioned mapping of one kind of source record to one canonical table. */
export const MappingSpecSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{1,63}$/, 'lowercase letters, digits and dashes'),
    version: z.number().int().min(1),
    description: z.string().max(500).optional(),
    target: z.enum(Object.keys(DWD_TABLES) as [DwdTable, ...DwdTable[]]),
    /**
     * A repeating element that yields one row per occurrence: an HL7 segment id (`OBX`: paths on OBX read the
     * current one, other paths the message) or a FHIR array path (`component`: paths starting `@.` read the
     * current element). Absent: one row per record.
     */
    each: path.optional(),
    /** Only records where every listed path has one of the listed values are mapped by this spec. */
    when: z.record(path, z.array(z.string().max(200)).min(1).max(200)).optional(),
    fields: z.record(z.string().max(63), FieldRuleSchema),
    codeMaps: z.record(z.string().max(64), CodeMapSchema).default({}),
  })
  .superRefine((spec, ctx) => {
    const fields: Record<string, FieldDef> = DWD_TABLES[spec.target].fields;
    for (const [name, rule] of Object.entries(spec.fields)) {
      if (!(name in fields))
        ctx.addIssue({ code: 'custom', path: ['fields', name], message: `${spec.target} has no field "${name}"` });
      if (rule.codeMap && !(rule.codeMap in spec.codeMaps)) {
        ctx.addIssue({
          code: 'custom',
          path: ['fields', name, 'codeMap'],
          message: `no code map "${rule.codeMap}" in this spec`,
        });
      }
    }
    for (const [name, f] of Object.entries(fields)) {
      if (f.required && !(name in spec.fields))
        ctx.addIssue({
          code: 'custom',
          path: ['fields'],
          message: `required field "${name}" of ${spec.target} is not mapped`,
        });
    }
  });

/** A mapping spec as written (defaults not yet applied). */
export type MappingSpecInput = z.input<typeof MappingSpecSchema>;
/** A validated mapping spec. */
export type MappingSpec = z.infer<typeof MappingSpecSchema>;

/** Reads a value out of a source record by path (each reader provides one). */
export type RecordAccessor = (path: string) => unknown;

/** A local code the spec's code map did not know, with its local name when the spec says where it is. */
export interface UnmappedCode {
  codeMap: string;
  code: string;
  name?: string;
}

/** Why a record could not be mapped: the stable codes a load summary counts mapping rejects by. */
export const MAPPING_REJECT_CODES = {
  MAP_REQUIRED: 'A field the canonical table requires is empty in the record',
  MAP_VALUE: 'A value cannot be read as the type its field needs (number, date, sex, yes/no)',
  MAP_CODE: 'A local code is not in the code map and the map rejects unknown codes',
  MAP_UNIT: 'A unit is unknown, or not a unit of the analyte',
  MAP_BLOOD_PRESSURE: 'A blood-pressure text holds no plausible systolic/diastolic pair',
} as const;

/** A stable reason code of a mapping reject. */
export type MappingRejectCode = keyof typeof MAPPING_REJECT_CODES;

/** The outcome of mapping one record. */
export type MappedRecord =
  | { kind: 'row'; row: Record<string, unknown>; unmapped: UnmappedCode[] }
  | { kind: 'skip' }
  | { kind: 'reject'; code: MappingRejectCode; field: string; reason: string; unmapped: UnmappedCode[] };

/** Validates a spec, with errors naming each field at fault. */
export function parseMappingSpec(input: unknown): { ok: true; spec: MappingSpec } | { ok: false; problems: string[] } {
  const r = MappingSpecSchema.safeParse(input);
  if (r.success) return { ok: true, spec: r.data };
  return { ok: false, problems: r.error.issues.map((i) => `${i.path.join('.') || '(spec)'}: ${i.message}`) };
}

/** The version tag written into every row's lineage. */
export function mappingVersion(spec: MappingSpec): string {
  return `${spec.id}@${spec.version}`;
}

/** Whether a record falls under the spec's `when` filter. */
export function specApplies(spec: MappingSpec, get: RecordAccessor): boolean {
  for (const [p, allowed] of Object.entries(spec.when ?? {})) {
    const v = get(p);
    if (v === undefined || v === null || !allowed.includes(String(v).trim())) return false;
  }
  return true;
}

/**
 * Maps one source record (or one occurrence of the spec's `each`); pure. Records outside the spec's `when`
 * are skipped, not rejected. Fields with `convert` or `unitOf` are filled after the others, so they may
 * depend on the consortium code another field was mapped to.
 */
export function applyMapping(spec: MappingSpec, get: RecordAccessor): MappedRecord {
  if (!specApplies(spec, get)) return { kind: 'skip' };
  const fields: Record<string, FieldDef> = DWD_TABLES[spec.target].fields;
  const row: Record<string, unknown> = {};
  const units: Record<string, string> = {};
  const unmapped: UnmappedCode[] = [];
  const entries = Object.entries(spec.fields);
  const ordered = [
    ...entries.filter(([, r]) => !r.convert && r.unitOf === undefined),
    ...entries.filter(([, r]) => r.convert),
    ...entries.filter(([, r]) => r.unitOf !== undefined),
  ];
  for (const [name, rule] of ordered) {
    const result = fieldValue(spec, rule, get, row, units, unmapped);
    if (!result.ok) return { kind: 'reject', code: result.code, field: name, reason: result.reason, unmapped };
    if (result.unit !== undefined) units[name] = result.unit;
    if ((result.value === null || result.value === '') && fields[name]?.required) {
      return {
        kind: 'reject',
        code: 'MAP_REQUIRED',
        field: name,
        reason: `required ${spec.target}.${name} is missing`,
        unmapped,
      };
    }
    row[name] = result.value === '' ? null : result.value;
  }
  return { kind: 'row', row, unmapped };
}

type Value = { ok: true; value: unknown; unit?: string } | { ok: false; code: MappingRejectCode; reason: string };

function fieldValue(
  spec: MappingSpec,
  rule: FieldRule,
  get: RecordAccessor,
  row: Record<string, unknown>,
  units: Record<string, string>,
  unmapped: UnmappedCode[],
): Value {
  if (rule.unitOf !== undefined) return { ok: true, value: units[rule.unitOf] ?? null };
  const raw = rule.const !== undefined ? rule.const : get(rule.from as string);
  if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === ''))
    return { ok: true, value: null };
  if (rule.bloodPressure) {
    const bp = parseBloodPressure(String(raw));
    return bp.ok
      ? { ok: true, value: bp[rule.bloodPressure], unit: STANDARD_UNIT.blood_pressure }
      : { ok: false, code: 'MAP_BLOOD_PRESSURE', reason: `blood pressure: ${bp.reason}` };
  }
  let value = normalize(rule.as, raw);
  if (!value.ok) return value;
  if (rule.codeMap) {
    const map = spec.codeMaps[rule.codeMap];
    const code = String(value.value);
    const mapped = map?.entries[code];
    if (mapped === undefined) {
      const name = rule.nameFrom === undefined ? undefined : get(rule.nameFrom);
      unmapped.push(
        name === undefined || name === null || name === ''
          ? { codeMap: rule.codeMap, code }
          : { codeMap: rule.codeMap, code, name: String(name).trim() },
      );
      if (map?.otherwise !== 'keep')
        return { ok: false, code: 'MAP_CODE', reason: `code "${code}" is not in code map ${rule.codeMap}` };
    } else value = { ok: true, value: mapped };
  }
  if (rule.convert) return convert(rule.convert, Number(value.value), get, row);
  return value;
}

function convert(c: NonNullable<FieldRule['convert']>, n: number, get: RecordAccessor, row: Record<string, unknown>) {
  const rawUnit = c.unit ?? String(get(c.unitFrom as string) ?? '').trim();
  const analyte: Analyte | undefined =
    c.analyte ?? (c.analyteOfField === undefined ? undefined : analyteOfCode(String(row[c.analyteOfField] ?? '')));
  if (analyte === undefined) {
    return Number.isFinite(n)
      ? ({ ok: true, value: n, unit: rawUnit === '' ? undefined : rawUnit } as Value)
      : ({ ok: false, code: 'MAP_VALUE', reason: `"${n}" is not a number` } as Value);
  }
  const r = toStandardUnit(analyte, n, rawUnit);
  return r.ok
    ? ({ ok: true, value: r.value, unit: r.unit } as Value)
    : ({ ok: false, code: 'MAP_UNIT', reason: r.reason } as Value);
}

function normalize(as: FieldRule['as'], raw: unknown): Value {
  switch (as) {
    case 'text':
      return { ok: true, value: toHalfWidth(String(raw)).trim() };
    case 'number': {
      const n = typeof raw === 'number' ? raw : Number(toHalfWidth(String(raw)).trim().replace(/,/g, ''));
      return Number.isFinite(n)
        ? { ok: true, value: n }
        : { ok: false, code: 'MAP_VALUE', reason: `"${String(raw).slice(0, 40)}" is not a number` };
    }
    case 'date':
    case 'datetime': {
      const d = parseClinicalDate(raw as string | number | Date);
      if (!d.ok) return { ok: false, code: 'MAP_VALUE', reason: d.reason };
      return { ok: true, value: as === 'date' ? d.date : (d.instant ?? `${d.date}T00:00:00+08:00`) };
    }
    case 'sex':
      return sex(String(raw));
    case 'reference': {
      const s = String(raw).trim();
      return { ok: true, value: s.slice(Math.max(s.lastIndexOf('/'), s.lastIndexOf(':')) + 1) };
    }
    case 'boolean': {
      const s = String(raw).trim().toLowerCase();
      if (['1', 'true', 'y', 'yes', '是'].includes(s)) return { ok: true, value: true };
      if (['0', 'false', 'n', 'no', '否'].includes(s)) return { ok: true, value: false };
      return { ok: false, code: 'MAP_VALUE', reason: `"${s}" is not a yes/no value` };
    }
  }
}

/** Sex per GB/T 2261.1 (1 male, 2 female, 0 unknown, 9 unspecified) and the usual spellings. */
function sex(raw: string): Value {
  const s = toHalfWidth(raw).trim().toLowerCase();
  if (['1', 'm', 'male', '男', '男性'].includes(s)) return { ok: true, value: 'M' };
  if (['2', 'f', 'female', '女', '女性'].includes(s)) return { ok: true, value: 'F' };
  if (['0', '9', 'u', 'unknown', 'o', 'other', '未知', '未说明'].includes(s)) return { ok: true, value: 'U' };
  return { ok: false, code: 'MAP_VALUE', reason: `"${raw}" is not a sex code` };
}
