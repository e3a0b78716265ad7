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
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'an ISO date YYYY-MM-DD');
const regex = z
  .string()
  .min(1)
  .max(200)
  .refine((text) => {
    try {
      new RegExp(text, 'u');
      return true;
    } catch {
      return false;
    }
  }, 'a valid regular expression');

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
    /** Paths whose values are appended to `from`'s, empty ones left out (family + given name). */
    concat: z.array(path).min(1).max(8).optional(),
    /** Decodes the value first (`base64`: UTF-8 text carried as base64, e.g. a FHIR attachment's data). */
    decode: z.enum(['base64']).optional(),
    /**
     * A regular expression the text must match; the value becomes its first capture group (or the whole
     * match), and no match leaves the field empty. Applied after `decode`, before everything else.
     */
    pattern: regex.optional(),
    /** Refuses the record (MAP_REQUIRED) when the field is empty, even where the table allows it. */
    required: z.boolean().optional(),
    /** Smallest plausible value: a number, or an ISO date for date and datetime fields (MAP_RANGE below it). */
    min: z.union([z.number(), isoDate]).optional(),
    /** Largest plausible value, as `min`. */
    max: z.union([z.number(), isoDate]).optional(),
    /** A date or datetime must not precede another field of the row (`field`) or a date in the record (`from`). */
    notBefore: z
      .strictObject({ field: z.string().max(63).optional(), from: path.optional() })
      .refine((n) => (n.field === undefined) !== (n.from === undefined), 'give exactly one of field and from')
      .optional(),
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
    /**
     * Target fields that make the record not this spec's business when they come out empty: it is skipped,
     * not rejected (a death spec over a patient export, a blood pressure found in some notes only).
     */
    skipWhenEmpty: z.array(z.string().max(63)).max(64).optional(),
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
      if (rule.notBefore?.field !== undefined && !(rule.notBefore.field in spec.fields)) {
        ctx.addIssue({
          code: 'custom',
          path: ['fields', name, 'notBefore'],
          message: `notBefore names field "${rule.notBefore.field}", which this spec does not map`,
        });
      }
    }
    for (const name of spec.skipWhenEmpty ?? []) {
      if (!(name in spec.fields))
        ctx.addIssue({ code: 'custom', path: ['skipWhenEmpty'], message: `"${name}" is not a field of this spec` });
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
  MAP_RANGE: 'A value is outside its plausible range, or a date precedes the date it must follow',
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

/** The order a spec's fields are filled in and its skip-when-empty fields, worked out once per spec. */
const plans = new WeakMap<MappingSpec, { skipWhenEmpty: ReadonlySet<string>; ordered: [string, FieldRule][] }>();

function planOf(spec: MappingSpec): { skipWhenEmpty: ReadonlySet<string>; ordered: [string, FieldRule][] } {
  let plan = plans.get(spec);
  if (plan === undefined) {
    const skipWhenEmpty = new Set(spec.skipWhenEmpty ?? []);
    const ordered = Object.entries(spec.fields).sort((a, b) => phase(a, skipWhenEmpty) - phase(b, skipWhenEmpty));
    plan = { skipWhenEmpty, ordered };
    plans.set(spec, plan);
  }
  return plan;
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
  const { skipWhenEmpty, ordered } = planOf(spec);
  for (const [name, rule] of ordered) {
    const result = fieldValue(spec, rule, get, row, units, unmapped);
    const empty = result.ok && (result.value === null || result.value === '');
    if (empty && skipWhenEmpty.has(name)) return { kind: 'skip' };
    if (!result.ok) return { kind: 'reject', code: result.code, field: name, reason: result.reason, unmapped };
    if (result.unit !== undefined) units[name] = result.unit;
    if (!empty && (rule.min !== undefined || rule.max !== undefined || rule.notBefore !== undefined)) {
      const bad = outOfRange(rule, result.value, get, row);
      if (bad !== undefined) return { kind: 'reject', code: 'MAP_RANGE', field: name, reason: bad, unmapped };
    }
    if (empty && (fields[name]?.required || rule.required)) {
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

/**
 * When a field is filled: fields that can skip the record first, then plain fields, then fields compared with
 * another field (`notBefore.field`), converted fields (they may read the code another field was mapped to),
 * and last `unitOf` fields (the unit a converted field was stored in).
 */
function phase([name, rule]: [string, FieldRule], skipWhenEmpty: ReadonlySet<string>): number {
  if (rule.unitOf !== undefined) return 3;
  if (rule.convert) return 2;
  if (rule.notBefore?.field !== undefined) return 1;
  return skipWhenEmpty.has(name) ? -1 : 0;
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
  const raw = extract(rule, rule.const !== undefined ? rule.const : joined(rule, get));
  if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === ''))
    return { ok: true, value: null };
  if (rule.bloodPressure) {
    const bp = parseBloodPressure(String(raw));
    return bp.ok
      ? { ok: true, value: bp[rule.bloodPressure], unit: STANDARD_UNIT.blood_pressure }
      : { ok: false, code: 'MAP_BLOOD_PRESSURE', reason: `blood pressure: ${bp.reason}` };
  }
  // A code map on a typed field maps the text as written; the mapped text is then read as that type.
  const mapFirst = rule.codeMap !== undefined && rule.as !== 'text' && rule.as !== 'reference';
  let value = mapFirst ? ({ ok: true, value: toHalfWidth(String(raw)).trim() } as Value) : normalize(rule.as, raw);
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
    if (mapFirst) value = normalize(rule.as, value.value);
    if (!value.ok) return value;
  }
  if (rule.convert) return convert(rule.convert, Number(value.value), get, row);
  return value;
}

/** The value at `from`, with the values at `concat` appended. */
function joined(rule: FieldRule, get: RecordAccessor): unknown {
  const first = get(rule.from as string);
  if (rule.concat === undefined) return first;
  const parts = [first, ...rule.concat.map((p) => get(p))].filter((v) => v !== undefined && v !== null && v !== '');
  return parts.length === 0 ? null : parts.map(String).join('');
}

/** Applies `decode` and `pattern` to a raw value. */
function extract(rule: FieldRule, raw: unknown): unknown {
  if (raw === undefined || raw === null || (rule.decode === undefined && rule.pattern === undefined)) return raw;
  let text = String(raw);
  if (rule.decode === 'base64') text = Buffer.from(text.trim(), 'base64').toString('utf8');
  if (rule.pattern === undefined) return text;
  const m = compiledPattern(rule.pattern).exec(toHalfWidth(text));
  return m === null ? null : (m[1] ?? m[0]);
}

const patterns = new Map<string, RegExp>();
const PATTERNS_CACHED_MAX = 1_000;

function compiledPattern(text: string): RegExp {
  let re = patterns.get(text);
  if (re === undefined) {
    re = new RegExp(text, 'u');
    if (patterns.size >= PATTERNS_CACHED_MAX) patterns.clear();
    patterns.set(text, re);
  }
  return re;
}

/** Why a filled value breaks the rule's `min`, `max` or `notBefore`, or undefined when it does not. */
function outOfRange(rule: FieldRule, value: unknown, get: RecordAccessor, row: Record<string, unknown>) {
  const v = comparable(value);
  if (v === undefined) return undefined;
  const shown = String(value);
  if (rule.min !== undefined && v < (comparable(rule.min) as number))
    return `${shown} is below the plausible minimum ${rule.min}`;
  if (rule.max !== undefined && v > (comparable(rule.max) as number))
    return `${shown} is above the plausible maximum ${rule.max}`;
  const nb = rule.notBefore;
  if (nb !== undefined) {
    const other = nb.field !== undefined ? row[nb.field] : dateOf(get(nb.from as string));
    const o = comparable(other);
    if (o !== undefined && v < o) return `${shown} precedes ${nb.field ?? nb.from} ${String(other)}`;
  }
  return undefined;
}

/** A date read from the record for `notBefore.from` (ISO date, or undefined when unreadable). */
function dateOf(raw: unknown): string | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  const d = parseClinicalDate(raw as string | number);
  return d.ok ? (d.instant ?? d.date) : undefined;
}

/** Numbers as they are; an ISO date as the instant its Beijing day starts; an ISO instant as its time. */
function comparable(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v !== 'string') return undefined;
  if (/^\d{4}-\d{2}-\d{2}$/.test(v)) return Date.parse(`${v}T00:00:00+08:00`);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(v)) return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
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
