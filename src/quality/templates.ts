/**
 * The built-in quality rules every node runs: generated from the canonical model (a completeness rule per
 * required field, a referential-integrity rule per person and visit key, an exact-duplicate rule per table)
 * plus the consortium's value sets, formats, units per lab code, plausible ranges and temporal order. Stewards
 * add their own rules beside these (service.saveRule); a built-in id cannot be reused.
 */
import { DWD_TABLES, type DwdTable, type FieldDef } from '../model/dwd.ts';
import { ANALYTE_NAMES, analyteCode, BP_LOINC, STANDARD_UNIT } from '../pipeline/units.ts';
import { parseRuleSet, type QualityRule, type QualityRuleInput } from './rules.ts';

const TABLES = Object.keys(DWD_TABLES) as DwdTable[];
const VITALS = { height: '8302-2', weight: '29463-7', bmi: '39156-5', smoking: '72166-2', mmse: '72107-6' } as const;

/** Optional fields whose absence a steward wants to see, with a tolerated share missing (percent). */
const OPTIONAL_COMPLETENESS: readonly [DwdTable, string, 'warning' | 'info', number][] = [
  ['person', 'birth_date', 'warning', 1],
  ['person', 'id_number', 'warning', 5],
  ['person', 'phone', 'warning', 5],
  ['drug_exposure', 'dose_value', 'warning', 5],
  ['drug_exposure', 'atc_code', 'warning', 1],
  ['measurement', 'value', 'warning', 1],
  ['measurement', 'unit', 'warning', 1],
  ['visit_occurrence', 'department', 'info', 10],
];

function completeness(): QualityRuleInput[] {
  const out: QualityRuleInput[] = [];
  for (const table of TABLES) {
    const fields: Record<string, FieldDef> = DWD_TABLES[table].fields;
    for (const [field, def] of Object.entries(fields)) {
      if (!def.required) continue;
      out.push({
        id: `${table}.${field}.required`,
        category: 'completeness',
        subcategory: 'required',
        table,
        severity: 'error',
        threshold: 0,
        countBy: table === 'person' ? 'person' : 'row',
        check: { kind: 'not_null', field },
        description: {
          zh: `${DWD_TABLES[table].zh}的${def.zh}不能为空`,
          en: `${table}.${field} (required) is present`,
        },
      });
    }
  }
  for (const [table, field, severity, threshold] of OPTIONAL_COMPLETENESS) {
    const def = (DWD_TABLES[table].fields as Record<string, FieldDef>)[field] as FieldDef;
    out.push({
      id: `${table}.${field}.present`,
      category: 'completeness',
      subcategory: 'required',
      table,
      severity,
      threshold,
      countBy: table === 'person' ? 'person' : 'row',
      check: { kind: 'not_null', field },
      description: { zh: `${DWD_TABLES[table].zh}的${def.zh}缺失比例`, en: `${table}.${field} is present` },
    });
  }
  return out;
}

