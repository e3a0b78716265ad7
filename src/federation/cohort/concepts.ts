/**
 * The standard concepts cohort search knows, with Chinese and English names: the ICD-10 and ICD-9-CM-3 codes of the
 * consortium's data (national clinical edition, with their categories so a search for 糖尿病 offers E11 with its
 * descendants), the LOINC and ATC concepts of src/model/vocabulary.ts, the LOINC codes observations use, and the
 * ATC groups above the drugs. Data, not logic: a consortium extends the lists. A test keeps them in step with the
 * demo generator's catalogue.
 */
import { ATC_CONCEPTS, LOINC_CONCEPTS } from '../../model/vocabulary.ts';

/** The vocabularies cohort criteria are written in. */
export const COHORT_VOCABULARIES = ['ICD-10', 'ICD-9-CM-3', 'LOINC', 'ATC'] as const;
/** A vocabulary cohort criteria are written in. */
export type CohortVocabulary = (typeof COHORT_VOCABULARIES)[number];

/** A known code with its names (and synonyms hospitals use). */
export interface CohortConcept {
  vocabulary: CohortVocabulary;
  code: string;
  zh: string;
  en: string;
  synonyms?: readonly string[];
}

type Row = readonly [code: string, zh: string, en: string, synonyms?: readonly string[]];

function concepts(vocabulary: CohortVocabulary, rows: readonly Row[]): CohortConcept[] {
  return rows.map(([code, zh, en, synonyms]) => ({ vocabulary, code, zh, en, ...(synonyms ? { synonyms } : {}) }));
}

/** ICD-10 categories and the clinical-edition (and 医保版) codes the consortium's data carries. */
export const ICD10_CONCEPTS: readonly CohortConcept[] = concepts('ICD-10', [
  ['E11', '2型糖尿病', 'type 2 diabetes mellitus', ['T2DM', '非胰岛素依赖型糖尿病']],
  ['E11.200', '2型糖尿病伴有肾的并发症', 'type 2 diabetes mellitus with kidney complications', ['糖尿病肾病']],
  [
    'E11.300',
    '2型糖尿病伴有眼的并发症',
    'type 2 diabetes mellitus with ophthalmic complications',
    ['糖尿病视网膜病变'],
  ],
  [
    'E11.400',
    '2型糖尿病伴有神经的并发症',
    'type 2 diabetes mellitus with neurological complications',
    ['糖尿病周围神经病变'],
  ],
  ['E11.900', '2型糖尿病', 'type 2 diabetes mellitus without complications'],
  ['E11.900x001', '2型糖尿病', 'type 2 diabetes mellitus (NHSA edition code)'],
  ['I10', '特发性（原发性）高血压', 'essential (primary) hypertension', ['高血压']],
  ['I10.x00', '原发性高血压', 'essential (primary) hypertension'],
  ['I10.x00x002', '高血压病', 'hypertensive disease (NHSA edition code)'],
  ['E78', '脂蛋白代谢紊乱和其他脂血症', 'disorders of lipoprotein metabolism and other lipidaemias'],
  ['E78.500', '高脂血症', 'hyperlipidaemia', ['血脂异常']],
  ['N18', '慢性肾脏病', 'chronic kidney disease', ['CKD']],
  ['N18.900', '慢性肾脏病', 'chronic kidney disease, unspecified'],
  ['J44', '其他慢性阻塞性肺病', 'other chronic obstructive pulmonary disease', ['COPD', '慢阻肺']],
  ['J44.900', '慢性阻塞性肺疾病', 'chronic obstructive pulmonary disease, unspecified'],
  ['I25', '慢性缺血性心脏病', 'chronic ischaemic heart disease'],
  ['I25.100', '动脉粥样硬化性心脏病', 'atherosclerotic heart disease', ['冠心病', 'CHD']],
  ['I63', '脑梗死', 'cerebral infarction', ['缺血性卒中', 'stroke']],
  ['I63.900', '脑梗死', 'cerebral infarction, unspecified'],
  ['G30', '阿尔茨海默病', "Alzheimer's disease", ['AD', '老年痴呆']],
  ['G30.900', '阿尔茨海默病', "Alzheimer's disease, unspecified"],
  ['F03', '未特指的痴呆', 'unspecified dementia'],
  ['F03.x00', '痴呆', 'dementia'],
  ['C34', '支气管和肺恶性肿瘤', 'malignant neoplasm of bronchus and lung', ['肺癌', 'lung cancer']],
  ['C34.900', '肺恶性肿瘤', 'malignant neoplasm of lung, unspecified'],
  ['Z51', '其他医疗照顾', 'other medical care'],
  ['Z51.100', '为肿瘤化学治疗疗程', 'chemotherapy session for neoplasm', ['化疗']],
  ['J06', '多发和未特指部位的急性上呼吸道感染', 'acute upper respiratory infections of multiple and unspecified sites'],
  ['J06.900', '急性上呼吸道感染', 'acute upper respiratory infection, unspecified', ['上感', 'URTI']],
  ['J18', '肺炎，病原体未特指', 'pneumonia, organism unspecified'],
  ['J18.900', '肺炎', 'pneumonia, unspecified'],
  ['J18.900x002', '社区获得性肺炎', 'community-acquired pneumonia (NHSA edition code)', ['CAP']],
  ['K29', '胃炎和十二指肠炎', 'gastritis and duodenitis'],
  ['K29.700', '胃炎', 'gastritis, unspecified'],
  ['S72', '股骨骨折', 'fracture of femur'],
  ['S72.000', '股骨颈骨折', 'fracture of neck of femur', ['髋部骨折', 'hip fracture']],
  ['K80', '胆石症', 'cholelithiasis'],
  ['K80.200', '胆囊结石', 'calculus of gallbladder without cholecystitis', ['胆结石']],
  ['K35', '急性阑尾炎', 'acute appendicitis'],
  ['K35.800', '急性阑尾炎', 'acute appendicitis, other and unspecified'],
]);

