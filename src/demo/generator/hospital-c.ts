/**
 * Hospital C has a FHIR R4 EMR and a PACS. Half of its patients arrive as transaction Bundles (PUT by id,
 * up to a bounded number of patients per file), the other half as a bulk-export style NDJSON file per
 * resource type: Patient, Encounter, Condition, Observation (labs with LOINC + local codes, vitals with
 * blood pressure as a 85354-9 panel, as two 8480-6/8462-4 Observations, or as a local text code; smoking
 * status), MedicationRequest, Procedure, DiagnosticReport (imaging reports) and DocumentReference (notes).
 * Imaging studies are also written as DICOM Part 10 header files (GB18030 before 2021, UTF-8 after).
 */
import { createHash, type Hash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  type BpSpellingId,
  CODE_SYSTEMS,
  DEPARTMENTS,
  DIAGNOSES,
  DRUGS,
  drugLocalCode,
  IMAGING,
  LABS,
  type LocalLab,
  PROCEDURES,
  toLocalValue,
} from './catalog.ts';
import { ageYears, civilFromDays, compactDate, daysFromCivil, dicomTime, fhirDateTime, isoDate } from './dates.ts';
import {
  DIRT,
  drawProblem,
  type Emitter,
  type EmitterContext,
  isProtected,
  isShared,
  variantCount,
} from './emit-common.ts';
import { renderIdentity } from './identity.ts';
import { NOTE_TITLES, renderNote } from './notes.ts';
import { Rng, STREAM, weightedTable } from './prng.ts';
import type { ImagingStudy, LocalRecord, NoteRecord, Visit } from './records.ts';
import { HospitalStats } from './stats.ts';
import { dicomFile, uidFromWords } from './writers/dicom.ts';
import { BackgroundFileWriter } from './writers/file-writer-worker.ts';
import { TextSink } from './writers/text-sink.ts';

/** Patients per transaction Bundle file (bounds a bundle's memory and size). */
const BUNDLE_PATIENTS_MAX = 100;
/** Offset of bundle-level random streams (above every patient slot). */
const BUNDLE_STREAM_OFFSET = 0x40000000;
/** Studies dated from this year on use UTF-8 (ISO_IR 192); older ones GB18030. */
const DICOM_UTF8_FROM_YEAR = 2021;
const RESOURCE_TYPES = [
  'Patient',
  'Encounter',
  'Condition',
  'Observation',
  'MedicationRequest',
  'Procedure',
  'DiagnosticReport',
  'DocumentReference',
] as const;
type ResourceType = (typeof RESOURCE_TYPES)[number];
type Resource = { resourceType: ResourceType; id: string } & Record<string, unknown>;
/** Writes one resource given as its JSON members after `id` (a string starting with a comma, or empty). */
type Emit = (type: ResourceType, id: string, body: string, opts?: { exactDuplicate?: boolean }) => void;

/** The members of a resource object after resourceType and id, as JSON text (",…" or ""). */
function bodyOf(resource: Resource): string {
  const { resourceType: _t, id: _i, ...rest } = resource;
  const json = JSON.stringify(rest);
  return json === '{}' ? '' : `,${json.slice(1, -1)}`;
}

function emitResource(emit: Emit, resource: Resource, opts?: { exactDuplicate?: boolean }): void {
  emit(resource.resourceType, resource.id, bodyOf(resource), opts);
}

const V2_0203 = 'http://terminology.hl7.org/CodeSystem/v2-0203';
const OBS_CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';
const INTERPRETATION = 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation';
const BP_SPELLINGS_C = weightedTable<BpSpellingId>([
  ['c-fhir-panel', 55],
  ['c-fhir-separate', 30],
  ['c-fhir-local-text', 15],
]);
const ENCOUNTER_CLASS = {
  outpatient: { code: 'AMB', display: 'ambulatory' },
  emergency: { code: 'EMER', display: 'emergency' },
  inpatient: { code: 'IMP', display: 'inpatient encounter' },
} as const;
const NOTE_LOINC: Record<NoteRecord['kind'], { code: string; display: string }> = {
  admission: { code: '34117-2', display: 'History and physical note' },
  discharge: { code: '18842-5', display: 'Discharge summary' },
  death: { code: '18842-5', display: 'Discharge summary' },
  outpatient: { code: '34108-1', display: 'Outpatient Note' },
};
const SMOKING = {
  current: { code: '449868002', display: 'Smokes tobacco daily' },
  former: { code: '8517006', display: 'Ex-smoker' },
  never: { code: '266919005', display: 'Never smoked tobacco' },
} as const;
const MANUFACTURERS = ['GE MEDICAL SYSTEMS', 'SIEMENS', 'Philips', 'UIH'];

