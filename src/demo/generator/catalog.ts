/**
 * The clinical vocabulary of the synthetic consortium: diagnoses (ICD-10 with China's clinical-edition
 * extensions and a few 医保版 codes), procedures (ICD-9-CM-3 clinical-edition style), each hospital's lab
 * catalogue (local codes, names, units, reference ranges, and the LOINC code and linear conversion that are
 * the ground truth for mapping), drugs (Chinese generic names, ATC side table), imaging study types and the
 * blood-pressure spellings. The four-character bases of the codes are the international ones; the extension
 * digits follow the national editions' shape and are not a copy of the official tables.
 */

/** A diagnosis code with its Chinese name. */
export interface Diagnosis {
  code: string;
  name: string;
}

/** Diagnoses by key: clinical edition 2.0 code, and an optional 医保版 code some exports use instead. */
export const DIAGNOSES = {
  t2dm: { code: 'E11.900', name: '2型糖尿病', yibao: { code: 'E11.900x001', name: '2型糖尿病' } },
  t2dmKidney: { code: 'E11.200', name: '2型糖尿病伴有肾的并发症' },
  t2dmEye: { code: 'E11.300', name: '2型糖尿病伴有眼的并发症' },
  t2dmNerve: { code: 'E11.400', name: '2型糖尿病伴有神经的并发症' },
  hypertension: { code: 'I10.x00', name: '原发性高血压', yibao: { code: 'I10.x00x002', name: '高血压病' } },
  hyperlipidemia: { code: 'E78.500', name: '高脂血症' },
  ckd: { code: 'N18.900', name: '慢性肾脏病' },
  copd: { code: 'J44.900', name: '慢性阻塞性肺疾病' },
  chd: { code: 'I25.100', name: '动脉粥样硬化性心脏病' },
  stroke: { code: 'I63.900', name: '脑梗死' },
  alzheimer: { code: 'G30.900', name: '阿尔茨海默病' },
  dementia: { code: 'F03.x00', name: '痴呆' },
  lungCancer: { code: 'C34.900', name: '肺恶性肿瘤' },
  chemo: { code: 'Z51.100', name: '为肿瘤化学治疗疗程' },
  urti: { code: 'J06.900', name: '急性上呼吸道感染' },
  pneumonia: { code: 'J18.900', name: '肺炎', yibao: { code: 'J18.900x002', name: '社区获得性肺炎' } },
  gastritis: { code: 'K29.700', name: '胃炎' },
  hipFracture: { code: 'S72.000', name: '股骨颈骨折' },
  gallstone: { code: 'K80.200', name: '胆囊结石' },
  appendicitis: { code: 'K35.800', name: '急性阑尾炎' },
} as const satisfies Record<string, Diagnosis & { yibao?: Diagnosis }>;

/** A diagnosis key. */
export type DiagnosisKey = keyof typeof DIAGNOSES;

/** The complication diagnoses of the planted logistic effect (any of E11.2, E11.3, E11.4). */
export const COMPLICATION_KEYS: readonly DiagnosisKey[] = ['t2dmKidney', 't2dmEye', 't2dmNerve'];

/** Procedures (ICD-9-CM-3, national clinical edition style) by key. */
export const PROCEDURES = {
  stentBms: { code: '36.0601', name: '经皮冠状动脉非药物洗脱支架置入术' },
  stentDes: { code: '36.0700', name: '经皮冠状动脉药物洗脱支架置入术' },
  hipReplacement: { code: '81.5101', name: '全髋关节置换术' },
  kneeReplacement: { code: '81.5401', name: '全膝关节置换术' },
  lobectomy: { code: '32.4101', name: '胸腔镜下肺叶切除术' },
  bronchoscopyBiopsy: { code: '33.2400', name: '支气管镜下支气管活组织检查' },
  chemotherapy: { code: '99.2501', name: '抗肿瘤化学药物注射' },
  hemodialysis: { code: '39.9500', name: '血液透析' },
  cholecystectomy: { code: '51.2300', name: '腹腔镜下胆囊切除术' },
  appendectomy: { code: '47.0100', name: '腹腔镜下阑尾切除术' },
  colonoscopy: { code: '45.2300', name: '结肠镜检查' },
  gastroscopy: { code: '44.1300', name: '胃镜检查' },
  intubation: { code: '96.0400', name: '气管插管' },
} as const satisfies Record<string, Diagnosis>;

