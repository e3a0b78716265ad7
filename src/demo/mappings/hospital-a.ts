/**
 * Hospital A (华东第一人民医院): HIS/LIS/EMR CSV exports with Chinese headers (GBK, the lab export GB18030, the
 * EMR export UTF-8 with a BOM) and the physical-examination workbook. Blood pressure arrives in six field
 * spellings in the long vital-sign export, as 高压/低压 workbook columns and as 血压：…mmHg in notes; each
 * reading becomes a systolic and a diastolic measurement.
 */
import type { MappingSpecInput } from '../../pipeline/mapping.ts';
import { analyteCode } from '../../pipeline/units.ts';
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

/** 项目名称 values of the vital-sign export that hold both pressures in one field. */
const BP_ITEMS = ['血压', 'BP', '血压值', 'SBP/DBP'];
const BODY_ITEMS = { 身高: VITAL_LOINC.height, 体重: VITAL_LOINC.weight, 体重指数: VITAL_LOINC.bmi };
/** 血压：139/98mmHg in an admission or outpatient note. */
const NOTE_BP_PATTERN = '(血压[:：]\\s*\\d{2,3}(?:\\.\\d)?\\s*/\\s*\\d{2,3}(?:\\.\\d)?\\s*(?:mmHg|kPa)?)';

const person: MappingSpecInput = {
  id: 'hospital-a-person',
  version: 1,
  description: 'his_patient.csv → person',
  target: 'person',
  fields: {
    person_id: { from: '患者ID' },
    local_patient_id: { from: '患者ID' },
    id_number: { from: '身份证号' },
    name: { from: '姓名' },
    phone: { from: '联系电话' },
    gender: { from: '性别', as: 'sex' },
    birth_date: { from: '出生日期', as: 'date', min: BIRTH_DATE_MIN },
    year_of_birth: { from: '出生日期', pattern: YEAR_PATTERN, as: 'number' },
    region_code: { from: '身份证号', pattern: REGION_PATTERN },
  },
};

const death: MappingSpecInput = {
  id: 'hospital-a-death',
  version: 1,
  description: 'his_patient.csv 死亡日期 → death (patients without one are skipped)',
  target: 'death',
  skipWhenEmpty: ['death_date'],
  fields: { person_id: { from: '患者ID' }, death_date: { from: '死亡日期', as: 'date' } },
};

const visit: MappingSpecInput = {
  id: 'hospital-a-visit',
  version: 1,
  description: 'his_visit.csv → visit_occurrence',
  target: 'visit_occurrence',
  fields: {
    visit_id: { from: '就诊号' },
    person_id: { from: '患者ID' },
    visit_type: { from: '就诊类型', codeMap: 'visitType' },
    start_date: { from: '入院日期', as: 'date' },
    end_date: { from: '出院日期', as: 'date', notBefore: { field: 'start_date' } },
    department: { from: '科室' },
  },
  codeMaps: { visitType: { entries: { 门诊: 'outpatient', 急诊: 'emergency', 住院: 'inpatient' } } },
};

const condition: MappingSpecInput = {
  id: 'hospital-a-condition',
  version: 1,
  description: 'his_diagnosis.csv → condition_occurrence (clinical-edition and 医保版 codes kept as written)',
  target: 'condition_occurrence',
  fields: {
    person_id: { from: '患者ID' },
    visit_id: { from: '就诊号' },
    condition_code: { from: '诊断编码' },
    source_code: { from: '诊断编码' },
    condition_name: { from: '诊断名称' },
    condition_date: { from: '诊断日期', as: 'date' },
    is_primary: { from: '诊断类型', as: 'boolean', codeMap: 'primary' },
  },
  codeMaps: { primary: { entries: { 主要诊断: 'true', 其他诊断: 'false' } } },
};

const lab: MappingSpecInput = {
  id: 'hospital-a-lab',
  version: 1,
  description: 'lis_result.csv → measurement (local codes → consortium LOINC, values in the standard unit)',
  target: 'measurement',
  fields: {
    person_id: { from: '患者ID' },
    visit_id: { from: '就诊号' },
    measurement_code: { from: '检验项目代码', codeMap: 'lab', nameFrom: '检验项目名称' },
    source_code: { from: '检验项目代码' },
    value: {
      from: '结果',
      as: 'number',
      required: true,
      min: 0,
      convert: { analyteOfField: 'measurement_code', unitFrom: '单位' },
    },
    unit: { unitOf: 'value' },
    source_value: { from: '结果' },
    measured_at: { from: '报告时间', as: 'datetime' },
    abnormal_flag: { from: '异常标志', codeMap: 'flag' },
  },
  codeMaps: { lab: labCodeMap('hospital-a'), flag: { entries: { '↑': 'H', '↓': 'L' } } },
};

