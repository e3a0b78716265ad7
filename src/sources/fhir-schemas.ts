/**
 * Zod schemas of the FHIR R4 elements Meridian reads, per resource type: required elements (cardinality 1..1
 * in R4), value types, code values from required bindings, date/dateTime/instant syntax and calendar validity,
 * and "only one of" for choice elements (`value[x]`, `effective[x]` …). Unknown elements are ignored (the
 * resource is passed on as it was read).
 * A violation names its FHIRPath (`Observation.component[1].code`).
 */
import type { Resource } from '@medplum/fhirtypes';
import { z } from 'zod';

const DATE_RE = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/;
const DATETIME_RE =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(Z|[+-](\d{2}):(\d{2})))?)?)?$/;
const TIME_RE = /^(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?$/;

/** Days in a month of a (proleptic Gregorian) year. */
function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** True when year/month/day (each possibly absent) name a real calendar day. */
function calendarOk(y: string | undefined, m: string | undefined, d: string | undefined): boolean {
  const year = Number(y);
  if (!(year >= 1)) return false;
  if (m === undefined) return true;
  const month = Number(m);
  if (month < 1 || month > 12) return false;
  if (d === undefined) return true;
  const day = Number(d);
  return day >= 1 && day <= daysIn(year, month);
}

function timeOk(h: string | undefined, mi: string | undefined, s: string | undefined): boolean {
  return Number(h) <= 23 && Number(mi) <= 59 && Number(s) <= 60;
}

/** True for an R4 `date`: YYYY, YYYY-MM or YYYY-MM-DD, a real day. */
export function isFhirDate(s: string): boolean {
  const m = DATE_RE.exec(s);
  return m !== null && calendarOk(m[1], m[2], m[3]);
}

/** True for an R4 `dateTime`: a date, or a full date with hh:mm:ss and a time zone (required with a time). */
export function isFhirDateTime(s: string): boolean {
  const m = DATETIME_RE.exec(s);
  if (m === null || !calendarOk(m[1], m[2], m[3])) return false;
  if (m[4] === undefined) return true;
  if (!timeOk(m[4], m[5], m[6])) return false;
  return m[7] === 'Z' || (Number(m[8]) <= 14 && Number(m[9]) <= 59);
}

/** True for an R4 `instant`: a full dateTime to the second with a time zone. */
export function isFhirInstant(s: string): boolean {
  return isFhirDateTime(s) && s.includes('T');
}

const date = z.string().refine(isFhirDate, { error: 'not a FHIR date (YYYY, YYYY-MM or YYYY-MM-DD, a real day)' });
const dateTime = z.string().refine(isFhirDateTime, {
  error: 'not a FHIR dateTime (a date, or YYYY-MM-DDThh:mm:ss with a time zone)',
});
const instant = z.string().refine(isFhirInstant, {
  error: 'not a FHIR instant (YYYY-MM-DDThh:mm:ss[.fff] with a time zone)',
});
const time = z.string().refine((s) => {
  const m = TIME_RE.exec(s);
  return m !== null && timeOk(m[1], m[2], m[3]);
}, 'not a FHIR time (hh:mm:ss)');
const id = z.string().regex(/^[A-Za-z0-9\-.]{1,64}$/, 'not a FHIR id (1–64 letters, digits, "-" or ".")');
const code = z.string().regex(/^\S+( \S+)*$/, 'not a FHIR code (no leading, trailing or double spaces)');
const uri = z.string().regex(/^\S+$/, 'not a FHIR uri (non-empty, no spaces)');
const decimal = z.number().refine(Number.isFinite, 'not a finite number');
const integer = z.int();
const unsignedInt = z.int().min(0);
const positiveInt = z.int().min(1);
const base64 = z.string().regex(/^[A-Za-z0-9+/=\s]*$/, 'not base64');

const Coding = z.object({
  system: uri.optional(),
  version: z.string().optional(),
  code: code.optional(),
  display: z.string().optional(),
});
const CodeableConcept = z.object({ coding: z.array(Coding).optional(), text: z.string().optional() });
const Identifier = z.object({
  use: z.enum(['usual', 'official', 'temp', 'secondary', 'old']).optional(),
  type: CodeableConcept.optional(),
  system: uri.optional(),
  value: z.string().optional(),
});
const Reference = z.object({
  reference: z.string().optional(),
  type: uri.optional(),
  identifier: Identifier.optional(),
  display: z.string().optional(),
});
const Quantity = z.object({
  value: decimal.optional(),
  comparator: z.enum(['<', '<=', '>=', '>']).optional(),
  unit: z.string().optional(),
  system: uri.optional(),
  code: code.optional(),
});
const Period = z.object({ start: dateTime.optional(), end: dateTime.optional() });
const Range = z.object({ low: Quantity.optional(), high: Quantity.optional() });
const Ratio = z.object({ numerator: Quantity.optional(), denominator: Quantity.optional() });
const HumanName = z.object({
  use: z.enum(['usual', 'official', 'temp', 'nickname', 'anonymous', 'old', 'maiden']).optional(),
  text: z.string().optional(),
  family: z.string().optional(),
  given: z.array(z.string()).optional(),
  prefix: z.array(z.string()).optional(),
  suffix: z.array(z.string()).optional(),
});
const Address = z.object({
  text: z.string().optional(),
  line: z.array(z.string()).optional(),
  city: z.string().optional(),
  district: z.string().optional(),
  state: z.string().optional(),
  postalCode: z.string().optional(),
  country: z.string().optional(),
});
const ContactPoint = z.object({
  system: z.enum(['phone', 'fax', 'email', 'pager', 'url', 'sms', 'other']).optional(),
  value: z.string().optional(),
  use: z.enum(['home', 'work', 'temp', 'old', 'mobile']).optional(),
});
const Attachment = z.object({
  contentType: code.optional(),
  language: code.optional(),
  data: base64.optional(),
  url: z.string().optional(),
  size: unsignedInt.optional(),
  title: z.string().optional(),
  creation: dateTime.optional(),
});
const Dosage = z.object({
  sequence: integer.optional(),
  text: z.string().optional(),
  route: CodeableConcept.optional(),
  doseAndRate: z
    .array(
      z.object({
        type: CodeableConcept.optional(),
        doseQuantity: Quantity.optional(),
        doseRange: Range.optional(),
      }),
    )
    .optional(),
});
const SampledData = z.object({ origin: Quantity, period: decimal, dimensions: positiveInt });

/** The elements of one resource type and the checks across elements ("only one of" for choices). */
interface TypeSpec {
  shape: Record<string, z.ZodType>;
  refine?: (value: Record<string, unknown>, ctx: z.RefinementCtx) => void;
}

/** A choice element `name[x]`: every allowed type suffix with its schema. */
type Choice = { name: string; types: Record<string, z.ZodType> };

/** The shape entries of a choice element (all optional; "only one" is checked by `oneOf`). */
function choiceShape(c: Choice): Record<string, z.ZodOptional<z.ZodType>> {
  return Object.fromEntries(Object.entries(c.types).map(([t, s]) => [`${c.name}${t}`, s.optional()]));
}

/** Adds an issue for each choice element given in more than one type, and for a required one given in none. */
function oneOf(choices: Choice[], required: string[] = []) {
  const keysOf = new Map(choices.map((c) => [c, Object.keys(c.types).map((t) => `${c.name}${t}`)]));
  return (value: Record<string, unknown>, ctx: z.RefinementCtx) => {
    for (const c of choices) {
      const present = (keysOf.get(c) as string[]).filter((k) => value[k] !== undefined);
      if (present.length > 1) {
        ctx.addIssue({
          code: 'custom',
          path: [present[1] as string],
          message: `only one of ${c.name}[x] is allowed, found ${present.join(' and ')}`,
        });
      } else if (present.length === 0 && required.includes(c.name)) {
        ctx.addIssue({ code: 'custom', path: [`${c.name}[x]`], message: `${c.name}[x] is required` });
      }
    }
  };
}

const observationValue: Choice = {
  name: 'value',
  types: {
    Quantity,
    CodeableConcept,
    String: z.string(),
    Boolean: z.boolean(),
    Integer: integer,
    Range,
    Ratio,
    SampledData,
    Time: time,
    DateTime: dateTime,
    Period,
  },
};

const base = { id: id.optional(), meta: z.object({}).optional() };

const PatientSpec: TypeSpec = {
  shape: {
    ...base,
    resourceType: z.literal('Patient'),
    identifier: z.array(Identifier).optional(),
    active: z.boolean().optional(),
    name: z.array(HumanName).optional(),
    telecom: z.array(ContactPoint).optional(),
    gender: z.enum(['male', 'female', 'other', 'unknown']).optional(),
    birthDate: date.optional(),
    ...choiceShape({ name: 'deceased', types: { Boolean: z.boolean(), DateTime: dateTime } }),
    address: z.array(Address).optional(),
    maritalStatus: CodeableConcept.optional(),
    managingOrganization: Reference.optional(),
  },
  refine: oneOf([{ name: 'deceased', types: { Boolean: z.boolean(), DateTime: dateTime } }]),
};

const EncounterSpec: TypeSpec = {
  shape: {
    ...base,
    resourceType: z.literal('Encounter'),
    identifier: z.array(Identifier).optional(),
    status: z.enum([
      'planned',
      'arrived',
      'triaged',
      'in-progress',
      'onleave',
      'finished',
      'cancelled',
      'entered-in-error',
      'unknown',
    ]),
    class: Coding,
    type: z.array(CodeableConcept).optional(),
    serviceType: CodeableConcept.optional(),
    priority: CodeableConcept.optional(),
    subject: Reference.optional(),
    period: Period.optional(),
    reasonCode: z.array(CodeableConcept).optional(),
    diagnosis: z
      .array(z.object({ condition: Reference, use: CodeableConcept.optional(), rank: positiveInt.optional() }))
      .optional(),
    hospitalization: z
      .object({ admitSource: CodeableConcept.optional(), dischargeDisposition: CodeableConcept.optional() })
      .optional(),
    location: z.array(z.object({ location: Reference, period: Period.optional() })).optional(),
    serviceProvider: Reference.optional(),
  },
};

const conditionOnset: Choice = {
  name: 'onset',
  types: { DateTime: dateTime, Age: Quantity, Period, Range, String: z.string() },
};
const conditionAbatement: Choice = {
  name: 'abatement',
  types: { DateTime: dateTime, Age: Quantity, Period, Range, String: z.string() },
};
const ConditionSpec: TypeSpec = {
  shape: {
    ...base,
    resourceType: z.literal('Condition'),
    identifier: z.array(Identifier).optional(),
    clinicalStatus: CodeableConcept.optional(),
    verificationStatus: CodeableConcept.optional(),
    category: z.array(CodeableConcept).optional(),
    severity: CodeableConcept.optional(),
    code: CodeableConcept.optional(),
    bodySite: z.array(CodeableConcept).optional(),
    subject: Reference,
    encounter: Reference.optional(),
    ...choiceShape(conditionOnset),
    ...choiceShape(conditionAbatement),
    recordedDate: dateTime.optional(),
  },
  refine: oneOf([conditionOnset, conditionAbatement]),
};

const observationEffective: Choice = {
  name: 'effective',
  types: { DateTime: dateTime, Period, Timing: z.object({}), Instant: instant },
};
const ReferenceRange = z.object({
  low: Quantity.optional(),
  high: Quantity.optional(),
  type: CodeableConcept.optional(),
  text: z.string().optional(),
});
const ObservationComponent = z
  .object({
    code: CodeableConcept,
    ...choiceShape(observationValue),
    dataAbsentReason: CodeableConcept.optional(),
    interpretation: z.array(CodeableConcept).optional(),
    referenceRange: z.array(ReferenceRange).optional(),
  })
  .superRefine(oneOf([observationValue]));
const ObservationSpec: TypeSpec = {
  shape: {
    ...base,
    resourceType: z.literal('Observation'),
    identifier: z.array(Identifier).optional(),
    status: z.enum([
      'registered',
      'preliminary',
      'final',
      'amended',
      'corrected',
      'cancelled',
      'entered-in-error',
      'unknown',
    ]),
    category: z.array(CodeableConcept).optional(),
    code: CodeableConcept,
    subject: Reference.optional(),
    encounter: Reference.optional(),
    ...choiceShape(observationEffective),
    issued: instant.optional(),
    ...choiceShape(observationValue),
    dataAbsentReason: CodeableConcept.optional(),
    interpretation: z.array(CodeableConcept).optional(),
    bodySite: CodeableConcept.optional(),
    method: CodeableConcept.optional(),
    specimen: Reference.optional(),
    referenceRange: z.array(ReferenceRange).optional(),
    component: z.array(ObservationComponent).optional(),
  },
  refine: oneOf([observationEffective, observationValue]),
};

const medication: Choice = { name: 'medication', types: { CodeableConcept, Reference } };
const MedicationRequestSpec: TypeSpec = {
  shape: {
    ...base,
    resourceType: z.literal('MedicationRequest'),
    identifier: z.array(Identifier).optional(),
    status: z.enum(['active', 'on-hold', 'cancelled', 'completed', 'entered-in-error', 'stopped', 'draft', 'unknown']),
    intent: z.enum([
      'proposal',
      'plan',
      'order',
      'original-order',
      'reflex-order',
      'filler-order',
      'instance-order',
      'option',
    ]),
    category: z.array(CodeableConcept).optional(),
    ...choiceShape(medication),
    subject: Reference,
    encounter: Reference.optional(),
    authoredOn: dateTime.optional(),
    requester: Reference.optional(),
    reasonCode: z.array(CodeableConcept).optional(),
    dosageInstruction: z.array(Dosage).optional(),
    dispenseRequest: z
      .object({ quantity: Quantity.optional(), expectedSupplyDuration: Quantity.optional() })
      .optional(),
  },
  refine: oneOf([medication], ['medication']),
};

const statementEffective: Choice = { name: 'effective', types: { DateTime: dateTime, Period } };
const MedicationStatementSpec: TypeSpec = {
  shape: {
    ...base,
    resourceType: z.literal('MedicationStatement'),
    identifier: z.array(Identifier).optional(),
    status: z.enum([
      'active',
      'completed',
      'entered-in-error',
      'intended',
      'stopped',
      'on-hold',
      'unknown',
      'not-taken',
    ]),
    category: CodeableConcept.optional(),
    ...choiceShape(medication),
    subject: Reference,
    context: Reference.optional(),
    ...choiceShape(statementEffective),
    dateAsserted: dateTime.optional(),
    reasonCode: z.array(CodeableConcept).optional(),
    dosage: z.array(Dosage).optional(),
  },
  refine: oneOf([medication, statementEffective], ['medication']),
};

const performed: Choice = {
  name: 'performed',
  types: { DateTime: dateTime, Period, String: z.string(), Age: Quantity, Range },
};
const ProcedureSpec: TypeSpec = {
  shape: {
    ...base,
    resourceType: z.literal('Procedure'),
    identifier: z.array(Identifier).optional(),
    status: z.enum([
      'preparation',
      'in-progress',
      'not-done',
      'on-hold',
      'stopped',
      'completed',
      'entered-in-error',
      'unknown',
    ]),
    category: CodeableConcept.optional(),
    code: CodeableConcept.optional(),
    subject: Reference,
    encounter: Reference.optional(),
    ...choiceShape(performed),
    bodySite: z.array(CodeableConcept).optional(),
    outcome: CodeableConcept.optional(),
  },
  refine: oneOf([performed]),
};

const reportEffective: Choice = { name: 'effective', types: { DateTime: dateTime, Period } };
const DiagnosticReportSpec: TypeSpec = {
  shape: {
    ...base,
    resourceType: z.literal('DiagnosticReport'),
    identifier: z.array(Identifier).optional(),
    status: z.enum([
      'registered',
      'partial',
      'preliminary',
      'final',
      'amended',
      'corrected',
      'appended',
      'cancelled',
      'entered-in-error',
      'unknown',
    ]),
    category: z.array(CodeableConcept).optional(),
    code: CodeableConcept,
    subject: Reference.optional(),
    encounter: Reference.optional(),
    ...choiceShape(reportEffective),
    issued: instant.optional(),
    result: z.array(Reference).optional(),
    imagingStudy: z.array(Reference).optional(),
    conclusion: z.string().optional(),
    conclusionCode: z.array(CodeableConcept).optional(),
    presentedForm: z.array(Attachment).optional(),
  },
  refine: oneOf([reportEffective]),
};

const DocumentReferenceSpec: TypeSpec = {
  shape: {
    ...base,
    resourceType: z.literal('DocumentReference'),
    identifier: z.array(Identifier).optional(),
    status: z.enum(['current', 'superseded', 'entered-in-error']),
    docStatus: z.enum(['preliminary', 'final', 'amended', 'entered-in-error']).optional(),
    type: CodeableConcept.optional(),
    category: z.array(CodeableConcept).optional(),
    subject: Reference.optional(),
    date: instant.optional(),
    author: z.array(Reference).optional(),
    description: z.string().optional(),
    content: z.array(z.object({ attachment: Attachment, format: Coding.optional() })).min(1),
    context: z.object({ encounter: z.array(Reference).optional(), period: Period.optional() }).optional(),
  },
};

const ImagingStudySpec: TypeSpec = {
  shape: {
    ...base,
    resourceType: z.literal('ImagingStudy'),
    identifier: z.array(Identifier).optional(),
    status: z.enum(['registered', 'available', 'cancelled', 'entered-in-error', 'unknown']),
    modality: z.array(Coding).optional(),
    subject: Reference,
    encounter: Reference.optional(),
    started: dateTime.optional(),
    numberOfSeries: unsignedInt.optional(),
    numberOfInstances: unsignedInt.optional(),
    procedureCode: z.array(CodeableConcept).optional(),
    description: z.string().optional(),
    series: z
      .array(
        z.object({
          uid: id,
          number: unsignedInt.optional(),
          modality: Coding,
          description: z.string().optional(),
          numberOfInstances: unsignedInt.optional(),
          bodySite: Coding.optional(),
          started: dateTime.optional(),
          instance: z.array(z.object({ uid: id, sopClass: Coding, number: unsignedInt.optional() })).optional(),
        }),
      )
      .optional(),
  },
};

/** The element checks of each resource type Meridian validates; other types get the base checks only. */
const TYPE_SPECS = {
  Patient: PatientSpec,
  Encounter: EncounterSpec,
  Condition: ConditionSpec,
  Observation: ObservationSpec,
  MedicationRequest: MedicationRequestSpec,
  MedicationStatement: MedicationStatementSpec,
  Procedure: ProcedureSpec,
  DiagnosticReport: DiagnosticReportSpec,
  DocumentReference: DocumentReferenceSpec,
  ImagingStudy: ImagingStudySpec,
} as const;

/** A resource type with a Meridian schema. */
export type ValidatedResourceType = keyof typeof TYPE_SPECS;

/**
 * Builds the Zod schema of a type spec. Objects are `z.object` (unknown keys stripped from Zod's output), not
 * `z.looseObject`: the reader keeps the original JSON, never Zod's copy, and the catch-all pass of a loose
 * object cost ~40 % of the validation time.
 */
function schemaOf(spec: TypeSpec): z.ZodType {
  const object = z.object(spec.shape);
  return spec.refine === undefined ? object : object.superRefine(spec.refine);
}

/** The full Zod schema of each resource type Meridian validates. */
export const FHIR_SCHEMAS: Readonly<Record<ValidatedResourceType, z.ZodType>> = Object.fromEntries(
  Object.entries(TYPE_SPECS).map(([type, spec]) => [type, schemaOf(spec)]),
) as Record<ValidatedResourceType, z.ZodType>;

/** Checks done on every resource, whatever its type. */
const AnyResourceSchema = z.object({
  ...base,
  resourceType: z.string().regex(/^[A-Z][A-Za-z]+$/, 'not a FHIR resource type'),
});

/** The outcome of validating one resource. */
export type ResourceValidation =
  | { ok: true; resource: Resource; known: boolean }
  | { ok: false; path: string; message: string };

/** `Observation.component[1].code` for a Zod issue path. */
function fhirPath(type: string, path: readonly PropertyKey[]): string {
  let out = type;
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `.${String(p)}`;
  return out;
}

/** Words for a Zod issue that a steward can act on. */
function describeIssue(issue: z.core.$ZodIssue): string {
  const absent = !('input' in issue) || issue.input === undefined;
  if ((issue.code === 'invalid_type' || issue.code === 'invalid_value') && absent) return 'is required';
  if (issue.code === 'invalid_type')
    return `must be ${issue.expected === 'int' ? 'an integer' : `a ${issue.expected}`}`;
  if (issue.code === 'invalid_value') return `must be one of ${issue.values.map((v) => String(v)).join(', ')}`;
  if (issue.code === 'too_small' && issue.origin === 'array') return `needs at least ${issue.minimum} item(s)`;
  return issue.message;
}

/** Turns a failed parse into the first violation with its FHIRPath. */
function failure(typeName: string, error: z.ZodError): ResourceValidation {
  const issue = error.issues[0] as z.core.$ZodIssue;
  const path = fhirPath(typeName, issue.path);
  return { ok: false, path, message: `${path} ${describeIssue(issue)}` };
}

/**
 * Validates a parsed JSON value as a FHIR resource: the base checks for any type, then the type's schema when
 * Meridian has one. The first violation is reported with its FHIRPath.
 */
export function validateResource(value: unknown): ResourceValidation {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, path: '', message: 'is not a JSON object' };
  }
  const type = (value as { resourceType?: unknown }).resourceType;
  const typeName = typeof type === 'string' && /^[A-Z][A-Za-z]+$/.test(type) ? type : 'Resource';
  const known = typeof type === 'string' && Object.hasOwn(FHIR_SCHEMAS, type);
  const schema = known ? FHIR_SCHEMAS[type as ValidatedResourceType] : AnyResourceSchema;
  const result = schema.safeParse(value, { reportInput: true });
  if (!result.success) return failure(typeName, result.error);
  return { ok: true, resource: value as Resource, known };
}