/** A procedure key. */
export type ProcedureKey = keyof typeof PROCEDURES;

/** The lab tests every hospital measures (under its own codes and units). */
export type LabKey =
  | 'glucose'
  | 'hba1c'
  | 'creatinine'
  | 'cholesterol'
  | 'triglyceride'
  | 'alt'
  | 'hemoglobin'
  | 'wbc'
  | 'potassium'
  | 'crp';

/** Canonical (consortium) unit of each lab test; the generator's true values are in these units. */
export const LAB_CANONICAL: Readonly<Record<LabKey, { name: string; unit: string; loinc: string }>> = {
  glucose: { name: '葡萄糖', unit: 'mmol/L', loinc: '14749-6' },
  hba1c: { name: '糖化血红蛋白', unit: '%', loinc: '4548-4' },
  creatinine: { name: '肌酐', unit: 'umol/L', loinc: '14682-9' },
  cholesterol: { name: '总胆固醇', unit: 'mmol/L', loinc: '14647-2' },
  triglyceride: { name: '甘油三酯', unit: 'mmol/L', loinc: '14927-8' },
  alt: { name: '丙氨酸氨基转移酶', unit: 'U/L', loinc: '1742-6' },
  hemoglobin: { name: '血红蛋白', unit: 'g/L', loinc: '718-7' },
  wbc: { name: '白细胞计数', unit: '10*9/L', loinc: '6690-2' },
  potassium: { name: '钾', unit: 'mmol/L', loinc: '2823-3' },
  crp: { name: 'C反应蛋白', unit: 'mg/L', loinc: '1988-5' },
};

/** One hospital's local lab test: local value = canonical × factor + offset, rounded to `decimals`. */
export interface LocalLab {
  key: LabKey;
  code: string;
  name: string;
  unit: string;
  /** UCUM code of the unit (FHIR valueQuantity.code), when it differs from `unit`. */
  ucum: string;
  loinc: string;
  factor: number;
  offset: number;
  decimals: number;
  /** Reference range in the local unit; sex-specific when the two differ. */
  range: { M: readonly [number, number]; F: readonly [number, number] };
  /** The range as the hospital prints it when it is an upper limit only. */
  upperOnly?: boolean;
}

const MICRO = '\u00b5';

function lab(
  key: LabKey,
  code: string,
  name: string,
  unit: string,
  loinc: string,
  decimals: number,
  range: readonly [number, number],
  extra: Partial<LocalLab> = {},
): LocalLab {
  return {
    key,
    code,
    name,
    unit,
    ucum: unit,
    loinc,
    factor: 1,
    offset: 0,
    decimals,
    range: { M: range, F: range },
    ...extra,
  };
}