const drug: MappingSpecInput = {
  id: 'hospital-a-drug',
  version: 1,
  description: 'his_drug.csv → drug_exposure (local drug codes → ATC)',
  target: 'drug_exposure',
  fields: {
    person_id: { from: '患者ID' },
    visit_id: { from: '就诊号' },
    atc_code: { from: '药品编码', codeMap: 'atc', nameFrom: '药品通用名' },
    drug_name: { from: '药品通用名' },
    dose_value: { from: '剂量', as: 'number' },
    dose_unit: { from: '剂量单位' },
    start_date: { from: '开始日期', as: 'date' },
    end_date: { from: '结束日期', as: 'date' },
  },
  codeMaps: { atc: drugCodeMap('hospital-a') },
};

const procedure: MappingSpecInput = {
  id: 'hospital-a-procedure',
  version: 1,
  description: 'his_operation.csv → procedure_occurrence (ICD-9-CM-3)',
  target: 'procedure_occurrence',
  fields: {
    person_id: { from: '患者ID' },
    visit_id: { from: '就诊号' },
    procedure_code: { from: '手术操作编码' },
    procedure_name: { from: '手术操作名称' },
    procedure_date: { from: '手术日期', as: 'date' },
  },
};

const vitalBase = {
  person_id: { from: '患者ID' },
  visit_id: { from: '就诊号' },
  source_code: { from: '项目名称' },
  source_value: { from: '测量值' },
  measured_at: { from: '测量时间', as: 'datetime' },
  unit: { unitOf: 'value' },
} as const;

/** One side of the one-field readings (血压 120/80, BP 120/80mmHg, 血压值 120／80, SBP/DBP, 血压 16.0/10.7kPa). */
function vitalBp(side: 'systolic' | 'diastolic'): MappingSpecInput {
  return {
    id: `hospital-a-vital-bp-${side}`,
    version: 1,
    description: `his_vital_sign.csv one-field blood pressure → ${side} measurement`,
    target: 'measurement',
    when: { 项目名称: BP_ITEMS },
    fields: {
      ...vitalBase,
      measurement_code: { const: VITAL_LOINC[side] },
      value: { from: '测量值', bloodPressure: side, max: BP_MMHG_MAX },
    },
  };
}

/** The two-row spelling: 收缩压 and 舒张压 as separate rows. */
function vitalSide(side: 'systolic' | 'diastolic'): MappingSpecInput {
  return {
    id: `hospital-a-vital-${side}`,
    version: 1,
    description: `his_vital_sign.csv ${side === 'systolic' ? '收缩压' : '舒张压'} row → measurement`,
    target: 'measurement',
    when: { 项目名称: [side === 'systolic' ? '收缩压' : '舒张压'] },
    fields: {
      ...vitalBase,
      measurement_code: { const: VITAL_LOINC[side] },
      value: {
        from: '测量值',
        as: 'number',
        required: true,
        max: BP_MMHG_MAX,
        convert: { analyte: 'blood_pressure', unitFrom: '单位' },
      },
    },
  };
}

const vitalBody: MappingSpecInput = {
  id: 'hospital-a-vital-body',
  version: 1,
  description: 'his_vital_sign.csv 身高/体重/体重指数 → measurement (LOINC)',
  target: 'measurement',
  when: { 项目名称: Object.keys(BODY_ITEMS) },
  fields: {
    ...vitalBase,
    measurement_code: { from: '项目名称', codeMap: 'body' },
    value: { from: '测量值', as: 'number', required: true, min: 0 },
    unit: { from: '单位' },
  },
  codeMaps: { body: { entries: BODY_ITEMS } },
};

const noteBase = { person_id: { from: '患者ID' }, visit_id: { from: '就诊号' } } as const;

const note: MappingSpecInput = {
  id: 'hospital-a-note',
  version: 1,
  description: 'emr_document.csv → note',
  target: 'note',
  fields: {
    ...noteBase,
    note_type: { from: '文书类型' },
    note_text: { from: '内容' },
    note_date: { from: '书写时间', as: 'date' },
  },
};

/** 血压：120/80mmHg in a note → one side (notes without a reading are skipped). */
function noteBp(side: 'systolic' | 'diastolic'): MappingSpecInput {
  return {
    id: `hospital-a-note-bp-${side}`,
    version: 1,
    description: `emr_document.csv 血压：…mmHg → ${side} measurement`,
    target: 'measurement',
    skipWhenEmpty: ['value'],
    fields: {
      ...noteBase,
      measurement_code: { const: VITAL_LOINC[side] },
      value: { from: '内容', pattern: NOTE_BP_PATTERN, bloodPressure: side, max: BP_MMHG_MAX },
      unit: { unitOf: 'value' },
      source_value: { from: '内容', pattern: NOTE_BP_PATTERN },
      measured_at: { from: '书写时间', as: 'datetime' },
    },
  };
}

const noteSmoking: MappingSpecInput = {
  id: 'hospital-a-note-smoking',
  version: 1,
  description: 'emr_document.csv smoking sentence → observation 72166-2 (SNOMED CT status code)',
  target: 'observation',
  skipWhenEmpty: ['value_text'],
  fields: {
    ...noteBase,
    observation_code: { const: VITAL_LOINC.smoking },
    value_text: { from: '内容', pattern: SMOKING_PATTERN, codeMap: 'smoking' },
    observed_on: { from: '书写时间', as: 'date' },
  },
  codeMaps: { smoking: { entries: SMOKING_PHRASES } },
};

