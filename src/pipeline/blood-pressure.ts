/**
 * Blood pressure as hospitals write it in one field: "120/80", "120/80mmHg", "120／80", "BP:120/80",
 * "血压 120/80 mmHg", "12.0/8.0kPa", "收缩压120 舒张压80", "SBP 120 DBP 80". Returns systolic and diastolic
 * in mmHg, or the reason it cannot. Pure.
 */
import { toHalfWidth } from './dates.ts';

/** A parsed reading in mmHg, or the reason it was refused. */
export type BloodPressure = { ok: true; systolic: number; diastolic: number } | { ok: false; reason: string };

const KPA_TO_MMHG = 7.50062;
const PAIR = /(\d{1,3}(?:\.\d+)?)\s*\/\s*(\d{1,3}(?:\.\d+)?)\s*(mmhg|kpa|毫米汞柱|千帕)?/i;
const SPLIT =
  /(?:收缩压|sbp|高压)\s*[:：]?\s*(\d{1,3}(?:\.\d+)?)\s*(mmhg|kpa)?[\s,，;；]*(?:舒张压|dbp|低压)\s*[:：]?\s*(\d{1,3}(?:\.\d+)?)\s*(mmhg|kpa)?/i;

/** Parses one text field holding both pressures. */
export function parseBloodPressure(raw: string): BloodPressure {
  const text = toHalfWidth(raw.normalize('NFKC')).trim();
  if (text === '') return { ok: false, reason: 'empty' };
  const pair = PAIR.exec(text);
  const split = pair ? null : SPLIT.exec(text);
  if (!pair && !split) return { ok: false, reason: `no systolic/diastolic pair in "${text.slice(0, 40)}"` };
  const s = Number(pair ? pair[1] : split?.[1]);
  const d = Number(pair ? pair[2] : split?.[3]);
  const unit = (pair ? pair[3] : (split?.[2] ?? split?.[4]))?.toLowerCase();
  const kpa = unit === 'kpa' || unit === '千帕' || (unit === undefined && s < 40 && d < 30 && /\./.test(text));
  return fromPair(kpa ? s * KPA_TO_MMHG : s, kpa ? d * KPA_TO_MMHG : d);
}

/** Validates a systolic/diastolic pair given in mmHg (two separate fields). */
export function fromPair(systolic: number, diastolic: number): BloodPressure {
  if (!Number.isFinite(systolic) || !Number.isFinite(diastolic)) return { ok: false, reason: 'not a number' };
  if (systolic <= diastolic) return { ok: false, reason: `systolic ${systolic} is not above diastolic ${diastolic}` };
  return { ok: true, systolic: round1(systolic), diastolic: round1(diastolic) };
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}
