/**
 * The canonical model (DWD 标准层): OMOP-CDM-shaped tables every hospital's data is standardized into, with
 * standard codes, normalized units, a GB/T 39725 sensitivity level (L1–L5) for every field, and lineage on
 * every row (which ODS file and record it came from, under which mapping version). One definition drives the
 * lake's column types, the catalog, classification-based access and the quality rules.
 */
import type { LakeColumnType } from '../store/index.ts';

/** GB/T 39725-2020 access breadth: 1 public … 5 very small circle (genetics, HIV, psychiatry, reproduction). */
export type SensitivityLevel = 1 | 2 | 3 | 4 | 5;

/** One field of a canonical table. */
export interface FieldDef {
  type: LakeColumnType;
  level: SensitivityLevel;
  /** Standard vocabulary the value is coded in, when it is a code. */
  vocabulary?: 'ICD-10' | 'ICD-9-CM-3' | 'LOINC' | 'ATC' | 'UCUM' | 'GB/T 2261.1' | 'GB/T 2260' | 'DICOM';
  required?: boolean;
  zh: string;
  en: string;
}

/** One canonical table. */
export interface TableDef {
  zh: string;
  en: string;
  fields: Readonly<Record<string, FieldDef>>;
}

/** Lineage columns every DWD row carries, so any row leads back to its source (issue "Hospital data in"). */
export const LINEAGE_FIELDS = {
  source_sha256: {
    type: 'VARCHAR',
    level: 2,
    required: true,
    zh: '来源文件哈希',
    en: 'SHA-256 of the ODS source file',
  },
  source_position: {
    type: 'VARCHAR',
    level: 2,
    required: true,
    zh: '来源位置',
    en: 'record position in the source (file:line, message/segment)',
  },
  mapping_version: {
    type: 'VARCHAR',
    level: 1,
    required: true,
    zh: '映射版本',
    en: 'mapping spec id and version applied',
  },
  load_id: { type: 'VARCHAR', level: 1, required: true, zh: '加载批次', en: 'load batch id' },
} as const satisfies Record<string, FieldDef>;

const person = {
  zh: '患者',
  en: 'Person',
  fields: {
    person_id: {
      type: 'VARCHAR',
      level: 3,
      required: true,
      zh: '患者键',
      en: 'node-local stable person key (not an identifier)',
    },
    patient_token: {
      type: 'VARCHAR',
      level: 3,
      zh: '患者令牌',
      en: 'keyed MPI token (HMAC), never the clear identifier',
    },
    local_patient_id: { type: 'VARCHAR', level: 4, zh: '院内患者ID', en: 'hospital patient id' },
    id_number: { type: 'VARCHAR', level: 4, zh: '身份证号', en: 'resident ID number (encrypted at rest)' },
    name: { type: 'VARCHAR', level: 4, zh: '姓名', en: 'name (encrypted at rest)' },
    phone: { type: 'VARCHAR', level: 4, zh: '联系电话', en: 'phone (encrypted at rest)' },
    id_number_check: {
      type: 'VARCHAR',
      level: 2,
      zh: '身份证号校验',
      en: 'ok, or what is wrong with the ID number: length, characters, region, date, checksum',
    },
    id_number_bidx: {
      type: 'VARCHAR',
      level: 3,
      zh: '身份证号盲索引',
      en: 'keyed blind index of the normalized ID number (equality only; never the number)',
    },
    name_bidx: {
      type: 'VARCHAR',
      level: 3,
      zh: '姓名盲索引',
      en: 'keyed blind index of the normalized name (equality only)',
    },
    phone_bidx: {
      type: 'VARCHAR',
      level: 3,
      zh: '电话盲索引',
      en: 'keyed blind index of the phone digits (equality only)',
    },
    gender: { type: 'VARCHAR', level: 2, vocabulary: 'GB/T 2261.1', required: true, zh: '性别', en: 'sex: M, F or U' },
    birth_date: { type: 'DATE', level: 3, zh: '出生日期', en: 'date of birth' },
    year_of_birth: { type: 'BIGINT', level: 2, zh: '出生年份', en: 'year of birth' },
    region_code: {
      type: 'VARCHAR',
      level: 3,
      vocabulary: 'GB/T 2260',
      zh: '行政区划代码',
      en: 'administrative region code (6 digits)',
    },
  },
} as const satisfies TableDef;