/** Lab catalogues per hospital (index 0 = hospital-a). */
export const LABS: readonly Readonly<Record<LabKey, LocalLab>>[] = [
  {
    glucose: lab('glucose', 'GLU', '葡萄糖', 'mmol/L', '14749-6', 2, [3.9, 6.1]),
    hba1c: lab('hba1c', 'HBA1C', '糖化血红蛋白', '%', '4548-4', 1, [4.0, 6.0]),
    creatinine: lab('creatinine', 'CREA', '肌酐', `${MICRO}mol/L`, '14682-9', 0, [57, 111], {
      ucum: 'umol/L',
      range: { M: [57, 111], F: [41, 81] },
    }),
    cholesterol: lab('cholesterol', 'TC', '总胆固醇', 'mmol/L', '14647-2', 2, [0, 5.2], { upperOnly: true }),
    triglyceride: lab('triglyceride', 'TG', '甘油三酯', 'mmol/L', '14927-8', 2, [0.56, 1.7]),
    alt: lab('alt', 'ALT', '丙氨酸氨基转移酶', 'U/L', '1742-6', 0, [9, 50], { range: { M: [9, 50], F: [7, 40] } }),
    hemoglobin: lab('hemoglobin', 'HGB', '血红蛋白', 'g/L', '718-7', 0, [130, 175], {
      range: { M: [130, 175], F: [115, 150] },
    }),
    wbc: lab('wbc', 'WBC', '白细胞计数', '10^9/L', '6690-2', 2, [3.5, 9.5], { ucum: '10*9/L' }),
    potassium: lab('potassium', 'K', '钾', 'mmol/L', '2823-3', 2, [3.5, 5.3]),
    crp: lab('crp', 'CRP', 'C反应蛋白', 'mg/L', '1988-5', 1, [0, 10], { upperOnly: true }),
  },
  {
    glucose: lab('glucose', '1023', '血糖', 'mg/dL', '2345-7', 0, [70, 110], { factor: 18 }),
    hba1c: lab('hba1c', '1045', '糖化血红蛋白A1c', '%', '4548-4', 1, [4.0, 6.0]),
    creatinine: lab('creatinine', '1031', '肌酐', 'mg/dL', '2160-0', 2, [0.64, 1.26], {
      factor: 1 / 88.4,
      range: { M: [0.64, 1.26], F: [0.46, 0.92] },
    }),
    cholesterol: lab('cholesterol', '1051', '总胆固醇', 'mg/dL', '2093-3', 0, [0, 200], {
      factor: 38.67,
      upperOnly: true,
    }),
    triglyceride: lab('triglyceride', '1052', '甘油三酯', 'mmol/L', '14927-8', 2, [0.56, 1.7]),
    alt: lab('alt', '1011', '谷丙转氨酶', 'U/L', '1742-6', 0, [9, 50], { range: { M: [9, 50], F: [7, 40] } }),
    hemoglobin: lab('hemoglobin', '2001', '血红蛋白', 'g/L', '718-7', 0, [130, 175], {
      range: { M: [130, 175], F: [115, 150] },
    }),
    wbc: lab('wbc', '2002', '白细胞', '10*9/L', '6690-2', 1, [3.5, 9.5]),
    potassium: lab('potassium', '1061', '血钾', 'mmol/L', '2823-3', 1, [3.5, 5.3]),
    crp: lab('crp', '3011', 'C反应蛋白', 'mg/L', '1988-5', 1, [0, 10], { upperOnly: true }),
  },
  {
    glucose: lab('glucose', 'LAB0101', '空腹血糖', 'mmol/L', '14749-6', 1, [3.9, 6.1]),
    hba1c: lab('hba1c', 'LAB0102', '糖化血红蛋白(IFCC)', 'mmol/mol', '59261-8', 0, [20, 42], {
      factor: 10.929,
      offset: -10.929 * 2.15,
    }),
    creatinine: lab('creatinine', 'LAB0103', '血肌酐', `${MICRO}mol/L`, '14682-9', 0, [57, 111], {
      ucum: 'umol/L',
      range: { M: [57, 111], F: [41, 81] },
    }),
    cholesterol: lab('cholesterol', 'LAB0104', '总胆固醇', 'mmol/L', '14647-2', 2, [0, 5.2], { upperOnly: true }),
    triglyceride: lab('triglyceride', 'LAB0105', '甘油三酯', 'mmol/L', '14927-8', 2, [0.56, 1.7]),
    alt: lab('alt', 'LAB0106', '谷丙转氨酶', 'U/L', '1742-6', 0, [9, 50], { range: { M: [9, 50], F: [7, 40] } }),
    hemoglobin: lab('hemoglobin', 'LAB0201', '血红蛋白', 'g/L', '718-7', 0, [130, 175], {
      range: { M: [130, 175], F: [115, 150] },
    }),
    wbc: lab('wbc', 'LAB0202', '白细胞计数', '10^9/L', '6690-2', 2, [3.5, 9.5], { ucum: '10*9/L' }),
    potassium: lab('potassium', 'LAB0107', '钾', 'mmol/L', '2823-3', 2, [3.5, 5.3]),
    crp: lab('crp', 'LAB0301', 'C反应蛋白', 'mg/L', '1988-5', 1, [0, 10], { upperOnly: true }),
  },
];

