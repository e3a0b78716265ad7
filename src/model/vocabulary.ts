/**
 * The standard concepts Meridian suggests when a steward maps local codes: consortium LOINC codes for labs and
 * vital signs, and ATC codes of common drugs, each with its Chinese and English name (and synonyms hospitals
 * use). Suggestions rank these by name similarity (character bigrams, so Chinese names work without word
 * segmentation). The list is data: a consortium can extend it.
 */
import { toHalfWidth } from '../pipeline/dates.ts';

/** A standard concept: its vocabulary, code, names and synonyms. */
export interface Concept {
  vocabulary: 'LOINC' | 'ATC';
  code: string;
  zh: string;
  en: string;
  synonyms?: readonly string[];
}

/** LOINC codes of the labs and vital signs the consortium model uses (values in the unit of units.ts). */
export const LOINC_CONCEPTS: readonly Concept[] = [
  {
    vocabulary: 'LOINC',
    code: '14749-6',
    zh: '葡萄糖',
    en: 'glucose [moles/volume] in serum or plasma',
    synonyms: ['血糖', '空腹血糖', 'GLU', 'FBG'],
  },
  {
    vocabulary: 'LOINC',
    code: '4548-4',
    zh: '糖化血红蛋白',
    en: 'hemoglobin A1c',
    synonyms: ['HbA1c', '糖化血红蛋白A1c'],
  },
  {
    vocabulary: 'LOINC',
    code: '14682-9',
    zh: '肌酐',
    en: 'creatinine [moles/volume] in serum or plasma',
    synonyms: ['血肌酐', 'CREA', 'Cr'],
  },
  {
    vocabulary: 'LOINC',
    code: '14647-2',
    zh: '总胆固醇',
    en: 'cholesterol [moles/volume] in serum or plasma',
    synonyms: ['TC', '胆固醇'],
  },
  {
    vocabulary: 'LOINC',
    code: '14927-8',
    zh: '甘油三酯',
    en: 'triglyceride [moles/volume] in serum or plasma',
    synonyms: ['TG'],
  },
  {
    vocabulary: 'LOINC',
    code: '1742-6',
    zh: '丙氨酸氨基转移酶',
    en: 'alanine aminotransferase',
    synonyms: ['ALT', '谷丙转氨酶'],
  },
  {
    vocabulary: 'LOINC',
    code: '718-7',
    zh: '血红蛋白',
    en: 'hemoglobin [mass/volume] in blood',
    synonyms: ['HGB', 'Hb'],
  },
  {
    vocabulary: 'LOINC',
    code: '6690-2',
    zh: '白细胞计数',
    en: 'leukocytes [#/volume] in blood',
    synonyms: ['WBC', '白细胞'],
  },
  {
    vocabulary: 'LOINC',
    code: '2823-3',
    zh: '钾',
    en: 'potassium [moles/volume] in serum or plasma',
    synonyms: ['K', '血钾'],
  },
  { vocabulary: 'LOINC', code: '1988-5', zh: 'C反应蛋白', en: 'C reactive protein', synonyms: ['CRP'] },
  { vocabulary: 'LOINC', code: '8480-6', zh: '收缩压', en: 'systolic blood pressure', synonyms: ['SBP', '高压'] },
  { vocabulary: 'LOINC', code: '8462-4', zh: '舒张压', en: 'diastolic blood pressure', synonyms: ['DBP', '低压'] },
  { vocabulary: 'LOINC', code: '29463-7', zh: '体重', en: 'body weight', synonyms: ['weight'] },
  { vocabulary: 'LOINC', code: '8302-2', zh: '身高', en: 'body height', synonyms: ['height'] },
  { vocabulary: 'LOINC', code: '39156-5', zh: '体质指数', en: 'body mass index', synonyms: ['BMI', '体重指数'] },
  { vocabulary: 'LOINC', code: '8867-4', zh: '心率', en: 'heart rate', synonyms: ['脉搏', 'HR'] },
];

