/**
 * Hospital C (滨海妇幼保健院): FHIR R4 (transaction Bundles and bulk-export NDJSON, the same specs for both,
 * routed by resourceType) and DICOM headers from its PACS. Blood pressure comes as an 85354-9 panel with
 * components, as separate 8480-6/8462-4 Observations, as a local XY001 text, and in note text (base64
 * attachments of DocumentReferences).
 */
import type { MappingSpecInput } from '../../pipeline/mapping.ts';
import { CODE_SYSTEMS } from '../generator/catalog.ts';
import {
  BIRTH_DATE_MIN,
  BP_MMHG_MAX,
  drugCodeMap,
  labCodeMap,
  MMSE_PATTERN,
  REGION_PATTERN,
  SMOKING_PATTERN,
  SMOKING_PHRASES,
  VITAL_LOINC,
  YEAR_PATTERN,
} from './codes.ts';
import type { SourceProfileInput } from './types.ts';

const ID_NUMBER = `identifier[system=${CODE_SYSTEMS.residentId}].value`;
const NOTE_TEXT = 'content.attachment.data';
/** BP 120/80mmHg or 收缩压120 舒张压80 in a note. */
const NOTE_BP_PATTERN =
  '(BP\\s*\\d{2,3}\\s*/\\s*\\d{2,3}\\s*mmHg|收缩压\\s*\\d{2,3}\\s*(?:mmHg)?\\s*舒张压\\s*\\d{2,3})';

const subject = { person_id: { from: 'subject.reference', as: 'reference' } } as const;
const encounter = { visit_id: { from: 'encounter.reference', as: 'reference' } } as const;

const person: MappingSpecInput = {
  id: 'hospital-c-person',
  version: 1,
  description: 'Patient → person (person_id is the resource id other resources reference)',
  target: 'person',
  when: { resourceType: ['Patient'] },
  fields: {
    person_id: { from: 'id' },
    local_patient_id: { from: `identifier[system=${CODE_SYSTEMS.mrn}].value` },
    id_number: { from: ID_NUMBER },
    name: { from: 'name.text' },
    phone: { from: 'telecom[system=phone].value' },
    gender: { from: 'gender', as: 'sex' },
    birth_date: { from: 'birthDate', as: 'date', min: BIRTH_DATE_MIN },
    year_of_birth: { from: 'birthDate', pattern: YEAR_PATTERN, as: 'number' },
    region_code: { from: ID_NUMBER, pattern: REGION_PATTERN },
  },
};

const death: MappingSpecInput = {
  id: 'hospital-c-death',
  version: 1,
  description: 'Patient.deceasedDateTime → death (living patients are skipped)',
  target: 'death',
  when: { resourceType: ['Patient'] },
  skipWhenEmpty: ['death_date'],
  fields: { person_id: { from: 'id' }, death_date: { from: 'deceasedDateTime', as: 'date' } },
};

const visit: MappingSpecInput = {
  id: 'hospital-c-visit',
  version: 1,
  description: 'Encounter → visit_occurrence (visit_id is the resource id)',
  target: 'visit_occurrence',
  when: { resourceType: ['Encounter'] },
  fields: {
    visit_id: { from: 'id' },
    ...subject,
    visit_type: { from: 'class.code', codeMap: 'class' },
    start_date: { from: 'period.start', as: 'date' },
    end_date: { from: 'period.end', as: 'date', notBefore: { field: 'start_date' } },
    department: { from: 'serviceType.text' },
  },
  codeMaps: { class: { entries: { AMB: 'outpatient', EMER: 'emergency', IMP: 'inpatient' } } },
};

const condition: MappingSpecInput = {
  id: 'hospital-c-condition',
  version: 1,
  description: 'Condition → condition_occurrence (ICD-10 clinical edition; 主要诊断 in Condition.note)',
  target: 'condition_occurrence',
  when: { resourceType: ['Condition'] },
  fields: {
    ...subject,
    ...encounter,
    condition_code: { from: 'code.coding.code' },
    source_code: { from: 'code.coding.code' },
    condition_name: { from: 'code.text' },
    condition_date: { from: 'recordedDate', as: 'date' },
    is_primary: { from: 'note.text', as: 'boolean', codeMap: 'primary' },
  },
  codeMaps: { primary: { entries: { 主要诊断: 'true', 次要诊断: 'false' } } },
};