/** Converts a canonical value to a hospital's local unit and rounds it as the hospital prints it. */
export function toLocalValue(test: LocalLab, canonical: number): number {
  return roundTo(canonical * test.factor + test.offset, test.decimals);
}

/** Rounds half away from zero to `decimals` places, robust to binary representation (1.005 → 1.01). */
export function roundTo(value: number, decimals: number): number {
  const f = 10 ** decimals;
  return (Math.sign(value) * Math.round(Math.abs(value) * f + 1e-9)) / f;
}

/** A lab result as a hospital prints it ("5.20", "98", "0.85"). */
export function formatLocal(test: LocalLab, local: number): string {
  return local.toFixed(test.decimals);
}

/** Lab panels (one HL7 OBR each): code, name and tests. */
export const LAB_PANELS = {
  biochemistry: {
    code: 'BIO',
    name: '生化全项',
    tests: ['glucose', 'creatinine', 'cholesterol', 'triglyceride', 'alt', 'potassium'],
  },
  bloodCount: { code: 'CBC', name: '血常规', tests: ['hemoglobin', 'wbc'] },
  hba1c: { code: 'GHB', name: '糖化血红蛋白', tests: ['hba1c'] },
  glucose: { code: 'FBG', name: '空腹血糖', tests: ['glucose'] },
  crp: { code: 'CRP', name: 'C反应蛋白', tests: ['crp'] },
  lipids: { code: 'LIP', name: '血脂四项', tests: ['cholesterol', 'triglyceride'] },
  renal: { code: 'REN', name: '肾功能', tests: ['creatinine', 'potassium'] },
} as const satisfies Record<string, { code: string; name: string; tests: readonly LabKey[] }>;

/** A lab panel key. */
export type PanelKey = keyof typeof LAB_PANELS;

/** A drug: Chinese generic name, ATC code (the side table), usual dose, frequency and route. */
export interface Drug {
  key: string;
  generic: string;
  atc: string;
  spec: string;
  dose: number;
  unit: string;
  frequency: 'qd' | 'bid' | 'tid' | 'qn' | 'prn';
  route: '口服' | '皮下注射' | '静脉滴注' | '吸入';
}