/** ATC codes of drugs common in Chinese hospitals. */
export const ATC_CONCEPTS: readonly Concept[] = [
  { vocabulary: 'ATC', code: 'A10BA02', zh: '二甲双胍', en: 'metformin' },
  { vocabulary: 'ATC', code: 'A10BB12', zh: '格列美脲', en: 'glimepiride' },
  { vocabulary: 'ATC', code: 'A10BF01', zh: '阿卡波糖', en: 'acarbose' },
  { vocabulary: 'ATC', code: 'A10AE04', zh: '甘精胰岛素', en: 'glargine' },
  { vocabulary: 'ATC', code: 'C08CA01', zh: '氨氯地平', en: 'amlodipine' },
  { vocabulary: 'ATC', code: 'C08CA05', zh: '硝苯地平', en: 'nifedipine' },
  { vocabulary: 'ATC', code: 'C09CA03', zh: '缬沙坦', en: 'valsartan' },
  { vocabulary: 'ATC', code: 'C07AB02', zh: '美托洛尔', en: 'metoprolol' },
  { vocabulary: 'ATC', code: 'C10AA05', zh: '阿托伐他汀', en: 'atorvastatin' },
  { vocabulary: 'ATC', code: 'C10AA07', zh: '瑞舒伐他汀', en: 'rosuvastatin' },
  { vocabulary: 'ATC', code: 'B01AC06', zh: '阿司匹林', en: 'aspirin' },
  { vocabulary: 'ATC', code: 'B01AC04', zh: '氯吡格雷', en: 'clopidogrel' },
  { vocabulary: 'ATC', code: 'J01DC02', zh: '头孢呋辛', en: 'cefuroxime' },
  { vocabulary: 'ATC', code: 'J01MA12', zh: '左氧氟沙星', en: 'levofloxacin' },
  { vocabulary: 'ATC', code: 'J01CA04', zh: '阿莫西林', en: 'amoxicillin' },
  { vocabulary: 'ATC', code: 'A02BC01', zh: '奥美拉唑', en: 'omeprazole' },
  { vocabulary: 'ATC', code: 'N06DA02', zh: '多奈哌齐', en: 'donepezil' },
  { vocabulary: 'ATC', code: 'N06DX01', zh: '美金刚', en: 'memantine' },
  { vocabulary: 'ATC', code: 'L01XA01', zh: '顺铂', en: 'cisplatin' },
  { vocabulary: 'ATC', code: 'L01BA04', zh: '培美曲塞', en: 'pemetrexed' },
  { vocabulary: 'ATC', code: 'L01EB01', zh: '吉非替尼', en: 'gefitinib' },
  { vocabulary: 'ATC', code: 'R03BB04', zh: '噻托溴铵', en: 'tiotropium' },
  { vocabulary: 'ATC', code: 'R03AK07', zh: '布地奈德福莫特罗', en: 'budesonide formoterol' },
  { vocabulary: 'ATC', code: 'N02BE01', zh: '对乙酰氨基酚', en: 'paracetamol' },
];

/** Every concept, by vocabulary. */
export const CONCEPTS: Readonly<Record<Concept['vocabulary'], readonly Concept[]>> = {
  LOINC: LOINC_CONCEPTS,
  ATC: ATC_CONCEPTS,
};

/** A suggested standard code for a local one, with a similarity score in [0, 1]. */
export interface Suggestion {
  vocabulary: Concept['vocabulary'];
  code: string;
  name: string;
  score: number;
}

function bigrams(text: string): Map<string, number> {
  const s = toHalfWidth(text.normalize('NFKC'))
    .toLowerCase()
    .replace(/[\s\p{P}\p{S}]+/gu, '');
  const out = new Map<string, number>();
  if (s.length === 1) out.set(s, 1);
  for (let i = 0; i + 1 < s.length; i++) {
    const g = s.slice(i, i + 2);
    out.set(g, (out.get(g) ?? 0) + 1);
  }
  return out;
}

/** Sørensen–Dice similarity of two names over character bigrams (1: the same letters in the same pairs). */
export function nameSimilarity(a: string, b: string): number {
  const x = bigrams(a);
  const y = bigrams(b);
  let shared = 0;
  let total = 0;
  for (const [g, n] of x) {
    shared += Math.min(n, y.get(g) ?? 0);
    total += n;
  }
  for (const n of y.values()) total += n;
  return total === 0 ? 0 : (2 * shared) / total;
}

/** The best standard codes for a local code and name, best first (at most `limit`, score at least 0.3). */
export function suggestCodes(
  local: { code: string; name?: string },
  concepts: readonly Concept[] = [...LOINC_CONCEPTS, ...ATC_CONCEPTS],
  limit = 3,
): Suggestion[] {
  const scored = concepts.map((c) => {
    const names = [c.zh, c.en, ...(c.synonyms ?? [])];
    let score = 0;
    for (const n of names) {
      if (local.name) score = Math.max(score, nameSimilarity(local.name, n));
      score = Math.max(score, nameSimilarity(local.code, n) * 0.9);
    }
    if (local.code.toUpperCase() === c.code.toUpperCase()) score = 1;
    return { vocabulary: c.vocabulary, code: c.code, name: c.zh, score: Math.round(score * 1000) / 1000 };
  });
  return scored
    .filter((s) => s.score >= 0.3)
    .sort((a, b) => b.score - a.score || (a.code < b.code ? -1 : 1))
    .slice(0, limit);
}