const drug: MappingSpecInput = {
  id: 'hospital-c-drug',
  version: 1,
  description: 'MedicationRequest → drug_exposure (local drug codes → ATC)',
  target: 'drug_exposure',
  when: { resourceType: ['MedicationRequest'] },
  fields: {
    ...subject,
    ...encounter,
    atc_code: {
      from: `medicationCodeableConcept.coding[system=${CODE_SYSTEMS.localDrug}].code`,
      codeMap: 'atc',
      nameFrom: 'medicationCodeableConcept.text',
    },
    drug_name: { from: 'medicationCodeableConcept.text' },
    dose_value: { from: 'dosageInstruction.doseAndRate.doseQuantity.value', as: 'number' },
    dose_unit: { from: 'dosageInstruction.doseAndRate.doseQuantity.unit' },
    start_date: { from: 'authoredOn', as: 'date' },
    end_date: { from: 'dispenseRequest.validityPeriod.end', as: 'date' },
  },
  codeMaps: { atc: drugCodeMap('hospital-c') },
};

const procedure: MappingSpecInput = {
  id: 'hospital-c-procedure',
  version: 1,
  description: 'Procedure → procedure_occurrence (ICD-9-CM-3)',
  target: 'procedure_occurrence',
  when: { resourceType: ['Procedure'] },
  fields: {
    ...subject,
    ...encounter,
    procedure_code: { from: 'code.coding.code' },
    procedure_name: { from: 'code.text' },
    procedure_date: { from: 'performedDateTime', as: 'date' },
  },
};

const lab: MappingSpecInput = {
  id: 'hospital-c-lab',
  version: 1,
  description: 'laboratory Observation → measurement (local codes → consortium LOINC; HbA1c mmol/mol → %)',
  target: 'measurement',
  when: { resourceType: ['Observation'], 'category.coding.code': ['laboratory'] },
  fields: {
    ...subject,
    ...encounter,
    measurement_code: {
      from: `code.coding[system=${CODE_SYSTEMS.localLab}].code`,
      codeMap: 'lab',
      nameFrom: 'code.text',
    },
    source_code: { from: `code.coding[system=${CODE_SYSTEMS.localLab}].code` },
    value: {
      from: 'valueQuantity.value',
      as: 'number',
      required: true,
      min: 0,
      convert: { analyteOfField: 'measurement_code', unitFrom: 'valueQuantity.code' },
    },
    unit: { unitOf: 'value' },
    source_value: { from: 'valueQuantity.value', as: 'text' },
    measured_at: { from: 'effectiveDateTime', as: 'datetime' },
    abnormal_flag: { from: 'interpretation.coding.code' },
  },
  codeMaps: { lab: labCodeMap('hospital-c') },
};

const vitalBase = {
  ...subject,
  ...encounter,
  measured_at: { from: 'effectiveDateTime', as: 'datetime' },
  unit: { unitOf: 'value' },
} as const;

const bpPanel: MappingSpecInput = {
  id: 'hospital-c-bp-panel',
  version: 1,
  description: 'Observation 85354-9 → one measurement per component (8480-6, 8462-4)',
  target: 'measurement',
  when: { resourceType: ['Observation'], 'code.coding.code': ['85354-9'] },
  each: 'component',
  fields: {
    ...vitalBase,
    measurement_code: { from: '@.code.coding.code', codeMap: 'side' },
    source_code: { from: '@.code.coding.code' },
    value: {
      from: '@.valueQuantity.value',
      as: 'number',
      required: true,
      max: BP_MMHG_MAX,
      convert: { analyteOfField: 'measurement_code', unitFrom: '@.valueQuantity.code' },
    },
    source_value: { from: '@.valueQuantity.value', as: 'text' },
  },
  codeMaps: {
    side: { entries: { [VITAL_LOINC.systolic]: VITAL_LOINC.systolic, [VITAL_LOINC.diastolic]: VITAL_LOINC.diastolic } },
  },
};