/** Local MRN of hospital C. */
export function hospitalCPatientId(slot: number): string {
  return `C${String(slot + 1).padStart(9, '0')}`;
}

function ref(type: string, id: string): { reference: string } {
  return { reference: `${type}/${id}` };
}

function coding(system: string, code: string, display?: string): Record<string, string> {
  return display === undefined ? { system, code } : { system, code, display };
}

function quantity(value: number, unit: string, code: string): Record<string, unknown> {
  return { value, unit, system: CODE_SYSTEMS.ucum, code };
}

const CONDITION_HEAD = `,"clinicalStatus":${JSON.stringify({ coding: [coding('http://terminology.hl7.org/CodeSystem/condition-clinical', 'active')] })},"verificationStatus":${JSON.stringify({ coding: [coding('http://terminology.hl7.org/CodeSystem/condition-ver-status', 'confirmed')] })},"category":${JSON.stringify([{ coding: [coding('http://terminology.hl7.org/CodeSystem/condition-category', 'encounter-diagnosis')] }])}`;
const VITAL_CATEGORY_JSON = JSON.stringify([{ coding: [coding(OBS_CATEGORY, 'vital-signs')] }]);
const SOCIAL_CATEGORY_JSON = JSON.stringify([{ coding: [coding(OBS_CATEGORY, 'social-history')] }]);
const INTERPRETATION_JSON: Record<string, string> = Object.fromEntries(
  ['H', 'L', 'N'].map((c) => [c, JSON.stringify([{ coding: [coding(INTERPRETATION, c)] }])]),
);

function loincJson(code: string, display: string): string {
  return JSON.stringify({ coding: [coding(CODE_SYSTEMS.loinc, code, display)], text: display });
}

const VITAL_CODES = {
  panel: loincJson('85354-9', 'Blood pressure panel with all children optional'),
  systolic: loincJson('8480-6', 'Systolic blood pressure'),
  diastolic: loincJson('8462-4', 'Diastolic blood pressure'),
  height: loincJson('8302-2', 'Body height'),
  weight: loincJson('29463-7', 'Body weight'),
  bmi: loincJson('39156-5', 'Body mass index (BMI) [Ratio]'),
  smoking: loincJson('72166-2', 'Tobacco smoking status'),
  localText: JSON.stringify({ coding: [coding(CODE_SYSTEMS.localVital, 'XY001', '血压')], text: '血压' }),
} as const;

function mmHgJson(value: number): string {
  return `{"value":${value},"unit":"mmHg","system":"${CODE_SYSTEMS.ucum}","code":"mm[Hg]"}`;
}

/** Memoizes a JSON fragment per key (the fragments are pure functions of catalogue entries). */
function memo<K>(make: (key: K) => string): (key: K) => string {
  const cache = new Map<K, string>();
  return (key) => {
    let v = cache.get(key);
    if (v === undefined) {
      v = make(key);
      cache.set(key, v);
    }
    return v;
  };
}

const conditionCodeJson = memo((key: keyof typeof DIAGNOSES) => {
  const dx = DIAGNOSES[key];
  return JSON.stringify({ coding: [coding(CODE_SYSTEMS.icd10cn, dx.code, dx.name)], text: dx.name });
});

const labHeadJson = memo(
  (test: LocalLab) =>
    `,"status":"final","category":${JSON.stringify([{ coding: [coding(OBS_CATEGORY, 'laboratory')] }])},"code":${JSON.stringify(
      {
        coding: [coding(CODE_SYSTEMS.loinc, test.loinc), coding(CODE_SYSTEMS.localLab, test.code, test.name)],
        text: test.name,
      },
    )}`,
);

function rangeJson(test: LocalLab, sex: 'M' | 'F'): string {
  const range = test.range[sex];
  return JSON.stringify(
    test.upperOnly
      ? [{ high: quantity(range[1], test.unit, test.ucum) }]
      : [{ low: quantity(range[0], test.unit, test.ucum), high: quantity(range[1], test.unit, test.ucum) }],
  );
}