const conformance: QualityRuleInput[] = [
  {
    id: 'person.gender.value_set',
    category: 'conformance',
    subcategory: 'value_set',
    table: 'person',
    severity: 'error',
    threshold: 0,
    check: { kind: 'value_set', field: 'gender', values: ['M', 'F', 'U'] },
    description: { zh: '性别为 M、F 或 U（GB/T 2261.1）', en: 'gender is M, F or U (GB/T 2261.1)' },
  },
  {
    id: 'visit_occurrence.visit_type.value_set',
    category: 'conformance',
    subcategory: 'value_set',
    table: 'visit_occurrence',
    severity: 'error',
    threshold: 0,
    check: { kind: 'value_set', field: 'visit_type', values: ['outpatient', 'emergency', 'inpatient'] },
    description: { zh: '就诊类型为门诊、急诊或住院', en: 'visit type is outpatient, emergency or inpatient' },
  },
  {
    id: 'measurement.abnormal_flag.value_set',
    category: 'conformance',
    subcategory: 'value_set',
    table: 'measurement',
    severity: 'warning',
    threshold: 0,
    check: { kind: 'value_set', field: 'abnormal_flag', values: ['H', 'L', 'N', 'A'] },
    description: { zh: '异常标识为 H、L、N 或 A', en: 'abnormal flag is H, L, N or A' },
  },
  {
    id: 'observation.smoking.value_set',
    category: 'conformance',
    subcategory: 'value_set',
    table: 'observation',
    severity: 'warning',
    threshold: 0,
    where: { observation_code: [VITALS.smoking] },
    check: { kind: 'value_set', field: 'value_text', values: ['449868002', '8517006', '266919005'] },
    description: {
      zh: '吸烟状况为 SNOMED CT 编码（现吸、已戒、从不）',
      en: 'smoking status is a SNOMED CT code (current, former, never)',
    },
  },
  {
    id: 'imaging_study.modality.value_set',
    category: 'conformance',
    subcategory: 'value_set',
    table: 'imaging_study',
    severity: 'warning',
    threshold: 0,
    check: {
      kind: 'value_set',
      field: 'modality',
      values: ['CT', 'MR', 'DX', 'CR', 'US', 'MG', 'PT', 'NM', 'XA', 'RF', 'OT'],
    },
    description: { zh: '影像检查类型为 DICOM 模态代码', en: 'modality is a DICOM modality code' },
  },
  format('person.region_code.format', 'person', 'region_code', '[0-9]{6}', 'warning', 0, {
    zh: '行政区划代码为 6 位数字（GB/T 2260）',
    en: 'region code is 6 digits (GB/T 2260)',
  }),
  {
    id: 'person.id_number.valid',
    category: 'conformance',
    subcategory: 'value_set',
    table: 'person',
    severity: 'info',
    threshold: 5,
    check: { kind: 'value_set', field: 'id_number_check', values: ['ok'] },
    description: {
      zh: '身份证号通过校验（长度、字符、行政区划、出生日期、校验码；GB 11643）',
      en: 'ID number passes its checks (length, characters, region, birth date, check character; GB 11643)',
    },
  },
  format(
    'condition_occurrence.condition_code.format',
    'condition_occurrence',
    'condition_code',
    '[A-Z][0-9]{2}(\\.[0-9x][0-9]{0,3}(x[0-9]{3})?)?',
    'warning',
    0,
    {
      zh: '诊断编码符合 ICD-10（含临床版扩展码）',
      en: 'diagnosis code is ICD-10 (clinical-edition extensions allowed)',
    },
  ),
  format(
    'procedure_occurrence.procedure_code.format',
    'procedure_occurrence',
    'procedure_code',
    '[0-9]{2}(\\.[0-9]{1,4})?(x[0-9]{3})?',
    'warning',
    0,
    { zh: '手术操作编码符合 ICD-9-CM-3', en: 'procedure code is ICD-9-CM-3' },
  ),
  format('drug_exposure.atc_code.format', 'drug_exposure', 'atc_code', '[A-Z][0-9]{2}[A-Z]{2}[0-9]{2}', 'warning', 0, {
    zh: '药品编码为 7 位 ATC 编码',
    en: 'drug code is a 7-character ATC code',
  }),
  format('measurement.measurement_code.format', 'measurement', 'measurement_code', '[0-9]{1,7}-[0-9]', 'warning', 0, {
    zh: '检验项目编码为 LOINC 格式',
    en: 'measurement code has the LOINC form',
  }),
  {
    id: 'measurement.unit.per_code',
    category: 'conformance',
    subcategory: 'unit',
    table: 'measurement',
    severity: 'error',
    threshold: 0,
    check: {
      kind: 'unit_per_code',
      codeField: 'measurement_code',
      unitField: 'unit',
      units: {
        ...Object.fromEntries(
          ANALYTE_NAMES.filter((a) => a !== 'blood_pressure').map((a) => [analyteCode(a), [STANDARD_UNIT[a]]]),
        ),
        [BP_LOINC.systolic]: ['mm[Hg]'],
        [BP_LOINC.diastolic]: ['mm[Hg]'],
        [VITALS.height]: ['cm'],
        [VITALS.weight]: ['kg'],
        [VITALS.bmi]: ['kg/m2'],
      },
    },
    description: {
      zh: '每个检验项目使用联盟标准单位（如血糖 mmol/L、血压 mm[Hg]）',
      en: "each measurement code carries the consortium's standard unit (glucose mmol/L, blood pressure mm[Hg], …)",
    },
  },
  unitScale('glucose', analyteCode('glucose'), 1.5, 55, {
    zh: '血糖 1.5–55 mmol/L 之外：多为 mg/dL 与 mmol/L 标错（相差 18 倍）',
    en: 'glucose outside 1.5–55 mmol/L: most likely mg/dL and mmol/L swapped (a factor of 18)',
  }),
  unitScale('creatinine', analyteCode('creatinine'), 10, 3000, {
    zh: '肌酐 10–3000 µmol/L 之外：多为 mg/dL 标成 µmol/L（相差 88.4 倍）',
    en: 'creatinine outside 10–3000 µmol/L: most likely mg/dL labelled µmol/L (a factor of 88.4)',
  }),
  unitScale('hemoglobin', analyteCode('hemoglobin'), 30, 250, {
    zh: '血红蛋白 30–250 g/L 之外：多为 g/dL 标成 g/L',
    en: 'hemoglobin outside 30–250 g/L: most likely g/dL labelled g/L',
  }),
  unitScale('cholesterol', analyteCode('cholesterol'), 0.5, 30, {
    zh: '总胆固醇 0.5–30 mmol/L 之外：多为 mg/dL 标成 mmol/L',
    en: 'total cholesterol outside 0.5–30 mmol/L: most likely mg/dL labelled mmol/L',
  }),
];

