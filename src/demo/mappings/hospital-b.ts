/**
 * Hospital B (江南大学附属医院): HL7 v2.5 from its integration engine — ADT^A04/A01/A03 (person, visit, death,
 * discharge diagnoses in DG1), ORU^R01 lab results (one measurement per OBX, mg/dL converted to the consortium
 * units), MLLP-framed ORU^R01 vital signs (blood pressure as a LOINC OBX pair, a local 血压 text OBX or a local
 * 收缩压/舒张压 OBX pair; height, weight, BMI; smoking status) — and UTF-8 CSV with English headers.
 */
import type { MappingSpecInput } from '../../pipeline/mapping.ts';
import {
  BIRTH_DATE_MIN,
  BP_MMHG_MAX,
  drugCodeMap,
  labCodeMap,
  REGION_PATTERN,
  VITAL_LOINC,
  YEAR_PATTERN,
} from './codes.ts';
import type { SourceProfileInput } from './types.ts';

/** The MRN (first PID-3 repetition, type MR) and the resident ID number (second, type NNCHN). */
const MRN = 'PID-3[1].1';
const ID_NUMBER = 'PID-3[2].1';

const person: MappingSpecInput = {
  id: 'hospital-b-person',
  version: 1,
  description: 'ADT PID → person (one row per ADT message; the MPI links them)',
  target: 'person',
  fields: {
    person_id: { from: MRN },
    local_patient_id: { from: MRN },
    id_number: { from: ID_NUMBER },
    name: { from: 'PID-5.1', concat: ['PID-5.2'] },
    phone: { from: 'PID-13.1' },
    gender: { from: 'PID-8', as: 'sex' },
    birth_date: { from: 'PID-7', as: 'date', min: BIRTH_DATE_MIN },
    year_of_birth: { from: 'PID-7', pattern: YEAR_PATTERN, as: 'number' },
    region_code: { from: ID_NUMBER, pattern: REGION_PATTERN },
  },
};

const visit: MappingSpecInput = {
  id: 'hospital-b-visit',
  version: 1,
  description: 'ADT^A04 (outpatient, emergency) and ADT^A03 (a discharged admission) PV1 → visit_occurrence',
  target: 'visit_occurrence',
  when: { 'MSH-9.2': ['A04', 'A03'] },
  fields: {
    visit_id: { from: 'PV1-19' },
    person_id: { from: MRN },
    visit_type: { from: 'PV1-2', codeMap: 'patientClass' },
    start_date: { from: 'PV1-44', as: 'date' },
    end_date: { from: 'PV1-45', as: 'date', notBefore: { field: 'start_date' } },
    department: { from: 'PV1-3.1' },
  },
  codeMaps: { patientClass: { entries: { O: 'outpatient', E: 'emergency', I: 'inpatient' } } },
};

const death: MappingSpecInput = {
  id: 'hospital-b-death',
  version: 1,
  description: 'ADT^A03 with PID-30 = Y → death (PID-29)',
  target: 'death',
  when: { 'MSH-9.2': ['A03'], 'PID-30': ['Y'] },
  fields: { person_id: { from: MRN }, death_date: { from: 'PID-29', as: 'date' } },
};

/** DG1-15 priority 1 is the principal diagnosis. */
const PRIORITY = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [String(i + 1), i === 0 ? 'true' : 'false']));

const dischargeDiagnosis: MappingSpecInput = {
  id: 'hospital-b-dg1',
  version: 1,
  description: 'ADT^A03 DG1 (final inpatient diagnoses; diagnoses.csv repeats them on purpose) → condition',
  target: 'condition_occurrence',
  each: 'DG1',
  when: { 'MSH-9.2': ['A03'] },
  fields: {
    person_id: { from: MRN },
    visit_id: { from: 'PV1-19' },
    condition_code: { from: 'DG1-3.1' },
    source_code: { from: 'DG1-3.1' },
    condition_name: { from: 'DG1-3.2' },
    condition_date: { from: 'DG1-5', as: 'date' },
    is_primary: { from: 'DG1-15', as: 'boolean', codeMap: 'priority' },
  },
  codeMaps: { priority: { entries: PRIORITY } },
};