/** The drug list (generic names and ATC codes). */
export const DRUGS: readonly Drug[] = [
  {
    key: 'metformin',
    generic: '二甲双胍',
    atc: 'A10BA02',
    spec: '0.5g×20片',
    dose: 0.5,
    unit: 'g',
    frequency: 'tid',
    route: '口服',
  },
  {
    key: 'glimepiride',
    generic: '格列美脲',
    atc: 'A10BB12',
    spec: '2mg×15片',
    dose: 2,
    unit: 'mg',
    frequency: 'qd',
    route: '口服',
  },
  {
    key: 'acarbose',
    generic: '阿卡波糖',
    atc: 'A10BF01',
    spec: '50mg×30片',
    dose: 50,
    unit: 'mg',
    frequency: 'tid',
    route: '口服',
  },
  {
    key: 'glargine',
    generic: '甘精胰岛素',
    atc: 'A10AE04',
    spec: '300U/3ml',
    dose: 12,
    unit: 'U',
    frequency: 'qn',
    route: '皮下注射',
  },
  {
    key: 'amlodipine',
    generic: '氨氯地平',
    atc: 'C08CA01',
    spec: '5mg×7片',
    dose: 5,
    unit: 'mg',
    frequency: 'qd',
    route: '口服',
  },
  {
    key: 'nifedipine',
    generic: '硝苯地平',
    atc: 'C08CA05',
    spec: '30mg×7片(控释)',
    dose: 30,
    unit: 'mg',
    frequency: 'qd',
    route: '口服',
  },
  {
    key: 'valsartan',
    generic: '缬沙坦',
    atc: 'C09CA03',
    spec: '80mg×7粒',
    dose: 80,
    unit: 'mg',
    frequency: 'qd',
    route: '口服',
  },
  {
    key: 'metoprolol',
    generic: '美托洛尔',
    atc: 'C07AB02',
    spec: '47.5mg×7片(缓释)',
    dose: 47.5,
    unit: 'mg',
    frequency: 'qd',
    route: '口服',
  },
  {
    key: 'atorvastatin',
    generic: '阿托伐他汀',
    atc: 'C10AA05',
    spec: '20mg×7片',
    dose: 20,
    unit: 'mg',
    frequency: 'qn',
    route: '口服',
  },
  {
    key: 'rosuvastatin',
    generic: '瑞舒伐他汀',
    atc: 'C10AA07',
    spec: '10mg×7片',
    dose: 10,
    unit: 'mg',
    frequency: 'qn',
    route: '口服',
  },
  {
    key: 'aspirin',
    generic: '阿司匹林',
    atc: 'B01AC06',
    spec: '100mg×30片(肠溶)',
    dose: 100,
    unit: 'mg',
    frequency: 'qd',
    route: '口服',
  },
  {
    key: 'clopidogrel',
    generic: '氯吡格雷',
    atc: 'B01AC04',
    spec: '75mg×7片',
    dose: 75,
    unit: 'mg',
    frequency: 'qd',
    route: '口服',
  },
  {
    key: 'cefuroxime',
    generic: '头孢呋辛',
    atc: 'J01DC02',
    spec: '0.75g/支',
    dose: 1.5,
    unit: 'g',
    frequency: 'bid',
    route: '静脉滴注',
  },
  {
    key: 'levofloxacin',
    generic: '左氧氟沙星',
    atc: 'J01MA12',
    spec: '0.5g/100ml',
    dose: 0.5,
    unit: 'g',
    frequency: 'qd',
    route: '静脉滴注',
  },
  {
    key: 'amoxicillin',
    generic: '阿莫西林',
    atc: 'J01CA04',
    spec: '0.25g×24粒',
    dose: 0.5,
    unit: 'g',
    frequency: 'tid',
    route: '口服',
  },
  {
    key: 'omeprazole',
    generic: '奥美拉唑',
    atc: 'A02BC01',
    spec: '20mg×14粒',
    dose: 20,
    unit: 'mg',
    frequency: 'qd',
    route: '口服',
  },
  {
    key: 'donepezil',
    generic: '多奈哌齐',
    atc: 'N06DA02',
    spec: '5mg×7片',
    dose: 5,
    unit: 'mg',
    frequency: 'qn',
    route: '口服',
  },
  {
    key: 'memantine',
    generic: '美金刚',
    atc: 'N06DX01',
    spec: '10mg×28片',
    dose: 10,
    unit: 'mg',
    frequency: 'bid',
    route: '口服',
  },
  {
    key: 'cisplatin',
    generic: '顺铂',
    atc: 'L01XA01',
    spec: '20mg/支',
    dose: 120,
    unit: 'mg',
    frequency: 'qd',
    route: '静脉滴注',
  },
  {
    key: 'pemetrexed',
    generic: '培美曲塞',
    atc: 'L01BA04',
    spec: '0.5g/支',
    dose: 800,
    unit: 'mg',
    frequency: 'qd',
    route: '静脉滴注',
  },
  {
    key: 'gefitinib',
    generic: '吉非替尼',
    atc: 'L01EB01',
    spec: '250mg×10片',
    dose: 250,
    unit: 'mg',
    frequency: 'qd',
    route: '口服',
  },
  {
    key: 'tiotropium',
    generic: '噻托溴铵',
    atc: 'R03BB04',
    spec: '18μg×10粒',
    dose: 18,
    unit: 'μg',
    frequency: 'qd',
    route: '吸入',
  },
  {
    key: 'budesonideFormoterol',
    generic: '布地奈德福莫特罗',
    atc: 'R03AK07',
    spec: '160μg/4.5μg×60吸',
    dose: 1,
    unit: '吸',
    frequency: 'bid',
    route: '吸入',
  },
  {
    key: 'paracetamol',
    generic: '对乙酰氨基酚',
    atc: 'N02BE01',
    spec: '0.5g×12片',
    dose: 0.5,
    unit: 'g',
    frequency: 'prn',
    route: '口服',
  },
];