const visit_occurrence = {
  zh: '就诊',
  en: 'Visit',
  fields: {
    visit_id: { type: 'VARCHAR', level: 3, required: true, zh: '就诊键', en: 'visit key' },
    person_id: { type: 'VARCHAR', level: 3, required: true, zh: '患者键', en: 'person key' },
    visit_type: { type: 'VARCHAR', level: 2, required: true, zh: '就诊类型', en: 'outpatient, emergency or inpatient' },
    start_date: { type: 'DATE', level: 3, required: true, zh: '开始日期', en: 'admission / visit date' },
    end_date: { type: 'DATE', level: 3, zh: '结束日期', en: 'discharge date' },
    department: { type: 'VARCHAR', level: 2, zh: '科室', en: 'department' },
  },
} as const satisfies TableDef;

const condition_occurrence = {
  zh: '诊断',
  en: 'Condition',
  fields: {
    person_id: { type: 'VARCHAR', level: 3, required: true, zh: '患者键', en: 'person key' },
    visit_id: { type: 'VARCHAR', level: 3, zh: '就诊键', en: 'visit key' },
    condition_code: {
      type: 'VARCHAR',
      level: 3,
      vocabulary: 'ICD-10',
      required: true,
      zh: '诊断编码',
      en: 'ICD-10 code (clinical edition, with extension)',
    },
    source_code: { type: 'VARCHAR', level: 3, zh: '原始编码', en: 'code as received' },
    condition_name: { type: 'VARCHAR', level: 3, zh: '诊断名称', en: 'diagnosis name' },
    condition_date: { type: 'DATE', level: 3, required: true, zh: '诊断日期', en: 'diagnosis date' },
    is_primary: { type: 'BOOLEAN', level: 2, zh: '主要诊断', en: 'principal diagnosis' },
  },
} as const satisfies TableDef;

const drug_exposure = {
  zh: '用药',
  en: 'Drug exposure',
  fields: {
    person_id: { type: 'VARCHAR', level: 3, required: true, zh: '患者键', en: 'person key' },
    visit_id: { type: 'VARCHAR', level: 3, zh: '就诊键', en: 'visit key' },
    atc_code: { type: 'VARCHAR', level: 3, vocabulary: 'ATC', zh: 'ATC编码', en: 'ATC code' },
    drug_name: { type: 'VARCHAR', level: 3, required: true, zh: '药品通用名', en: 'generic name' },
    dose_value: { type: 'DOUBLE', level: 3, zh: '剂量', en: 'dose' },
    dose_unit: { type: 'VARCHAR', level: 3, vocabulary: 'UCUM', zh: '剂量单位', en: 'dose unit' },
    start_date: { type: 'DATE', level: 3, required: true, zh: '开始日期', en: 'start date' },
    end_date: { type: 'DATE', level: 3, zh: '结束日期', en: 'end date' },
  },
} as const satisfies TableDef;

const measurement = {
  zh: '检验与体征',
  en: 'Measurement',
  fields: {
    person_id: { type: 'VARCHAR', level: 3, required: true, zh: '患者键', en: 'person key' },
    visit_id: { type: 'VARCHAR', level: 3, zh: '就诊键', en: 'visit key' },
    measurement_code: {
      type: 'VARCHAR',
      level: 3,
      vocabulary: 'LOINC',
      required: true,
      zh: '项目编码',
      en: 'LOINC or consortium lab code',
    },
    source_code: { type: 'VARCHAR', level: 3, zh: '原始项目代码', en: 'local test code as received' },
    value: { type: 'DOUBLE', level: 3, zh: '结果', en: 'value in the standard unit' },
    unit: { type: 'VARCHAR', level: 3, vocabulary: 'UCUM', zh: '单位', en: 'standard unit' },
    source_value: { type: 'VARCHAR', level: 3, zh: '原始结果', en: 'value and unit as received' },
    measured_at: {
      type: 'TIMESTAMP',
      level: 3,
      required: true,
      zh: '检测时间',
      en: 'time of measurement (Beijing time)',
    },
    abnormal_flag: { type: 'VARCHAR', level: 3, zh: '异常标识', en: 'H, L, N or A' },
  },
} as const satisfies TableDef;

const procedure_occurrence = {
  zh: '手术与操作',
  en: 'Procedure',
  fields: {
    person_id: { type: 'VARCHAR', level: 3, required: true, zh: '患者键', en: 'person key' },
    visit_id: { type: 'VARCHAR', level: 3, zh: '就诊键', en: 'visit key' },
    procedure_code: {
      type: 'VARCHAR',
      level: 3,
      vocabulary: 'ICD-9-CM-3',
      required: true,
      zh: '手术操作编码',
      en: 'ICD-9-CM-3 code',
    },
    procedure_name: { type: 'VARCHAR', level: 3, zh: '手术操作名称', en: 'procedure name' },
    procedure_date: { type: 'DATE', level: 3, required: true, zh: '手术日期', en: 'procedure date' },
  },
} as const satisfies TableDef;