function relational(): QualityRuleInput[] {
  const out: QualityRuleInput[] = [];
  for (const table of TABLES) {
    if (table === 'person') continue;
    const fields: Record<string, FieldDef> = DWD_TABLES[table].fields;
    out.push({
      id: `${table}.person_id.in_person`,
      category: 'conformance',
      subcategory: 'relational',
      table,
      severity: 'error',
      threshold: 0,
      check: { kind: 'reference', field: 'person_id', refTable: 'person', refField: 'person_id' },
      description: {
        zh: `${DWD_TABLES[table].zh}的患者键在患者表中存在`,
        en: `${table}.person_id exists in person`,
      },
    });
    if (table !== 'visit_occurrence' && 'visit_id' in fields) {
      out.push({
        id: `${table}.visit_id.in_visit`,
        category: 'conformance',
        subcategory: 'relational',
        table,
        severity: 'warning',
        threshold: 1,
        check: { kind: 'reference', field: 'visit_id', refTable: 'visit_occurrence', refField: 'visit_id' },
        description: {
          zh: `${DWD_TABLES[table].zh}的就诊键在就诊表中存在`,
          en: `${table}.visit_id exists in visit_occurrence`,
        },
      });
    }
  }
  return out;
}

const atemporal: QualityRuleInput[] = [
  {
    id: 'person.birth_date.age',
    category: 'plausibility',
    subcategory: 'atemporal',
    table: 'person',
    severity: 'error',
    threshold: 0,
    countBy: 'person',
    check: { kind: 'age', field: 'birth_date', maxYears: 130 },
    description: { zh: '年龄不超过 130 岁', en: 'age is at most 130 years' },
  },
  valueRange('glucose.nonnegative', analyteCode('glucose'), 0, undefined, 'error', {
    zh: '血糖不小于 0',
    en: 'glucose is not negative',
  }),
  valueRange('systolic.range', BP_LOINC.systolic, 0, 300, 'error', {
    zh: '收缩压在 0–300 mmHg 之间',
    en: 'systolic blood pressure is within 0–300 mmHg',
  }),
  valueRange('diastolic.range', BP_LOINC.diastolic, 0, 300, 'error', {
    zh: '舒张压在 0–300 mmHg 之间',
    en: 'diastolic blood pressure is within 0–300 mmHg',
  }),
  valueRange('height.range', VITALS.height, 30, 250, 'warning', {
    zh: '身高在 30–250 cm 之间',
    en: 'height is within 30–250 cm',
  }),
  valueRange('weight.range', VITALS.weight, 0.5, 500, 'warning', {
    zh: '体重在 0.5–500 kg 之间',
    en: 'weight is within 0.5–500 kg',
  }),
  valueRange('bmi.range', VITALS.bmi, 5, 100, 'warning', {
    zh: '体重指数在 5–100 kg/m² 之间',
    en: 'BMI is within 5–100 kg/m²',
  }),
  valueRange('hba1c.range', analyteCode('hba1c'), 2, 25, 'warning', {
    zh: '糖化血红蛋白在 2–25% 之间',
    en: 'HbA1c is within 2–25 %',
  }),
  {
    id: 'observation.mmse.range',
    category: 'plausibility',
    subcategory: 'atemporal',
    table: 'observation',
    severity: 'warning',
    threshold: 0,
    where: { observation_code: [VITALS.mmse] },
    check: { kind: 'range', field: 'value_number', min: 0, max: 30 },
    description: { zh: 'MMSE 评分在 0–30 之间', en: 'MMSE score is within 0–30' },
  },
  {
    id: 'drug_exposure.dose_value.nonnegative',
    category: 'plausibility',
    subcategory: 'atemporal',
    table: 'drug_exposure',
    severity: 'warning',
    threshold: 0,
    check: { kind: 'range', field: 'dose_value', min: 0 },
    description: { zh: '剂量不小于 0', en: 'dose is not negative' },
  },
];