const bpSeparate: MappingSpecInput = {
  id: 'hospital-c-bp-separate',
  version: 1,
  description: 'Observations 8480-6 / 8462-4 (older EMR module) → measurement',
  target: 'measurement',
  when: { resourceType: ['Observation'], 'code.coding.code': [VITAL_LOINC.systolic, VITAL_LOINC.diastolic] },
  fields: {
    ...vitalBase,
    measurement_code: { from: 'code.coding.code' },
    source_code: { from: 'code.coding.code' },
    value: {
      from: 'valueQuantity.value',
      as: 'number',
      required: true,
      max: BP_MMHG_MAX,
      convert: { analyte: 'blood_pressure', unitFrom: 'valueQuantity.code' },
    },
    source_value: { from: 'valueQuantity.value', as: 'text' },
  },
};

/** One side of the local XY001 血压 Observation ("120/80 mmHg" in valueString). */
function bpText(side: 'systolic' | 'diastolic'): MappingSpecInput {
  return {
    id: `hospital-c-bp-text-${side}`,
    version: 1,
    description: `Observation XY001 血压 valueString → ${side} measurement`,
    target: 'measurement',
    when: { resourceType: ['Observation'], 'code.coding.code': ['XY001'] },
    fields: {
      ...vitalBase,
      measurement_code: { const: VITAL_LOINC[side] },
      source_code: { from: 'code.coding.code' },
      value: { from: 'valueString', bloodPressure: side, max: BP_MMHG_MAX },
      source_value: { from: 'valueString' },
    },
  };
}

const body: MappingSpecInput = {
  id: 'hospital-c-vital-body',
  version: 1,
  description: 'Observations height, weight, BMI (LOINC) → measurement',
  target: 'measurement',
  when: {
    resourceType: ['Observation'],
    'code.coding.code': [VITAL_LOINC.height, VITAL_LOINC.weight, VITAL_LOINC.bmi],
  },
  fields: {
    ...vitalBase,
    measurement_code: { from: 'code.coding.code' },
    value: { from: 'valueQuantity.value', as: 'number', required: true, min: 0 },
    unit: { from: 'valueQuantity.code' },
    source_value: { from: 'valueQuantity.value', as: 'text' },
  },
};

const smoking: MappingSpecInput = {
  id: 'hospital-c-smoking',
  version: 1,
  description: 'Observation 72166-2 (SNOMED CT status) → observation',
  target: 'observation',
  when: { resourceType: ['Observation'], 'code.coding.code': [VITAL_LOINC.smoking] },
  fields: {
    ...subject,
    ...encounter,
    observation_code: { const: VITAL_LOINC.smoking },
    value_text: { from: 'valueCodeableConcept.coding.code' },
    observed_on: { from: 'effectiveDateTime', as: 'date' },
  },
};

const report: MappingSpecInput = {
  id: 'hospital-c-report',
  version: 1,
  description: 'DiagnosticReport (imaging report) conclusion → note',
  target: 'note',
  when: { resourceType: ['DiagnosticReport'] },
  fields: {
    ...subject,
    ...encounter,
    note_type: { const: '检查报告' },
    note_text: { from: 'conclusion' },
    note_date: { from: 'effectiveDateTime', as: 'date' },
  },
};

const docBase = {
  ...subject,
  visit_id: { from: 'context.encounter.reference', as: 'reference' },
} as const;

const document: MappingSpecInput = {
  id: 'hospital-c-document',
  version: 1,
  description: 'DocumentReference (base64 text attachment) → note',
  target: 'note',
  when: { resourceType: ['DocumentReference'] },
  fields: {
    ...docBase,
    note_type: { from: 'type.text' },
    note_text: { from: NOTE_TEXT, decode: 'base64' },
    note_date: { from: 'date', as: 'date' },
  },
};