/** Drugs by key. */
export const DRUG_BY_KEY: ReadonlyMap<string, Drug> = new Map(DRUGS.map((d) => [d.key, d]));

/** A drug's local code at a hospital (each hospital numbers its formulary differently). */
export function drugLocalCode(hospital: number, drugIndex: number): string {
  switch (hospital) {
    case 0:
      return `Y${String(10_001 + drugIndex * 7).padStart(6, '0')}`;
    case 1:
      return `D${String(2001 + drugIndex * 3)}`;
    default:
      return `MED${String(301 + drugIndex).padStart(4, '0')}`;
  }
}

/** Imaging study types: DICOM modality, body part, SOP class, and the Chinese description. */
export const IMAGING = {
  ctChest: { modality: 'CT', bodyPart: 'CHEST', sopClass: '1.2.840.10008.5.1.4.1.1.2', description: '胸部CT平扫' },
  ctHead: { modality: 'CT', bodyPart: 'HEAD', sopClass: '1.2.840.10008.5.1.4.1.1.2', description: '头颅CT平扫' },
  mrHead: { modality: 'MR', bodyPart: 'HEAD', sopClass: '1.2.840.10008.5.1.4.1.1.4', description: '头颅MRI平扫' },
  dxChest: {
    modality: 'DX',
    bodyPart: 'CHEST',
    sopClass: '1.2.840.10008.5.1.4.1.1.1.1',
    description: '胸部正位片(DR)',
  },
  usAbdomen: { modality: 'US', bodyPart: 'ABDOMEN', sopClass: '1.2.840.10008.5.1.4.1.1.6.1', description: '腹部彩超' },
} as const satisfies Record<string, { modality: string; bodyPart: string; sopClass: string; description: string }>;

/** An imaging study type key. */
export type ImagingKey = keyof typeof IMAGING;