/** Event dates of each table: what must not precede birth nor follow death. */
const EVENT_DATES: readonly [DwdTable, string, string, string][] = [
  ['visit_occurrence', 'start_date', '就诊', 'visit'],
  ['condition_occurrence', 'condition_date', '诊断', 'diagnosis'],
  ['drug_exposure', 'start_date', '用药', 'drug exposure'],
  ['measurement', 'measured_at', '检验', 'measurement'],
  ['procedure_occurrence', 'procedure_date', '手术操作', 'procedure'],
  ['observation', 'observed_on', '观察', 'observation'],
  ['imaging_study', 'study_date', '影像检查', 'imaging study'],
];

function temporal(): QualityRuleInput[] {
  const out: QualityRuleInput[] = [
    {
      id: 'visit_occurrence.end_date.after_start',
      category: 'plausibility',
      subcategory: 'temporal',
      table: 'visit_occurrence',
      severity: 'error',
      threshold: 0,
      check: { kind: 'field_order', field: 'end_date', notBefore: 'start_date' },
      description: { zh: '出院日期不早于入院日期', en: 'discharge is not before admission' },
    },
    {
      id: 'drug_exposure.end_date.after_start',
      category: 'plausibility',
      subcategory: 'temporal',
      table: 'drug_exposure',
      severity: 'warning',
      threshold: 0,
      check: { kind: 'field_order', field: 'end_date', notBefore: 'start_date' },
      description: { zh: '用药结束日期不早于开始日期', en: 'a drug exposure does not end before it starts' },
    },
    {
      id: 'death.death_date.after_birth',
      category: 'plausibility',
      subcategory: 'temporal',
      table: 'death',
      severity: 'error',
      threshold: 0,
      check: { kind: 'ref_order', field: 'death_date', op: 'not_before', refTable: 'person', refField: 'birth_date' },
      description: { zh: '死亡日期不早于出生日期', en: 'death is not before birth' },
    },
  ];
  for (const [table, field, zh, en] of EVENT_DATES) {
    out.push(
      {
        id: `${table}.${field}.after_birth`,
        category: 'plausibility',
        subcategory: 'temporal',
        table,
        severity: 'error',
        threshold: 0,
        check: { kind: 'ref_order', field, op: 'not_before', refTable: 'person', refField: 'birth_date' },
        description: { zh: `${zh}不早于出生日期`, en: `no ${en} before birth` },
      },
      {
        id: `${table}.${field}.before_death`,
        category: 'plausibility',
        subcategory: 'temporal',
        table,
        severity: 'warning',
        threshold: 0,
        check: { kind: 'ref_order', field, op: 'not_after', refTable: 'death', refField: 'death_date' },
        description: { zh: `${zh}不晚于死亡日期`, en: `no ${en} after death` },
      },
    );
  }
  return out;
}