/** A blood pressure written in a note → one side (notes without one are skipped). */
function noteBp(side: 'systolic' | 'diastolic'): MappingSpecInput {
  return {
    id: `hospital-c-note-bp-${side}`,
    version: 1,
    description: `DocumentReference text BP …mmHg / 收缩压…舒张压… → ${side} measurement`,
    target: 'measurement',
    when: { resourceType: ['DocumentReference'] },
    skipWhenEmpty: ['value'],
    fields: {
      ...docBase,
      measurement_code: { const: VITAL_LOINC[side] },
      value: { from: NOTE_TEXT, decode: 'base64', pattern: NOTE_BP_PATTERN, bloodPressure: side, max: BP_MMHG_MAX },
      unit: { unitOf: 'value' },
      source_value: { from: NOTE_TEXT, decode: 'base64', pattern: NOTE_BP_PATTERN },
      measured_at: { from: 'date', as: 'datetime' },
    },
  };
}

const noteSmoking: MappingSpecInput = {
  id: 'hospital-c-note-smoking',
  version: 1,
  description: 'DocumentReference smoking sentence → observation 72166-2 (SNOMED CT status code)',
  target: 'observation',
  when: { resourceType: ['DocumentReference'] },
  skipWhenEmpty: ['value_text'],
  fields: {
    ...docBase,
    observation_code: { const: VITAL_LOINC.smoking },
    value_text: { from: NOTE_TEXT, decode: 'base64', pattern: SMOKING_PATTERN, codeMap: 'smoking' },
    observed_on: { from: 'date', as: 'date' },
  },
  codeMaps: { smoking: { entries: SMOKING_PHRASES } },
};

const noteMmse: MappingSpecInput = {
  id: 'hospital-c-note-mmse',
  version: 1,
  description: 'DocumentReference MMSE score → observation 72107-6',
  target: 'observation',
  when: { resourceType: ['DocumentReference'] },
  skipWhenEmpty: ['value_number'],
  fields: {
    ...docBase,
    observation_code: { const: VITAL_LOINC.mmse },
    value_number: { from: NOTE_TEXT, decode: 'base64', pattern: MMSE_PATTERN, as: 'number', min: 0, max: 30 },
    observed_on: { from: 'date', as: 'date' },
  },
};

const imaging: MappingSpecInput = {
  id: 'hospital-c-imaging',
  version: 1,
  description: 'DICOM header → imaging_study (one row per instance; person_id is the MRN in PatientID)',
  target: 'imaging_study',
  fields: {
    person_id: { from: 'PatientID' },
    study_uid: { from: 'StudyInstanceUID' },
    modality: { from: 'Modality' },
    body_part: { from: 'BodyPartExamined' },
    study_date: { from: 'StudyDate', as: 'date' },
    description: { from: 'StudyDescription' },
    location: { from: 'AccessionNumber' },
  },
};

const fhirSpecs = [
  person,
  death,
  visit,
  condition,
  drug,
  procedure,
  lab,
  bpPanel,
  bpSeparate,
  bpText('systolic'),
  bpText('diastolic'),
  body,
  smoking,
  report,
  document,
  noteBp('systolic'),
  noteBp('diastolic'),
  noteSmoking,
  noteMmse,
];

/** Hospital C's mapping specs. */
export const HOSPITAL_C_SPECS: MappingSpecInput[] = [...fhirSpecs, imaging];

/** Hospital C's source profile: FHIR bundles and NDJSON through the same specs, DICOM headers. */
export const HOSPITAL_C_PROFILE: SourceProfileInput = {
  source: 'hospital-c',
  description: '滨海妇幼保健院 FHIR R4 EMR and PACS',
  rules: [
    { match: '*.json', format: 'fhir', specs: fhirSpecs.map((s) => s.id) },
    { match: '*.ndjson', format: 'fhir', specs: fhirSpecs.map((s) => s.id) },
    { match: '*.dcm', format: 'dicom', specs: [imaging.id] },
  ],
};