const noteMmse: MappingSpecInput = {
  id: 'hospital-a-note-mmse',
  version: 1,
  description: 'emr_document.csv MMSE score → observation 72107-6',
  target: 'observation',
  skipWhenEmpty: ['value_number'],
  fields: {
    ...noteBase,
    observation_code: { const: VITAL_LOINC.mmse },
    value_number: { from: '内容', pattern: MMSE_PATTERN, as: 'number', min: 0, max: 30 },
    observed_on: { from: '书写时间', as: 'date' },
  },
};

const examBase = {
  person_id: { from: '患者ID' },
  measured_at: { from: '体检日期', as: 'datetime' },
  unit: { unitOf: 'value' },
} as const;

/** One numeric column of the examination workbook → measurement. */
function exam(
  id: string,
  column: string,
  code: string,
  convert: { analyte: 'blood_pressure' | 'glucose'; unit: string } | { unit: string },
  max?: number,
): MappingSpecInput {
  const value =
    'analyte' in convert
      ? {
          from: column,
          as: 'number' as const,
          required: true,
          convert: { analyte: convert.analyte, unit: convert.unit },
        }
      : { from: column, as: 'number' as const, required: true };
  return {
    id: `hospital-a-exam-${id}`,
    version: 1,
    description: `tj_exam.xlsx ${column} → measurement ${code}`,
    target: 'measurement',
    fields: {
      ...examBase,
      measurement_code: { const: code },
      value: { ...value, min: 0, ...(max === undefined ? {} : { max }) },
      unit: 'analyte' in convert ? { unitOf: 'value' } : { const: convert.unit },
      source_value: { from: column },
    },
  };
}

/** Hospital A's mapping specs. */
export const HOSPITAL_A_SPECS: MappingSpecInput[] = [
  person,
  death,
  visit,
  condition,
  lab,
  drug,
  procedure,
  vitalBp('systolic'),
  vitalBp('diastolic'),
  vitalSide('systolic'),
  vitalSide('diastolic'),
  vitalBody,
  note,
  noteBp('systolic'),
  noteBp('diastolic'),
  noteSmoking,
  noteMmse,
  exam('sbp', '高压(mmHg)', VITAL_LOINC.systolic, { analyte: 'blood_pressure', unit: 'mmHg' }, BP_MMHG_MAX),
  exam('dbp', '低压(mmHg)', VITAL_LOINC.diastolic, { analyte: 'blood_pressure', unit: 'mmHg' }, BP_MMHG_MAX),
  exam('glucose', '空腹血糖(mmol/L)', analyteCode('glucose'), { analyte: 'glucose', unit: 'mmol/L' }),
  exam('height', '身高(cm)', VITAL_LOINC.height, { unit: 'cm' }),
  exam('weight', '体重(kg)', VITAL_LOINC.weight, { unit: 'kg' }),
  exam('bmi', 'BMI', VITAL_LOINC.bmi, { unit: 'kg/m2' }),
];

/** Hospital A's source profile: which export is read how, and by which specs. */
export const HOSPITAL_A_PROFILE: SourceProfileInput = {
  source: 'hospital-a',
  description: '华东第一人民医院 HIS/LIS/EMR exports',
  rules: [
    { match: 'his_patient.csv', format: 'csv', encoding: 'gbk', specs: [person.id, death.id] },
    { match: 'his_visit.csv', format: 'csv', encoding: 'gbk', specs: [visit.id] },
    { match: 'his_diagnosis.csv', format: 'csv', encoding: 'gbk', specs: [condition.id] },
    { match: 'lis_result.csv', format: 'csv', encoding: 'gb18030', specs: [lab.id] },
    { match: 'his_drug.csv', format: 'csv', encoding: 'gbk', specs: [drug.id] },
    { match: 'his_operation.csv', format: 'csv', encoding: 'gbk', specs: [procedure.id] },
    {
      match: 'his_vital_sign.csv',
      format: 'csv',
      encoding: 'gbk',
      specs: [
        'hospital-a-vital-bp-systolic',
        'hospital-a-vital-bp-diastolic',
        'hospital-a-vital-systolic',
        'hospital-a-vital-diastolic',
        vitalBody.id,
      ],
    },
    {
      match: 'emr_document.csv',
      format: 'csv',
      encoding: 'utf-8',
      specs: [note.id, 'hospital-a-note-bp-systolic', 'hospital-a-note-bp-diastolic', noteSmoking.id, noteMmse.id],
    },
    {
      match: 'tj_exam.xlsx',
      format: 'excel',
      specs: ['sbp', 'dbp', 'glucose', 'height', 'weight', 'bmi'].map((k) => `hospital-a-exam-${k}`),
    },
  ],
};