/** ICD-9-CM-3 subcategories and the clinical-edition codes the consortium's data carries. */
export const ICD9CM3_CONCEPTS: readonly CohortConcept[] = concepts('ICD-9-CM-3', [
  ['36.06', '非药物洗脱冠状动脉支架置入', 'insertion of non-drug-eluting coronary artery stent(s)', ['PCI']],
  ['36.0601', '经皮冠状动脉非药物洗脱支架置入术', 'percutaneous insertion of non-drug-eluting coronary stent'],
  ['36.07', '药物洗脱冠状动脉支架置入', 'insertion of drug-eluting coronary artery stent(s)', ['PCI']],
  ['36.0700', '经皮冠状动脉药物洗脱支架置入术', 'percutaneous insertion of drug-eluting coronary stent'],
  ['81.51', '全髋关节置换', 'total hip replacement'],
  ['81.5101', '全髋关节置换术', 'total hip replacement'],
  ['81.54', '全膝关节置换', 'total knee replacement'],
  ['81.5401', '全膝关节置换术', 'total knee replacement'],
  ['32.41', '胸腔镜下肺叶切除术', 'thoracoscopic lobectomy of lung'],
  ['32.4101', '胸腔镜下肺叶切除术', 'thoracoscopic lobectomy of lung (VATS)'],
  ['33.24', '闭合性［内镜的］支气管活组织检查', 'closed [endoscopic] biopsy of bronchus'],
  ['33.2400', '支气管镜下支气管活组织检查', 'bronchoscopic biopsy of bronchus'],
  ['99.25', '注射或输注癌瘤化学治疗药物', 'injection or infusion of cancer chemotherapeutic substance', ['化疗']],
  ['99.2501', '抗肿瘤化学药物注射', 'injection of antineoplastic chemotherapy'],
  ['39.95', '血液透析', 'hemodialysis'],
  ['39.9500', '血液透析', 'hemodialysis', ['透析']],
  ['51.23', '腹腔镜下胆囊切除术', 'laparoscopic cholecystectomy'],
  ['51.2300', '腹腔镜下胆囊切除术', 'laparoscopic cholecystectomy', ['LC']],
  ['47.01', '腹腔镜下阑尾切除术', 'laparoscopic appendectomy'],
  ['47.0100', '腹腔镜下阑尾切除术', 'laparoscopic appendectomy'],
  ['45.23', '结肠镜检查', 'colonoscopy'],
  ['45.2300', '结肠镜检查', 'colonoscopy', ['肠镜']],
  ['44.13', '其他胃镜检查', 'other gastroscopy'],
  ['44.1300', '胃镜检查', 'gastroscopy'],
  ['96.04', '气管内插管', 'insertion of endotracheal tube'],
  ['96.0400', '气管插管', 'endotracheal intubation'],
]);

/** LOINC codes of observations (not measurements) the consortium's data carries. */
export const OBSERVATION_LOINC_CONCEPTS: readonly CohortConcept[] = concepts('LOINC', [
  ['72166-2', '吸烟状况', 'tobacco smoking status', ['吸烟', 'smoking']],
  ['72107-6', '简易精神状态检查总分', 'Mini-Mental State Examination total score', ['MMSE']],
]);

/** ATC groups above the consortium's drugs, so a search can offer a class with its descendants. */
export const ATC_GROUP_CONCEPTS: readonly CohortConcept[] = concepts('ATC', [
  ['A10', '糖尿病用药', 'drugs used in diabetes', ['降糖药']],
  ['A10A', '胰岛素及其类似物', 'insulins and analogues', ['胰岛素']],
  ['A10B', '降血糖药（胰岛素除外）', 'blood glucose lowering drugs, excl. insulins', ['口服降糖药']],
  ['A02BC', '质子泵抑制剂', 'proton pump inhibitors', ['PPI']],
  ['B01AC', '血小板聚集抑制剂（肝素除外）', 'platelet aggregation inhibitors excl. heparin', ['抗血小板药']],
  ['C07', 'β受体阻滞剂', 'beta blocking agents'],
  ['C08', '钙通道阻滞剂', 'calcium channel blockers', ['CCB']],
  ['C09', '作用于肾素-血管紧张素系统的药物', 'agents acting on the renin-angiotensin system', ['ARB', 'ACEI']],
  ['C10', '调节血脂药', 'lipid modifying agents', ['调脂药']],
  ['C10AA', 'HMG CoA还原酶抑制剂', 'HMG CoA reductase inhibitors', ['他汀', 'statins']],
  ['J01', '全身用抗菌药', 'antibacterials for systemic use', ['抗生素']],
  ['L01', '抗肿瘤药', 'antineoplastic agents', ['化疗药']],
  ['N06D', '抗痴呆药', 'anti-dementia drugs'],
  ['R03', '用于阻塞性气道疾病的药物', 'drugs for obstructive airway diseases'],
]);

/** Every concept cohort search knows, by vocabulary. */
export const COHORT_CONCEPTS: Readonly<Record<CohortVocabulary, readonly CohortConcept[]>> = {
  'ICD-10': ICD10_CONCEPTS,
  'ICD-9-CM-3': ICD9CM3_CONCEPTS,
  LOINC: [...LOINC_CONCEPTS, ...OBSERVATION_LOINC_CONCEPTS],
  ATC: [...ATC_GROUP_CONCEPTS, ...ATC_CONCEPTS],
};