const labRangeJson = { M: memo((t: LocalLab) => rangeJson(t, 'M')), F: memo((t: LocalLab) => rangeJson(t, 'F')) };

const medicationJson = memo((drugIndex: number) => {
  const d = DRUGS[drugIndex] as (typeof DRUGS)[number];
  return JSON.stringify({
    coding: [coding(CODE_SYSTEMS.localDrug, drugLocalCode(2, drugIndex), d.generic)],
    text: d.generic,
  });
});

const dosageJson = memo((drugIndex: number) => {
  const d = DRUGS[drugIndex] as (typeof DRUGS)[number];
  return JSON.stringify([
    {
      text: `${d.dose}${d.unit} ${d.frequency} ${d.route}`,
      timing: { code: { text: d.frequency } },
      route: { text: d.route },
      doseAndRate: [{ doseQuantity: { value: d.dose, unit: d.unit } }],
    },
  ]);
});

/** Writes hospital C's FHIR and DICOM output. */
export class HospitalCEmitter implements Emitter {
  #ctx: EmitterContext;
  #stats: HospitalStats;
  #labs: Readonly<Record<string, LocalLab>>;
  #ndjson: Record<ResourceType, TextSink>;
  #ndjsonRows: Record<ResourceType, number>;
  #bundle: { entries: string[]; patients: number; rows: Record<string, number> } = {
    entries: [],
    patients: 0,
    rows: {},
  };
  #bundleIndex = 0;
  #institution: string;
  #dicom = {
    files: 0,
    bytes: 0,
    studies: 0,
    series: 0,
    byModality: {} as Record<string, number>,
    hash: null as Hash | null,
  };
  #counters = { visit: 0, accession: 0, nearDuplicate: 0 };
  #dicomDirs = new Set<number>();
  #files = new BackgroundFileWriter();

  constructor(ctx: EmitterContext) {
    this.#ctx = ctx;
    this.#stats = ctx.stats;
    this.#labs = LABS[2] as Readonly<Record<string, LocalLab>>;
    this.#institution = ctx.displayName.split(' ')[0] ?? ctx.displayName;
    for (const dir of ['fhir/bundles', 'fhir/ndjson', 'dicom'])
      mkdirSync(join(ctx.outDir, ctx.name, dir), { recursive: true });
    this.#ndjson = Object.fromEntries(
      RESOURCE_TYPES.map((t) => [t, new TextSink(join(ctx.outDir, ctx.name, 'fhir/ndjson', `${t}.ndjson`), 'utf-8')]),
    ) as Record<ResourceType, TextSink>;
    this.#ndjsonRows = Object.fromEntries(RESOURCE_TYPES.map((t) => [t, 0])) as Record<ResourceType, number>;
    this.#dicom.hash = createHash('sha256');
  }

  /** Writes one patient's resources and imaging files. */
  add(record: LocalRecord): void {
    const ctx = this.#ctx;
    const stats = this.#stats;
    const rng = Rng.stream(ctx.root, STREAM.render, ctx.hospital, record.slot);
    const uidRng = Rng.stream(ctx.root, STREAM.uid, ctx.hospital, record.slot);
    const { person } = record;
    const mrn = hospitalCPatientId(record.slot);
    const guarded = isProtected(record);
    const toBundle = rng.chance(0.5);
    const emit: Emit = (type, id, body, opts = {}) => {
      const json = `{"resourceType":"${type}","id":"${id}"${body}}`;
      if (toBundle) {
        this.#bundle.entries.push(
          `{"fullUrl":"urn:uuid:${id}","resource":${json},"request":{"method":"PUT","url":"${type}/${id}"}}`,
        );
        HospitalStats.bump(this.#bundle.rows, 'entry');
        HospitalStats.bump(this.#bundle.rows, type);
      } else {
        const sink = this.#ndjson[type];
        sink.write(`${json}\n`);
        this.#ndjsonRows[type]++;
        if (opts.exactDuplicate) {
          sink.write(`${json}\n`);
          this.#ndjsonRows[type]++;
          stats.exactDuplicate(`fhir/ndjson/${type}.ndjson`);
        }
      }
    };
    stats.localPatients++;

    const idMissing = rng.chance(DIRT.idMissing);
    const phoneMissing = rng.chance(DIRT.phoneMissing);
    if (idMissing) stats.missing('Patient.identifier:resident-id');
    if (phoneMissing) stats.missing('Patient.telecom');
    const ident = renderIdentity(person, rng, { count: variantCount(rng, record), idMissing, phoneMissing, dot: '•' });
    for (const v of ident.variants) stats.identityVariants[v]++;
    const patientId = rng.uuid();
    if (isShared(record)) {
      ctx.link(person.index, {
        hospital: ctx.name,
        patientId: mrn,
        resourceId: patientId,
        home: record.isHome,
        nearDuplicate: false,
        variants: ident.variants,
      });
    }
    let birthDate: string | undefined = isoDate(person.birthDay);
    let birthShown = true;
    const roll = rng.float();
    if (!guarded && roll < DIRT.birthDateMissing) {
      birthDate = undefined;
      birthShown = false;
      stats.missing('Patient.birthDate');
    } else if (!guarded && roll < DIRT.birthDateMissing + DIRT.ageOver150) {
      const b = civilFromDays(person.birthDay);
      const y = civilFromDays(ctx.startDay).y - 151 - rng.int(0, 4);
      birthDate = isoDate(daysFromCivil(y, b.m, b.m === 2 ? Math.min(b.d, 28) : b.d));
      birthShown = false;
      stats.impossible('age_over_150');
    }
    const patient = (
      id: string,
      localMrn: string,
      who: typeof ident,
      birth: string | undefined,
      deceased: string | undefined,
    ): Resource => {
      const identifier: unknown[] = [
        { use: 'usual', type: { coding: [coding(V2_0203, 'MR')] }, system: CODE_SYSTEMS.mrn, value: localMrn },
      ];
      if (who.idNumber !== '') {
        identifier.push({
          use: 'official',
          type: { coding: [coding(V2_0203, 'NI')] },
          system: CODE_SYSTEMS.residentId,
          value: who.idNumber,
        });
      }
      const res: Resource = {
        resourceType: 'Patient',
        id,
        identifier,
        active: true,
        name: [{ use: 'official', text: who.full, family: who.family, given: [who.given] }],
        gender: person.sex === 'M' ? 'male' : 'female',
      };
      if (who.phone !== '') res.telecom = [{ system: 'phone', value: who.phone, use: 'mobile' }];
      if (birth !== undefined) res.birthDate = birth;
      if (deceased !== undefined) res.deceasedDateTime = deceased;
      const a = person.address;
      res.address = [
        {
          use: 'home',
          text: a.full,
          line: [a.line],
          city: a.city,
          district: a.district,
          state: a.province,
          country: 'CN',
        },
      ];
      return res;
    };
    const lastVisit = record.visits[record.visits.length - 1];
    const deceased =
      record.isHome && person.deathDay !== null && lastVisit?.died
        ? fhirDateTime(person.deathDay, lastVisit.endMinute)
        : undefined;
    emitResource(emit, patient(patientId, mrn, ident, birthDate, deceased));
    if (!guarded && rng.chance(DIRT.nearDuplicateRegistration)) {
      const dupMrn = `C9${String(++this.#counters.nearDuplicate).padStart(8, '0')}`;
      const dupId = rng.uuid();
      const dup = renderIdentity(person, rng, { count: 1, idMissing: false, phoneMissing: false, dot: '•' });
      for (const v of dup.variants) stats.identityVariants[v]++;
      emitResource(emit, patient(dupId, dupMrn, dup, isoDate(person.birthDay), undefined));
      stats.nearDuplicate('Patient');
      stats.nearDuplicateRegistrations++;
      if (!isShared(record)) {
        ctx.link(person.index, {
          hospital: ctx.name,
          patientId: mrn,
          resourceId: patientId,
          home: record.isHome,
          nearDuplicate: false,
          variants: ident.variants,
        });
      }
      ctx.link(person.index, {
        hospital: ctx.name,
        patientId: dupMrn,
        resourceId: dupId,
        home: false,
        nearDuplicate: true,
        variants: dup.variants,
      });
    }

    for (const visit of record.visits)
      this.#writeVisit(rng, uidRng, record, visit, patientId, mrn, ident, birthShown, emit);

    if (toBundle) {
      this.#bundle.patients++;
      if (this.#bundle.patients >= BUNDLE_PATIENTS_MAX) this.#flushBundle();
    }
  }

  #writeVisit(
    rng: Rng,
    uidRng: Rng,
    record: LocalRecord,
    visit: Visit,
    patientId: string,
    mrn: string,
    ident: { family: string; given: string; full: string },
    birthShown: boolean,
    emit: Emit,
  ): void {
    const stats = this.#stats;
    const { person } = record;
    const subject = ref('Patient', patientId);
    const encounterId = rng.uuid();
    const encounter = ref('Encounter', encounterId);
    const refs = `,"subject":{"reference":"Patient/${patientId}"},"encounter":{"reference":"Encounter/${encounterId}"}`;
    const visitNo = `E${String(++this.#counters.visit).padStart(10, '0')}`;
    const period: Record<string, string> = { start: fhirDateTime(visit.startDay, visit.startMinute) };
    if (visit.endDay !== null) {
      let endDay = visit.endDay;
      if (!visit.protected && visit.role === 'regular' && rng.chance(DIRT.dischargeBeforeAdmission)) {
        endDay = visit.startDay - rng.int(1, 30);
        stats.impossible('discharge_before_admission');
      }
      period.end = fhirDateTime(endDay, visit.endMinute);
    }
    const enc: Resource = {
      resourceType: 'Encounter',
      id: encounterId,
      identifier: [{ system: 'urn:meridian:hospital-c:visit', value: visitNo }],
      status: 'finished',
      class: coding(
        'http://terminology.hl7.org/CodeSystem/v3-ActCode',
        ENCOUNTER_CLASS[visit.type].code,
        ENCOUNTER_CLASS[visit.type].display,
      ),
      type: [{ text: visit.type === 'inpatient' ? '住院' : visit.type === 'emergency' ? '急诊' : '门诊' }],
      serviceType: { text: DEPARTMENTS[visit.department] },
      subject,
      period,
    };
    if (visit.type === 'inpatient') {
      enc.hospitalization = {
        dischargeDisposition: {
          coding: [coding('http://terminology.hl7.org/CodeSystem/discharge-disposition', visit.died ? 'exp' : 'home')],
        },
      };
    }
    emitResource(emit, enc);

    for (const d of visit.diagnoses) {
      let code = conditionCodeJson(d.key);
      if (!visit.protected && rng.chance(DIRT.dxCodeMissing)) {
        code = JSON.stringify({ text: DIAGNOSES[d.key].name });
        stats.missing('Condition.code.coding');
      }
      const note = d.primary ? ',"note":[{"text":"主要诊断"}]' : '';
      emit(
        'Condition',
        rng.uuid(),
        `${CONDITION_HEAD},"code":${code}${refs},"recordedDate":"${fhirDateTime(visit.startDay, visit.startMinute)}"${note}`,
      );
    }

    for (const order of visit.labs) {
      const anyProtected = order.results.some((r) => r.protected);
      let day = order.day;
      let beforeBirth = false;
      if (!anyProtected && birthShown && rng.chance(DIRT.labBeforeBirth)) {
        day = person.birthDay - rng.int(30, 3650);
        beforeBirth = true;
      }
      for (const result of order.results) {
        const test = this.#labs[result.key] as LocalLab;
        let value = toLocalValue(test, result.value);
        let unitMissing = false;
        let clean = !beforeBirth;
        if (beforeBirth) stats.impossible('lab_before_birth');
        else if (!result.protected) {
          const problem = drawProblem(rng, [
            ['negative_glucose', DIRT.negativeGlucose, result.key === 'glucose'],
            ['glucose_unit', DIRT.glucoseUnitError, result.key === 'glucose'],
            ['unit_missing', DIRT.labUnitMissing, true],
          ]);
          clean = problem === null;
          switch (problem) {
            case 'negative_glucose':
              value = -value;
              stats.impossible('negative_glucose');
              break;
            case 'glucose_unit':
              value = Math.round(result.value * 18);
              stats.unitError('glucose_mgdl_labelled_mmoll');
              break;
            case 'unit_missing':
              unitMissing = true;
              stats.missing('Observation.valueQuantity.unit');
              break;
            case null:
              break;
          }
        }
        const range = test.range[person.sex];
        const interpretation = value > range[1] ? 'H' : value < range[0] ? 'L' : 'N';
        const valueQuantity = unitMissing
          ? `{"value":${value}}`
          : `{"value":${value},"unit":"${test.unit}","system":"${CODE_SYSTEMS.ucum}","code":"${test.ucum}"}`;
        const body = `${labHeadJson(test)}${refs},"effectiveDateTime":"${fhirDateTime(day, order.minute)}","issued":"${fhirDateTime(day, Math.min(1439, order.minute + 90))}","valueQuantity":${valueQuantity},"referenceRange":${labRangeJson[person.sex](test)},"interpretation":${INTERPRETATION_JSON[interpretation]}`;
        const dupRoll = rng.float();
        const exact = clean && !result.protected && dupRoll < DIRT.labExactDuplicate;
        emit('Observation', rng.uuid(), body, { exactDuplicate: exact });
        if (clean && !result.protected && !exact && dupRoll < DIRT.labExactDuplicate + DIRT.labNearDuplicate) {
          emit('Observation', rng.uuid(), body);
          stats.nearDuplicate('Observation');
        }
      }
    }

    if (visit.vitals) this.#writeVitals(rng, person, visit, refs, emit);

    for (const d of visit.drugs) {
      emit(
        'MedicationRequest',
        rng.uuid(),
        `,"status":"completed","intent":"order","medicationCodeableConcept":${medicationJson(d.drugIndex)}${refs},"authoredOn":"${fhirDateTime(d.startDay, visit.startMinute)}","dosageInstruction":${dosageJson(d.drugIndex)},"dispenseRequest":{"validityPeriod":{"start":"${isoDate(d.startDay)}","end":"${isoDate(d.endDay)}"}}`,
      );
    }

    for (const p of visit.procedures) {
      const proc = PROCEDURES[p.key];
      emitResource(emit, {
        resourceType: 'Procedure',
        id: rng.uuid(),
        status: 'completed',
        code: { coding: [coding(CODE_SYSTEMS.icd9cm3cn, proc.code, proc.name)], text: proc.name },
        subject,
        encounter,
        performedDateTime: fhirDateTime(p.day, p.minute),
      });
    }

    for (const study of visit.imaging) {
      const accession = this.#writeDicom(rng, uidRng, record, study, mrn, ident);
      const kind = IMAGING[study.key];
      emitResource(emit, {
        resourceType: 'DiagnosticReport',
        id: rng.uuid(),
        identifier: [{ system: CODE_SYSTEMS.accession, value: accession }],
        status: 'final',
        category: [{ coding: [coding('http://terminology.hl7.org/CodeSystem/v2-0074', 'RAD', 'Radiology')] }],
        code: { coding: [coding(CODE_SYSTEMS.loinc, '18748-4', 'Diagnostic imaging study')], text: kind.description },
        subject,
        encounter,
        effectiveDateTime: fhirDateTime(study.day, study.minute),
        issued: fhirDateTime(study.day, Math.min(1439, study.minute + 120)),
        conclusion: study.conclusion,
      });
    }

    for (const note of visit.notes) {
      const spelling: BpSpellingId = rng.chance(0.6) ? 'c-note-bp' : 'c-note-shousuo-shuzhang';
      const rendered = renderNote({
        person,
        visit,
        note,
        displayName: ident.full,
        visitNumber: visitNo,
        rng,
        bp: (s, d) => (spelling === 'c-note-bp' ? `BP ${s}/${d}mmHg` : `收缩压${s} 舒张压${d}`),
      });
      const loinc = NOTE_LOINC[note.kind];
      emitResource(emit, {
        resourceType: 'DocumentReference',
        id: rng.uuid(),
        status: 'current',
        docStatus: 'final',
        type: { coding: [coding(CODE_SYSTEMS.loinc, loinc.code, loinc.display)], text: NOTE_TITLES[note.kind] },
        subject,
        date: fhirDateTime(note.day, note.minute),
        content: [
          {
            attachment: {
              contentType: 'text/plain; charset=utf-8',
              language: 'zh-CN',
              title: rendered.title,
              data: Buffer.from(rendered.text, 'utf8').toString('base64'),
            },
          },
        ],
        context: { encounter: [encounter] },
      });
      stats.notes.total++;
      if (rendered.mentionsMmse) stats.notes.mentioningMmse++;
      if (rendered.mentionsApoe) stats.notes.mentioningApoe++;
      if (rendered.mentionsSmoking) stats.notes.mentioningSmoking++;
      if (rendered.mentionsBp) stats.bp(spelling);
    }
  }

  #writeVitals(rng: Rng, person: LocalRecord['person'], visit: Visit, refs: string, emit: Emit): void {
    const stats = this.#stats;
    const v = visit.vitals;
    if (!v) return;
    const when = `${refs},"effectiveDateTime":"${fhirDateTime(v.day, v.minute)}"`;
    const vital = (code: string, rest: string, category = VITAL_CATEGORY_JSON): void =>
      emit('Observation', rng.uuid(), `,"status":"final","category":${category},"code":${code}${when}${rest}`);
    let sbp = v.sbp;
    if (!v.protected && rng.chance(DIRT.sbp900)) {
      sbp = 900;
      stats.impossible('sbp_900');
    }
    const spelling = rng.weighted(BP_SPELLINGS_C);
    switch (spelling) {
      case 'c-fhir-panel':
        vital(
          VITAL_CODES.panel,
          `,"component":[{"code":${VITAL_CODES.systolic},"valueQuantity":${mmHgJson(sbp)}},{"code":${VITAL_CODES.diastolic},"valueQuantity":${mmHgJson(v.dbp)}}]`,
        );
        break;
      case 'c-fhir-separate':
        vital(VITAL_CODES.systolic, `,"valueQuantity":${mmHgJson(sbp)}`);
        vital(VITAL_CODES.diastolic, `,"valueQuantity":${mmHgJson(v.dbp)}`);
        break;
      default:
        vital(VITAL_CODES.localText, `,"valueString":"${sbp}/${v.dbp} mmHg"`);
        break;
    }
    stats.bp(spelling);
    if (v.anthropometry) {
      vital(VITAL_CODES.height, `,"valueQuantity":${JSON.stringify(quantity(person.heightCm, 'cm', 'cm'))}`);
      vital(VITAL_CODES.weight, `,"valueQuantity":${JSON.stringify(quantity(person.weightKg, 'kg', 'kg'))}`);
      vital(VITAL_CODES.bmi, `,"valueQuantity":${JSON.stringify(quantity(person.bmi, 'kg/m2', 'kg/m2'))}`);
    }
    if (v.smokingStatus) {
      const st = SMOKING[person.smoking.status];
      vital(
        VITAL_CODES.smoking,
        `,"valueCodeableConcept":${JSON.stringify({ coding: [coding(CODE_SYSTEMS.snomed, st.code, st.display)] })}`,
        SOCIAL_CATEGORY_JSON,
      );
    }
  }

  #writeDicom(
    rng: Rng,
    uidRng: Rng,
    record: LocalRecord,
    study: ImagingStudy,
    mrn: string,
    ident: { family: string; given: string; full: string },
  ): string {
    const ctx = this.#ctx;
    const { person } = record;
    const kind = IMAGING[study.key];
    const year = civilFromDays(study.day).y;
    const accession = `${kind.modality}${year}${String(++this.#counters.accession).padStart(6, '0')}`;
    const charset = year >= DICOM_UTF8_FROM_YEAR ? 'ISO_IR 192' : 'GB18030';
    const uid = (): string => uidFromWords([uidRng.u32(), uidRng.u32(), uidRng.u32(), uidRng.u32()]);
    const studyUid = uid();
    const manufacturer = rng.pick(MANUFACTURERS);
    const dir = join(ctx.outDir, ctx.name, 'dicom', String(year));
    if (!this.#dicomDirs.has(year)) {
      mkdirSync(dir, { recursive: true });
      this.#dicomDirs.add(year);
    }
    const pn = person.name.minority ? ident.full : `${ident.family}^${ident.given}`;
    const age = `${String(Math.min(999, ageYears(person.birthDay, study.day))).padStart(3, '0')}Y`;
    this.#dicom.studies++;
    for (let s = 1; s <= study.series; s++) {
      const seriesUid = uid();
      this.#dicom.series++;
      for (let i = 1; i <= study.instancesPerSeries; i++) {
        const sopUid = uid();
        const bytes = dicomFile({
          sopClassUid: kind.sopClass,
          sopInstanceUid: sopUid,
          charset,
          elements: [
            {
              tag: 0x00080008,
              vr: 'CS',
              value:
                kind.modality === 'CT' || kind.modality === 'MR' ? 'ORIGINAL\\PRIMARY\\AXIAL' : 'ORIGINAL\\PRIMARY',
            },
            { tag: 0x00080020, vr: 'DA', value: compactDate(study.day) },
            { tag: 0x00080021, vr: 'DA', value: compactDate(study.day) },
            { tag: 0x00080030, vr: 'TM', value: dicomTime(study.minute) },
            { tag: 0x00080050, vr: 'SH', value: accession },
            { tag: 0x00080060, vr: 'CS', value: kind.modality },
            { tag: 0x00080070, vr: 'LO', value: manufacturer },
            { tag: 0x00080080, vr: 'LO', value: this.#institution },
            { tag: 0x00081030, vr: 'LO', value: kind.description },
            { tag: 0x0008103e, vr: 'LO', value: s === 1 ? kind.description : `${kind.description} 薄层` },
            { tag: 0x00100010, vr: 'PN', value: pn },
            { tag: 0x00100020, vr: 'LO', value: mrn },
            { tag: 0x00100030, vr: 'DA', value: compactDate(person.birthDay) },
            { tag: 0x00100040, vr: 'CS', value: person.sex },
            { tag: 0x00101010, vr: 'AS', value: age },
            { tag: 0x00180015, vr: 'CS', value: kind.bodyPart },
            { tag: 0x0020000d, vr: 'UI', value: studyUid },
            { tag: 0x0020000e, vr: 'UI', value: seriesUid },
            { tag: 0x00200010, vr: 'SH', value: accession.slice(-8) },
            { tag: 0x00200011, vr: 'IS', value: String(s) },
            { tag: 0x00200013, vr: 'IS', value: String(i) },
          ],
        });
        const file = `${accession}-${s}-${i}.dcm`;
        const rel = `${ctx.name}/dicom/${year}/${file}`;
        this.#files.write(join(dir, file), bytes);
        const sha = createHash('sha256').update(bytes).digest('hex');
        this.#dicom.hash?.update(`${rel}\t${sha}\n`);
        this.#dicom.files++;
        this.#dicom.bytes += bytes.length;
        HospitalStats.bump(this.#dicom.byModality, kind.modality);
      }
    }
    return accession;
  }

  #flushBundle(): void {
    if (this.#bundle.entries.length === 0) return;
    const index = ++this.#bundleIndex;
    const rng = Rng.stream(this.#ctx.root, STREAM.render, this.#ctx.hospital, BUNDLE_STREAM_OFFSET + index);
    const rel = `${this.#ctx.name}/fhir/bundles/bundle-${String(index).padStart(6, '0')}.json`;
    const sink = new TextSink(join(this.#ctx.outDir, rel), 'utf-8');
    sink.write(`{"resourceType":"Bundle","id":"${rng.uuid()}","type":"transaction","entry":[`);
    for (const [i, e] of this.#bundle.entries.entries()) sink.write(i === 0 ? e : `,${e}`);
    sink.write(']}\n');
    const { bytes, sha256 } = sink.close();
    this.#stats.files.push({
      path: rel,
      format: 'fhir-bundle',
      encoding: 'utf-8',
      bytes,
      sha256,
      rows: sortKeys(this.#bundle.rows),
    });
    this.#bundle = { entries: [], patients: 0, rows: {} };
  }

  /** Waits until the DICOM writer has caught up to a bounded queue. */
  drain(): Promise<void> {
    return this.#files.drain();
  }

  /** Stops the DICOM writer after a failure elsewhere. */
  abort(): void {
    this.#files.abort();
  }

  /** Closes every file (waiting for the DICOM writer) and records them in the stats. */
  async close(): Promise<void> {
    await this.#files.close();
    this.#flushBundle();
    for (const t of RESOURCE_TYPES) {
      const { bytes, sha256 } = this.#ndjson[t].close();
      this.#stats.files.push({
        path: `${this.#ctx.name}/fhir/ndjson/${t}.ndjson`,
        format: 'ndjson',
        encoding: 'utf-8',
        bytes,
        sha256,
        rows: { [t]: this.#ndjsonRows[t] },
      });
    }
    this.#stats.files.push({
      path: `${this.#ctx.name}/dicom/`,
      format: 'dicom',
      files: this.#dicom.files,
      bytes: this.#dicom.bytes,
      sha256: this.#dicom.hash?.digest('hex') ?? '',
      rows: {
        study: this.#dicom.studies,
        series: this.#dicom.series,
        instance: this.#dicom.files,
        ...sortKeys(this.#dicom.byModality),
      },
    });
  }
}

function sortKeys(rows: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(rows).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