const observation = {
  zh: '观察',
  en: 'Observation',
  fields: {
    person_id: { type: 'VARCHAR', level: 3, required: true, zh: '患者键', en: 'person key' },
    visit_id: { type: 'VARCHAR', level: 3, zh: '就诊键', en: 'visit key' },
    observation_code: {
      type: 'VARCHAR',
      level: 3,
      required: true,
      zh: '观察项',
      en: 'what was observed (e.g. smoking, MMSE, APOE)',
    },
    value_text: { type: 'VARCHAR', level: 3, zh: '文本值', en: 'text value' },
    value_number: { type: 'DOUBLE', level: 3, zh: '数值', en: 'numeric value' },
    observed_on: { type: 'DATE', level: 3, required: true, zh: '观察日期', en: 'date observed' },
  },
} as const satisfies TableDef;

const note = {
  zh: '病历文书',
  en: 'Note',
  fields: {
    person_id: { type: 'VARCHAR', level: 3, required: true, zh: '患者键', en: 'person key' },
    visit_id: { type: 'VARCHAR', level: 3, zh: '就诊键', en: 'visit key' },
    note_type: {
      type: 'VARCHAR',
      level: 3,
      required: true,
      zh: '文书类型',
      en: 'admission note, discharge summary, …',
    },
    note_text: {
      type: 'VARCHAR',
      level: 4,
      required: true,
      zh: '文书内容',
      en: 'free text (may name people: scrubbed before any release)',
    },
    note_date: { type: 'DATE', level: 3, required: true, zh: '书写日期', en: 'date written' },
  },
} as const satisfies TableDef;

const imaging_study = {
  zh: '影像检查',
  en: 'Imaging study',
  fields: {
    person_id: { type: 'VARCHAR', level: 3, required: true, zh: '患者键', en: 'person key' },
    study_uid: {
      type: 'VARCHAR',
      level: 3,
      vocabulary: 'DICOM',
      required: true,
      zh: '检查实例UID',
      en: 'StudyInstanceUID',
    },
    modality: { type: 'VARCHAR', level: 2, vocabulary: 'DICOM', zh: '检查类型', en: 'modality (CT, MR, DX, …)' },
    body_part: { type: 'VARCHAR', level: 2, zh: '检查部位', en: 'body part examined' },
    study_date: { type: 'DATE', level: 3, required: true, zh: '检查日期', en: 'study date' },
    description: { type: 'VARCHAR', level: 3, zh: '检查描述', en: 'study description' },
    location: { type: 'VARCHAR', level: 3, zh: '影像位置', en: 'where the images stay (PACS reference)' },
  },
} as const satisfies TableDef;

const death = {
  zh: '死亡',
  en: 'Death',
  fields: {
    person_id: { type: 'VARCHAR', level: 3, required: true, zh: '患者键', en: 'person key' },
    death_date: { type: 'DATE', level: 3, required: true, zh: '死亡日期', en: 'date of death' },
    cause_code: { type: 'VARCHAR', level: 3, vocabulary: 'ICD-10', zh: '死因编码', en: 'underlying cause (ICD-10)' },
  },
} as const satisfies TableDef;

/** Every canonical table, by lake table name (lineage fields are added by {@link lakeColumns}). */
export const DWD_TABLES = {
  person,
  visit_occurrence,
  condition_occurrence,
  drug_exposure,
  measurement,
  procedure_occurrence,
  observation,
  note,
  imaging_study,
  death,
} as const satisfies Record<string, TableDef>;

/** A canonical table name. */
export type DwdTable = keyof typeof DWD_TABLES;

/** The lake column schema of a canonical table: its fields, then the lineage fields. */
export function lakeColumns(table: DwdTable): Record<string, LakeColumnType> {
  const fields: Record<string, FieldDef> = { ...DWD_TABLES[table].fields, ...LINEAGE_FIELDS };
  return Object.fromEntries(Object.entries(fields).map(([name, f]) => [name, f.type]));
}

/** The highest sensitivity level of any field in a table (what a record-level release of it must clear). */
export function tableLevel(table: DwdTable): SensitivityLevel {
  const fields: Record<string, FieldDef> = DWD_TABLES[table].fields;
  return Math.max(...Object.values(fields).map((f) => f.level)) as SensitivityLevel;
}
