/**
 * DWD rows of one patient at one hospital as FHIR R4 resources (the exchange format of the patient panorama).
 * Pure: no I/O, no clock. Every resource is tagged with its hospital (meta.tag and meta.source) and gets an id
 * unique across the consortium (`<hospital>.<table>.<n>`), so a merged view never confuses two hospitals' rows.
 * The Patient resource is minimal: sex and birth year only, never a name, an ID number or a phone.
 */
import type {
  Condition,
  DocumentReference,
  Encounter,
  ImagingStudy,
  MedicationStatement,
  Meta,
  Observation,
  Patient,
  Procedure,
  Reference,
} from '@medplum/fhirtypes';
import { ATC_CONCEPTS, LOINC_CONCEPTS } from '../model/vocabulary.ts';

/** Code system of the hospital tag on every panorama resource. */
export const HOSPITAL_TAG_SYSTEM = 'urn:meridian:hospital';
/** FHIR code system URIs of the vocabularies DWD uses. */
export const SYSTEMS = {
  icd10: 'http://hl7.org/fhir/sid/icd-10',
  icd9cm3: 'http://hl7.org/fhir/sid/icd-9-cm',
  loinc: 'http://loinc.org',
  atc: 'http://www.whocc.no/atc',
  ucum: 'http://unitsofmeasure.org',
  dicom: 'http://dicom.nema.org/resources/ontology/DCM',
  encounterClass: 'http://terminology.hl7.org/CodeSystem/v3-ActCode',
  observationCategory: 'http://terminology.hl7.org/CodeSystem/observation-category',
  interpretation: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation',
  observationLocal: 'urn:meridian:observation',
} as const;

/** The panorama's resource types. */
export type PanoramaResource =
  | Patient
  | Encounter
  | Condition
  | Observation
  | MedicationStatement
  | Procedure
  | ImagingStudy
  | DocumentReference;

/** One patient's DWD rows at one hospital, as the node reads them (dates as 'YYYY-MM-DD', times as ISO text). */
export interface PersonRows {
  person: { person_id: string; gender: string | null; year_of_birth: number | null }[];
  visit_occurrence: {
    visit_id: string;
    visit_type: string;
    start_date: string;
    end_date: string | null;
    department: string | null;
  }[];
  condition_occurrence: {
    visit_id: string | null;
    condition_code: string;
    condition_name: string | null;
    condition_date: string;
    is_primary: boolean | null;
  }[];
  drug_exposure: {
    visit_id: string | null;
    atc_code: string | null;
    drug_name: string;
    dose_value: number | null;
    dose_unit: string | null;
    start_date: string;
    end_date: string | null;
  }[];
  measurement: {
    visit_id: string | null;
    measurement_code: string;
    value: number | null;
    unit: string | null;
    source_value: string | null;
    measured_at: string;
    abnormal_flag: string | null;
  }[];
  procedure_occurrence: {
    visit_id: string | null;
    procedure_code: string;
    procedure_name: string | null;
    procedure_date: string;
  }[];
  observation: {
    visit_id: string | null;
    observation_code: string;
    value_text: string | null;
    value_number: number | null;
    observed_on: string;
  }[];
  note: { visit_id: string | null; note_type: string; note_text: string; note_date: string }[];
  imaging_study: {
    study_uid: string;
    modality: string | null;
    body_part: string | null;
    study_date: string;
    description: string | null;
    location: string | null;
  }[];
}

/** The DWD tables the panorama reads, in the order it shapes them. */
export const PANORAMA_TABLES = [
  'person',
  'visit_occurrence',
  'condition_occurrence',
  'drug_exposure',
  'measurement',
  'procedure_occurrence',
  'observation',
  'note',
  'imaging_study',
] as const satisfies readonly (keyof PersonRows)[];

const ENCOUNTER_CLASS: Record<string, { code: string; display: string }> = {
  outpatient: { code: 'AMB', display: 'ambulatory' },
  emergency: { code: 'EMER', display: 'emergency' },
  inpatient: { code: 'IMP', display: 'inpatient encounter' },
};

const INTERPRETATION: Record<string, string> = { H: 'High', L: 'Low', N: 'Normal', A: 'Abnormal' };