function uniqueness(): QualityRuleInput[] {
  const out: QualityRuleInput[] = TABLES.map((table) => ({
    id: `${table}.duplicate.exact`,
    category: 'plausibility',
    subcategory: 'uniqueness',
    table,
    severity: 'warning',
    threshold: 0,
    countBy: 'record',
    check: { kind: 'duplicate' },
    description: {
      zh: `${DWD_TABLES[table].zh}中除溯源信息外完全相同的重复行（按来源记录计）`,
      en: `${table} rows identical but for lineage (counted per source record)`,
    },
  }));
  out.push({
    id: 'person.duplicate.near',
    category: 'plausibility',
    subcategory: 'uniqueness',
    table: 'person',
    severity: 'warning',
    threshold: 0,
    countBy: 'person',
    check: {
      kind: 'near_duplicate',
      key: 'person_id',
      same: ['gender', 'birth_date'],
      anyOf: [{ field: 'id_number_bidx' }, { field: 'name_bidx' }, { field: 'phone_bidx' }],
    },
    description: {
      zh: '同一人以不同患者号重复登记（性别、出生日期相同，且身份证号、姓名或电话规范化后相同；按盲索引比较，不解密）',
      en: 'one person registered under two patient ids (same sex and birth date; same normalized ID number, name or phone, compared by blind index without decrypting)',
    },
  });
  return out;
}

function format(
  id: string,
  table: DwdTable,
  field: string,
  regex: string,
  severity: 'error' | 'warning' | 'info',
  threshold: number,
  description: { zh: string; en: string },
): QualityRuleInput {
  return {
    id,
    category: 'conformance',
    subcategory: 'format',
    table,
    severity,
    threshold,
    countBy: table === 'person' ? 'person' : 'row',
    check: { kind: 'pattern', field, regex },
    description,
  };
}

function unitScale(
  analyte: string,
  code: string,
  min: number,
  max: number,
  description: { zh: string; en: string },
): QualityRuleInput {
  return {
    id: `measurement.${analyte}.unit_scale`,
    category: 'conformance',
    subcategory: 'unit',
    table: 'measurement',
    severity: 'error',
    threshold: 0,
    where: { measurement_code: [code] },
    check: { kind: 'range', field: 'value', min, max },
    description,
  };
}

function valueRange(
  id: string,
  code: string,
  min: number | undefined,
  max: number | undefined,
  severity: 'error' | 'warning',
  description: { zh: string; en: string },
): QualityRuleInput {
  return {
    id: `measurement.${id}`,
    category: 'plausibility',
    subcategory: 'atemporal',
    table: 'measurement',
    severity,
    threshold: 0,
    where: { measurement_code: [code] },
    check: {
      kind: 'range',
      field: 'value',
      ...(min === undefined ? {} : { min }),
      ...(max === undefined ? {} : { max }),
    },
    description,
  };
}

/** The built-in rules, validated once at start-up (a broken template stops the node loudly). */
export const BUILTIN_RULES: readonly QualityRule[] = Object.freeze(
  parseRuleSet([...completeness(), ...conformance, ...relational(), ...atemporal, ...temporal(), ...uniqueness()]),
);

/** Ids of the built-in rules. */
export const BUILTIN_RULE_IDS: ReadonlySet<string> = new Set(BUILTIN_RULES.map((r) => r.id));