/** Every blood-pressure spelling the generator writes, with where it appears and an example. */
export const BP_SPELLINGS = [
  {
    id: 'a-field-xueya-slash',
    hospital: 'hospital-a',
    where: 'his_vital_sign.csv 项目名称=血压',
    example: '120/80 (单位 mmHg)',
  },
  { id: 'a-field-bp-mmhg', hospital: 'hospital-a', where: 'his_vital_sign.csv 项目名称=BP', example: '120/80mmHg' },
  {
    id: 'a-field-xueyazhi-fullwidth',
    hospital: 'hospital-a',
    where: 'his_vital_sign.csv 项目名称=血压值',
    example: '120／80',
  },
  {
    id: 'a-fields-shousuo-shuzhang',
    hospital: 'hospital-a',
    where: 'his_vital_sign.csv two rows 收缩压 + 舒张压',
    example: '120 | 80',
  },
  { id: 'a-field-sbp-dbp', hospital: 'hospital-a', where: 'his_vital_sign.csv 项目名称=SBP/DBP', example: '120/80' },
  {
    id: 'a-field-kpa',
    hospital: 'hospital-a',
    where: 'his_vital_sign.csv 项目名称=血压, old records',
    example: '16.0/10.7kPa',
  },
  {
    id: 'a-xlsx-gaoya-diya',
    hospital: 'hospital-a',
    where: 'tj_exam.xlsx columns 高压(mmHg) + 低压(mmHg)',
    example: '120 | 80',
  },
  { id: 'a-note-xueya', hospital: 'hospital-a', where: 'emr_document.csv note text', example: '血压：120/80mmHg' },
  {
    id: 'b-obx-loinc-pair',
    hospital: 'hospital-b',
    where: 'oru_vitals.hl7 OBX 8480-6 + 8462-4',
    example: 'OBX|1|NM|8480-6^收缩压^LN||120|mm[Hg]',
  },
  {
    id: 'b-obx-local-text',
    hospital: 'hospital-b',
    where: 'oru_vitals.hl7 OBX XY^血压^L (ST)',
    example: 'OBX|1|ST|XY^血压^L||120/80|mmHg',
  },
  {
    id: 'b-obx-local-pair',
    hospital: 'hospital-b',
    where: 'oru_vitals.hl7 OBX SSY^收缩压^L + SZY^舒张压^L',
    example: 'OBX|1|NM|SSY^收缩压^L||120|mmHg',
  },
  {
    id: 'c-fhir-panel',
    hospital: 'hospital-c',
    where: 'Observation 85354-9 with components 8480-6/8462-4',
    example: 'component[0].valueQuantity 120 mm[Hg]',
  },
  {
    id: 'c-fhir-separate',
    hospital: 'hospital-c',
    where: 'two Observations 8480-6 and 8462-4 (older EMR module)',
    example: 'valueQuantity 120 mm[Hg]',
  },
  {
    id: 'c-fhir-local-text',
    hospital: 'hospital-c',
    where: 'Observation local code XY001 text 血压, valueString',
    example: '120/80 mmHg',
  },
  { id: 'c-note-bp', hospital: 'hospital-c', where: 'DocumentReference note text', example: 'BP 120/80mmHg' },
  {
    id: 'c-note-shousuo-shuzhang',
    hospital: 'hospital-c',
    where: 'DocumentReference note text',
    example: '收缩压120 舒张压80',
  },
] as const;

/** A blood-pressure spelling id. */
export type BpSpellingId = (typeof BP_SPELLINGS)[number]['id'];

/** Departments (科室) by the condition that brings a patient. */
export const DEPARTMENTS = {
  endocrine: '内分泌科',
  cardiology: '心血管内科',
  respiratory: '呼吸内科',
  neurology: '神经内科',
  thoracic: '胸外科',
  oncology: '肿瘤科',
  nephrology: '肾内科',
  gastro: '消化内科',
  orthopedics: '骨科',
  surgery: '普外科',
  emergency: '急诊科',
  general: '全科医学科',
} as const;

/** A department key. */
export type DepartmentKey = keyof typeof DEPARTMENTS;

/** Code system URIs used in the FHIR output (Chinese editions have no HL7-registered URI; these are ours). */
export const CODE_SYSTEMS = {
  icd10cn: 'urn:meridian:codesystem:icd-10-cn-clinical-2.0',
  icd10cnYibao: 'urn:meridian:codesystem:icd-10-cn-yibao-2.0',
  icd9cm3cn: 'urn:meridian:codesystem:icd-9-cm-3-cn-clinical',
  loinc: 'http://loinc.org',
  ucum: 'http://unitsofmeasure.org',
  snomed: 'http://snomed.info/sct',
  localLab: 'urn:meridian:hospital-c:lab',
  localDrug: 'urn:meridian:hospital-c:drug',
  localVital: 'urn:meridian:hospital-c:vital',
  mrn: 'urn:meridian:hospital-c:mrn',
  residentId: 'urn:meridian:sid:cn-resident-id',
  accession: 'urn:meridian:hospital-c:accession',
  atc: 'http://www.whocc.no/atc',
} as const;