const LOINC_BY_CODE = new Map(LOINC_CONCEPTS.map((c) => [c.code, c]));
const ATC_BY_CODE = new Map(ATC_CONCEPTS.map((c) => [c.code, c]));

/**
 * The FHIR resources of one patient at `hospital`: a minimal Patient, then Encounters, Conditions, Observations
 * (labs, then other observations), MedicationStatements, Procedures, ImagingStudies and DocumentReferences.
 */
export function toFhirResources(hospital: string, rows: PersonRows): PanoramaResource[] {
  const meta: Meta = {
    source: `urn:meridian:node:${hospital}`,
    tag: [{ system: HOSPITAL_TAG_SYSTEM, code: hospital }],
  };
  const idOf = (kind: string, n: number) => `${hospital}.${kind}.${n}`;
  const first = rows.person[0];
  const patientId = idOf('patient', 0);
  const subject: Reference<Patient> = { reference: `Patient/${patientId}` };
  const visitIds = new Map(rows.visit_occurrence.map((v, i) => [v.visit_id, idOf('encounter', i)]));
  const encounter = (visitId: string | null): { encounter?: Reference<Encounter> } => {
    const id = visitId === null ? undefined : visitIds.get(visitId);
    return id === undefined ? {} : { encounter: { reference: `Encounter/${id}` } };
  };
  const out: PanoramaResource[] = [];
  const patient: Patient = {
    resourceType: 'Patient',
    id: patientId,
    meta,
    gender: first?.gender === 'M' ? 'male' : first?.gender === 'F' ? 'female' : 'unknown',
    ...(first?.year_of_birth == null ? {} : { birthDate: String(first.year_of_birth) }),
  };
  out.push(patient);
  rows.visit_occurrence.forEach((v, i) => {
    const cls = ENCOUNTER_CLASS[v.visit_type];
    out.push({
      resourceType: 'Encounter',
      id: idOf('encounter', i),
      meta,
      status: 'finished',
      class: cls
        ? { system: SYSTEMS.encounterClass, code: cls.code, display: cls.display }
        : { system: SYSTEMS.encounterClass, code: v.visit_type },
      subject,
      period: { start: v.start_date, ...(v.end_date === null ? {} : { end: v.end_date }) },
      ...(v.department === null ? {} : { serviceType: { text: v.department } }),
    });
  });
  rows.condition_occurrence.forEach((c, i) => {
    out.push({
      resourceType: 'Condition',
      id: idOf('condition', i),
      meta,
      subject,
      ...encounter(c.visit_id),
      code: {
        coding: [
          { system: SYSTEMS.icd10, code: c.condition_code, ...(c.condition_name ? { display: c.condition_name } : {}) },
        ],
        text: c.condition_name ?? c.condition_code,
      },
      recordedDate: c.condition_date,
      ...(c.is_primary ? { category: [{ text: 'principal' }] } : {}),
    });
  });
  rows.measurement.forEach((m, i) => {
    const concept = LOINC_BY_CODE.get(m.measurement_code);
    const flag = m.abnormal_flag === null ? undefined : INTERPRETATION[m.abnormal_flag];
    out.push({
      resourceType: 'Observation',
      id: idOf('lab', i),
      meta,
      status: 'final',
      category: [{ coding: [{ system: SYSTEMS.observationCategory, code: 'laboratory' }] }],
      code: {
        coding: [{ system: SYSTEMS.loinc, code: m.measurement_code, ...(concept ? { display: concept.en } : {}) }],
        text: concept?.zh ?? m.measurement_code,
      },
      subject,
      ...encounter(m.visit_id),
      effectiveDateTime: m.measured_at,
      ...(m.value === null
        ? m.source_value === null
          ? {}
          : { valueString: m.source_value }
        : {
            valueQuantity: {
              value: m.value,
              ...(m.unit === null ? {} : { unit: m.unit, system: SYSTEMS.ucum, code: m.unit }),
            },
          }),
      ...(flag === undefined || m.abnormal_flag === null
        ? {}
        : { interpretation: [{ coding: [{ system: SYSTEMS.interpretation, code: m.abnormal_flag, display: flag }] }] }),
    });
  });
  rows.observation.forEach((o, i) => {
    out.push({
      resourceType: 'Observation',
      id: idOf('observation', i),
      meta,
      status: 'final',
      category: [{ coding: [{ system: SYSTEMS.observationCategory, code: 'survey' }] }],
      code: { coding: [{ system: SYSTEMS.observationLocal, code: o.observation_code }], text: o.observation_code },
      subject,
      ...encounter(o.visit_id),
      effectiveDateTime: o.observed_on,
      ...(o.value_number !== null
        ? { valueQuantity: { value: o.value_number } }
        : o.value_text !== null
          ? { valueString: o.value_text }
          : {}),
    });
  });
  rows.drug_exposure.forEach((d, i) => {
    const concept = d.atc_code === null ? undefined : ATC_BY_CODE.get(d.atc_code);
    out.push({
      resourceType: 'MedicationStatement',
      id: idOf('medication', i),
      meta,
      status: 'completed',
      medicationCodeableConcept: {
        ...(d.atc_code === null
          ? {}
          : { coding: [{ system: SYSTEMS.atc, code: d.atc_code, ...(concept ? { display: concept.en } : {}) }] }),
        text: d.drug_name,
      },
      subject,
      ...(d.visit_id === null || !visitIds.has(d.visit_id)
        ? {}
        : { context: { reference: `Encounter/${visitIds.get(d.visit_id)}` } }),
      effectivePeriod: { start: d.start_date, ...(d.end_date === null ? {} : { end: d.end_date }) },
      ...(d.dose_value === null
        ? {}
        : {
            dosage: [
              {
                doseAndRate: [
                  {
                    doseQuantity: {
                      value: d.dose_value,
                      ...(d.dose_unit === null ? {} : { unit: d.dose_unit, system: SYSTEMS.ucum, code: d.dose_unit }),
                    },
                  },
                ],
              },
            ],
          }),
    });
  });
  rows.procedure_occurrence.forEach((p, i) => {
    out.push({
      resourceType: 'Procedure',
      id: idOf('procedure', i),
      meta,
      status: 'completed',
      code: {
        coding: [
          {
            system: SYSTEMS.icd9cm3,
            code: p.procedure_code,
            ...(p.procedure_name ? { display: p.procedure_name } : {}),
          },
        ],
        text: p.procedure_name ?? p.procedure_code,
      },
      subject,
      ...encounter(p.visit_id),
      performedDateTime: p.procedure_date,
    });
  });
  rows.imaging_study.forEach((s, i) => {
    out.push({
      resourceType: 'ImagingStudy',
      id: idOf('imaging', i),
      meta,
      identifier: [{ system: 'urn:dicom:uid', value: `urn:oid:${s.study_uid}` }],
      status: 'available',
      subject,
      started: s.study_date,
      ...(s.modality === null ? {} : { modality: [{ system: SYSTEMS.dicom, code: s.modality }] }),
      ...(s.description === null ? {} : { description: s.description }),
      ...(s.body_part === null ? {} : { note: [{ text: s.body_part }] }),
      ...(s.location === null ? {} : { endpoint: [{ display: s.location }] }),
    });
  });
  rows.note.forEach((n, i) => {
    out.push({
      resourceType: 'DocumentReference',
      id: idOf('note', i),
      meta,
      status: 'current',
      type: { text: n.note_type },
      subject,
      date: n.note_date,
      ...(n.visit_id === null || !visitIds.has(n.visit_id)
        ? {}
        : { context: { encounter: [{ reference: `Encounter/${visitIds.get(n.visit_id)}` }] } }),
      content: [
        {
          attachment: {
            contentType: 'text/plain; charset=utf-8',
            data: Buffer.from(n.note_text, 'utf8').toString('base64'),
          },
        },
      ],
    });
  });
  return out;
}

/** The hospital a panorama resource is tagged with, or undefined for an untagged resource. */
export function hospitalOf(r: PanoramaResource): string | undefined {
  return r.meta?.tag?.find((t) => t.system === HOSPITAL_TAG_SYSTEM)?.code;
}