const lab: MappingSpecInput = {
  id: 'hospital-b-lab',
  version: 1,
  description: 'ORU^R01 lab OBX → measurement (local codes → consortium LOINC, mg/dL → mmol/L, µmol/L)',
  target: 'measurement',
  each: 'OBX',
  fields: {
    person_id: { from: MRN },
    visit_id: { from: 'PV1-19' },
    measurement_code: { from: 'OBX-3.1', codeMap: 'lab', nameFrom: 'OBX-3.2' },
    source_code: { from: 'OBX-3.1' },
    value: {
      from: 'OBX-5',
      as: 'number',
      required: true,
      min: 0,
      convert: { analyteOfField: 'measurement_code', unitFrom: 'OBX-6' },
    },
    unit: { unitOf: 'value' },
    source_value: { from: 'OBX-5' },
    measured_at: { from: 'OBX-14', as: 'datetime', notBefore: { from: 'PID-7' } },
    abnormal_flag: { from: 'OBX-8' },
  },
  codeMaps: { lab: labCodeMap('hospital-b') },
};

const vitalBase = {
  person_id: { from: MRN },
  visit_id: { from: 'PV1-19' },
  source_code: { from: 'OBX-3.1' },
  source_value: { from: 'OBX-5' },
  measured_at: { from: 'OBX-14', as: 'datetime' },
  unit: { unitOf: 'value' },
} as const;

/** One pressure sent as its own OBX: LOINC 8480-6/8462-4 (mm[Hg]) or local SSY/SZY (mmHg). */
function vitalSide(side: 'systolic' | 'diastolic'): MappingSpecInput {
  return {
    id: `hospital-b-vital-${side}`,
    version: 1,
    description: `ORU vitals OBX ${side === 'systolic' ? '8480-6 / SSY' : '8462-4 / SZY'} → ${side} measurement`,
    target: 'measurement',
    each: 'OBX',
    when: { 'OBX-3.1': side === 'systolic' ? [VITAL_LOINC.systolic, 'SSY'] : [VITAL_LOINC.diastolic, 'SZY'] },
    fields: {
      ...vitalBase,
      abnormal_flag: { from: 'OBX-8' },
      measurement_code: { const: VITAL_LOINC[side] },
      value: {
        from: 'OBX-5',
        as: 'number',
        required: true,
        max: BP_MMHG_MAX,
        convert: { analyte: 'blood_pressure', unitFrom: 'OBX-6' },
      },
    },
  };
}

/** One side of the local text OBX XY^血压 ("120/80"). */
function vitalText(side: 'systolic' | 'diastolic'): MappingSpecInput {
  return {
    id: `hospital-b-vital-bp-${side}`,
    version: 1,
    description: `ORU vitals OBX XY^血压 text → ${side} measurement`,
    target: 'measurement',
    each: 'OBX',
    when: { 'OBX-3.1': ['XY'] },
    fields: {
      ...vitalBase,
      measurement_code: { const: VITAL_LOINC[side] },
      value: { from: 'OBX-5', bloodPressure: side, max: BP_MMHG_MAX },
    },
  };
}

const vitalBody: MappingSpecInput = {
  id: 'hospital-b-vital-body',
  version: 1,
  description: 'ORU vitals OBX height, weight, BMI (LOINC) → measurement',
  target: 'measurement',
  each: 'OBX',
  when: { 'OBX-3.1': [VITAL_LOINC.height, VITAL_LOINC.weight, VITAL_LOINC.bmi] },
  fields: {
    ...vitalBase,
    measurement_code: { from: 'OBX-3.1' },
    value: { from: 'OBX-5', as: 'number', required: true, min: 0 },
    unit: { from: 'OBX-6.1' },
  },
};

const smoking: MappingSpecInput = {
  id: 'hospital-b-smoking',
  version: 1,
  description: 'ORU vitals OBX 72166-2 (SNOMED CT status) → observation',
  target: 'observation',
  each: 'OBX',
  when: { 'OBX-3.1': [VITAL_LOINC.smoking] },
  fields: {
    person_id: { from: MRN },
    visit_id: { from: 'PV1-19' },
    observation_code: { const: VITAL_LOINC.smoking },
    value_text: { from: 'OBX-5.1' },
    observed_on: { from: 'OBX-14', as: 'date' },
  },
};

const diagnosis: MappingSpecInput = {
  id: 'hospital-b-condition',
  version: 1,
  description: 'diagnoses.csv → condition_occurrence',
  target: 'condition_occurrence',
  fields: {
    person_id: { from: 'PatientID' },
    visit_id: { from: 'VisitNo' },
    condition_code: { from: 'DxCode' },
    source_code: { from: 'DxCode' },
    condition_name: { from: 'DxName' },
    condition_date: { from: 'DxDate', as: 'date' },
    is_primary: { from: 'DxType', as: 'boolean', codeMap: 'primary' },
  },
  codeMaps: { primary: { entries: { primary: 'true', secondary: 'false' } } },
};

const drug: MappingSpecInput = {
  id: 'hospital-b-drug',
  version: 1,
  description: 'drugs.csv → drug_exposure (local drug codes → ATC)',
  target: 'drug_exposure',
  fields: {
    person_id: { from: 'PatientID' },
    visit_id: { from: 'VisitNo' },
    atc_code: { from: 'DrugCode', codeMap: 'atc', nameFrom: 'GenericName' },
    drug_name: { from: 'GenericName' },
    dose_value: { from: 'Dose', as: 'number' },
    dose_unit: { from: 'DoseUnit' },
    start_date: { from: 'StartTime', as: 'date' },
    end_date: { from: 'StopTime', as: 'date' },
  },
  codeMaps: { atc: drugCodeMap('hospital-b') },
};

const procedure: MappingSpecInput = {
  id: 'hospital-b-procedure',
  version: 1,
  description: 'procedures.csv → procedure_occurrence (ICD-9-CM-3)',
  target: 'procedure_occurrence',
  fields: {
    person_id: { from: 'PatientID' },
    visit_id: { from: 'VisitNo' },
    procedure_code: { from: 'ProcCode' },
    procedure_name: { from: 'ProcName' },
    procedure_date: { from: 'ProcTime', as: 'date' },
  },
};

const vitalSpecs = [
  vitalSide('systolic'),
  vitalSide('diastolic'),
  vitalText('systolic'),
  vitalText('diastolic'),
  vitalBody,
  smoking,
];

/** Hospital B's mapping specs. */
export const HOSPITAL_B_SPECS: MappingSpecInput[] = [
  person,
  visit,
  death,
  dischargeDiagnosis,
  lab,
  ...vitalSpecs,
  diagnosis,
  drug,
  procedure,
];

/** Hospital B's source profile. */
export const HOSPITAL_B_PROFILE: SourceProfileInput = {
  source: 'hospital-b',
  description: '江南大学附属医院 integration engine (HL7 v2.5) and CSV exports',
  rules: [
    { match: 'adt.hl7', format: 'hl7v2', specs: [person.id, visit.id, death.id, dischargeDiagnosis.id] },
    { match: 'oru_lab.hl7', format: 'hl7v2', specs: [lab.id] },
    { match: 'oru_vitals.hl7', format: 'hl7v2', specs: vitalSpecs.map((s) => s.id) },
    { match: 'diagnoses.csv', format: 'csv', encoding: 'utf-8', specs: [diagnosis.id] },
    { match: 'drugs.csv', format: 'csv', encoding: 'utf-8', specs: [drug.id] },
    { match: 'procedures.csv', format: 'csv', encoding: 'utf-8', specs: [procedure.id] },
  ],
};
