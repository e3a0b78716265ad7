/**
 * Who exists: the unique persons of the consortium, which hospitals each person attends (about 10% attend
 * two or more), their local slot at each hospital, and each person's identity and clinical truth (conditions,
 * baseline values, the planted diabetic-complication and lung-cancer survival outcomes). A person is a pure
 * function of (seed, person index), so a person seen at three hospitals is the same person three times.
 */
import assert from 'node:assert/strict';
import { COMPLICATION_KEYS, type DiagnosisKey } from './catalog.ts';
import { addYears, ageYears } from './dates.ts';
import { makeIdNumber } from './id-number.ts';
import { drawHanName, drawMinorityName, type PersonName } from './names.ts';
import { Rng, type RootSeed, STREAM, weightedTable } from './prng.ts';
import {
  type Address,
  drawAddress,
  drawPhone,
  drawRegionIndex,
  REGIONS,
  type Region,
  XINJIANG_REGIONS,
} from './regions.ts';

/** Share of shared persons who attend all three hospitals (the rest attend exactly two). */
const TRIPLE_SHARE = 0.2;
/** Share of persons with a Uyghur-style name. */
const MINORITY_SHARE = 0.012;
/** Longest sequence-number search when two persons would get the same ID number. */
const ID_RETRY_MAX = 500;

/** The planted logistic model of diabetic complications (any of E11.2/E11.3/E11.4). */
export const COMPLICATION_MODEL = {
  intercept: -9.0,
  coefficients: { hba1cPercent: 0.45, ageYears: 0.04, bmiKgM2: 0.08 },
} as const;

/** The planted survival model of lung cancer (exponential hazard, time in days since first C34 diagnosis). */
export const SURVIVAL_MODEL = {
  baselineHazardPerYear: 0.25,
  hazardRatios: { everSmoker: 2.0, per10YearsOfAgeOver60: 1.3 },
  lossToFollowUpPerYear: 0.1,
  minimumFollowUpDays: 90,
} as const;

/** The fixed plan of the consortium's population. */
export interface PopulationPlan {
  hospitals: number;
  patients: number;
  uniquePersons: number;
  sharedPersons: number;
  /** Per hospital: local slot → person index. */
  slots: Int32Array[];
  /** Per hospital: person index → local slot, or -1. */
  slotOf: Int32Array[];
  /** Person index → bit mask of the hospitals the person attends. */
  memberMask: Uint8Array;
  /** Person index → home hospital (where the person's analysis truth is recorded). */
  home: Uint8Array;
  /** Person index → ID sequence number (unique ID numbers guaranteed). */
  idSequence: Uint16Array;
}

/** Options the population depends on. */
export interface PopulationOptions {
  root: RootSeed;
  hospitals: number;
  patients: number;
  overlapRate: number;
  startDay: number;
  endDay: number;
}

/** Splits the persons into groups and assigns every hospital's local slots. */
export function planPopulation(opts: PopulationOptions): PopulationPlan {
  const { hospitals: k, patients: n, overlapRate: r } = opts;
  const rng = Rng.stream(opts.root, STREAM.population);
  // Group sizes: masks of the hospitals shared persons attend.
  const groups: { mask: number; count: number }[] = [];
  if (k === 2) {
    const shared = Math.min(n, Math.round((r * 2 * n) / (1 + r)));
    groups.push({ mask: 0b11, count: shared });
  } else if (k === 3) {
    const u = (3 * n) / (1 + (1 + TRIPLE_SHARE) * r);
    let shared = Math.round(r * u);
    let triple = Math.round(TRIPLE_SHARE * shared);
    // Never more shared slots than a hospital has.
    while (triple + Math.ceil((shared - triple) * (2 / 3)) > n && shared > 0) {
      shared--;
      triple = Math.round(TRIPLE_SHARE * shared);
    }
    const pairs = shared - triple;
    const base = Math.floor(pairs / 3);
    const rest = pairs - base * 3;
    groups.push({ mask: 0b111, count: triple });
    groups.push({ mask: 0b011, count: base + (rest > 0 ? 1 : 0) });
    groups.push({ mask: 0b101, count: base + (rest > 1 ? 1 : 0) });
    groups.push({ mask: 0b110, count: base });
  }
  const sharedPersons = groups.reduce((s, g) => s + g.count, 0);
  const sharedSlots = new Array<number>(k).fill(0);
  for (const g of groups)
    for (let h = 0; h < k; h++) if (g.mask & (1 << h)) sharedSlots[h] = (sharedSlots[h] as number) + g.count;
  const uniquePersons = sharedPersons + sharedSlots.reduce((s, c) => s + (n - c), 0);

  const memberMask = new Uint8Array(uniquePersons);
  const home = new Uint8Array(uniquePersons);
  // Shared persons first (group by group), then each hospital's own persons; numbering is then shuffled.
  let p = 0;
  for (const g of groups) for (let i = 0; i < g.count; i++) memberMask[p++] = g.mask;
  for (let h = 0; h < k; h++) for (let i = 0; i < n - (sharedSlots[h] as number); i++) memberMask[p++] = 1 << h;
  assert(p === uniquePersons, 'population plan covers every person');
  const order = rng.shuffle(Int32Array.from({ length: uniquePersons }, (_, i) => i));
  const shuffledMask = new Uint8Array(uniquePersons);
  for (let i = 0; i < uniquePersons; i++) shuffledMask[i] = memberMask[order[i] as number] as number;

  const slots: Int32Array[] = [];
  const slotOf: Int32Array[] = [];
  for (let h = 0; h < k; h++) {
    const members = new Int32Array(n);
    let m = 0;
    for (let q = 0; q < uniquePersons; q++) if ((shuffledMask[q] as number) & (1 << h)) members[m++] = q;
    assert(m === n, `hospital ${h} has exactly ${n} slots`);
    rng.shuffle(members);
    const inverse = new Int32Array(uniquePersons).fill(-1);
    members.forEach((q, slot) => {
      inverse[q] = slot;
    });
    slots.push(members);
    slotOf.push(inverse);
  }
  for (let q = 0; q < uniquePersons; q++) {
    const mask = shuffledMask[q] as number;
    const hs = [0, 1, 2].filter((h) => mask & (1 << h));
    home[q] = hs.length === 1 ? (hs[0] as number) : rng.pick(hs);
  }
  const plan: PopulationPlan = {
    hospitals: k,
    patients: n,
    uniquePersons,
    sharedPersons,
    slots,
    slotOf,
    memberMask: shuffledMask,
    home,
    idSequence: new Uint16Array(uniquePersons),
  };
  assignIdSequences(plan, opts);
  return plan;
}

/** The identity basics every ID number is built from. */
interface IdentityBasics {
  sex: 'M' | 'F';
  birthDay: number;
  regionIndex: number;
  minority: boolean;
  sequence: number;
}

function drawIdentityBasics(opts: PopulationOptions, person: number, home: number): IdentityBasics {
  const rng = Rng.stream(opts.root, STREAM.identity, person);
  const sex = rng.chance(0.5) ? 'M' : 'F';
  const ageAtStart = Math.floor(rng.chance(0.2) ? rng.int(18, 44) : rng.normalClipped(62, 13, 30, 95));
  const birthDay = addYears(opts.startDay, -ageAtStart) - rng.int(0, 364);
  const minority = rng.chance(MINORITY_SHARE);
  const regionIndex = minority ? rng.pick(XINJIANG_REGIONS) : drawRegionIndex(rng, home);
  const base = rng.int(0, 499) * 2; // even 0..998
  const sequence = sex === 'M' ? base + 1 : base === 0 ? 2 : base;
  return { sex, birthDay, regionIndex, minority, sequence };
}

function assignIdSequences(plan: PopulationPlan, opts: PopulationOptions): void {
  const issued = new Set<number>();
  for (let q = 0; q < plan.uniquePersons; q++) {
    const b = drawIdentityBasics(opts, q, plan.home[q] as number);
    let seq = b.sequence;
    const key = (s: number): number => (b.regionIndex * 100_000 + (b.birthDay + 50_000)) * 1000 + s;
    let tries = 0;
    while (issued.has(key(seq))) {
      seq = (seq + 2) % 1000;
      if (seq === 0) seq = 2;
      tries++;
      assert(tries < ID_RETRY_MAX, 'an ID sequence number is free');
    }
    issued.add(key(seq));
    plan.idSequence[q] = seq;
  }
}

/** Smoking history as the notes tell it. */
export interface Smoking {
  status: 'never' | 'current' | 'former';
  years: number;
  cigarettesPerDay: number;
  quitYears: number;
}

/** The diabetic-complication truth of one diabetic person (recorded at the home hospital). */
export interface DiabetesTruth {
  indexDay: number;
  ageAtIndex: number;
  hba1c: number;
  probability: number;
  complication: DiagnosisKey | null;
  complicationDay: number;
}

/** The lung-cancer survival truth of one person (recorded at the home hospital). */
export interface LungCancerTruth {
  dxDay: number;
  ageAtDx: number;
  everSmoker: boolean;
  deathDay: number | null;
  lastFollowUpDay: number;
  timeDays: number;
  event: boolean;
}

/** One person: identity, clinical state and planted outcomes. */
export interface Person {
  index: number;
  home: number;
  memberMask: number;
  sex: 'M' | 'F';
  birthDay: number;
  birthRegion: Region;
  idNumber: string;
  name: PersonName;
  phone: string;
  address: Address;
  smoking: Smoking;
  heightCm: number;
  weightKg: number;
  bmi: number;
  apoe: string;
  diabetes: boolean;
  hypertension: boolean;
  hyperlipidemia: boolean;
  ckd: boolean;
  copd: boolean;
  chd: boolean;
  stroke: boolean;
  dementia: boolean;
  mmse: number | null;
  /** Baselines in canonical units. */
  base: {
    glucose: number;
    hba1c: number;
    creatinine: number;
    cholesterol: number;
    triglyceride: number;
    alt: number;
    hemoglobin: number;
    wbc: number;
    potassium: number;
    crp: number;
    sbp: number;
    dbp: number;
  };
  /** Visits happen inside [firstDay, lastDay]. */
  firstDay: number;
  lastDay: number;
  deathDay: number | null;
  diabetesTruth: DiabetesTruth | null;
  lungCancer: LungCancerTruth | null;
}

function logistic(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

const APOE = weightedTable([
  ['ε3/ε3', 60],
  ['ε3/ε4', 21],
  ['ε2/ε3', 11],
  ['ε4/ε4', 2],
  ['ε2/ε4', 3],
  ['ε2/ε2', 1],
] as const);

/** Generates person `index` (pure: the same seed and index always give the same person). */
export function makePerson(plan: PopulationPlan, opts: PopulationOptions, index: number): Person {
  const home = plan.home[index] as number;
  const basics = drawIdentityBasics(opts, index, home);
  const rng = Rng.stream(opts.root, STREAM.person, index);
  const { sex, birthDay } = basics;
  const birthRegion = REGIONS[basics.regionIndex] as Region;
  const idNumber = makeIdNumber(birthRegion.code, birthDay, plan.idSequence[index] as number);
  const name = basics.minority ? drawMinorityName(rng, sex) : drawHanName(rng, sex);
  const phone = drawPhone(rng);
  const livesAtBirthplace = rng.chance(0.55);
  const addressRegion = livesAtBirthplace ? birthRegion : (REGIONS[drawRegionIndex(rng, home)] as Region);
  const address = drawAddress(rng, addressRegion);
  const ageAtEnd = ageYears(birthDay, opts.endDay);

  const smokeRoll = rng.float();
  const smokeCurrent = sex === 'M' ? 0.42 : 0.03;
  const smokeFormer = sex === 'M' ? 0.15 : 0.02;
  const status: Smoking['status'] =
    smokeRoll < smokeCurrent ? 'current' : smokeRoll < smokeCurrent + smokeFormer ? 'former' : 'never';
  const maxYears = Math.max(1, ageAtEnd - 16);
  const smoking: Smoking = {
    status,
    years: status === 'never' ? 0 : Math.min(maxYears, rng.int(5, 45)),
    cigarettesPerDay: status === 'never' ? 0 : rng.pick([5, 10, 10, 20, 20, 20, 30, 40]),
    quitYears: status === 'former' ? rng.int(1, 20) : 0,
  };

  const heightCm = Math.round(
    sex === 'M' ? rng.normalClipped(170, 6, 150, 192) : rng.normalClipped(158, 5.5, 140, 180),
  );
  const bmiTarget = rng.normalClipped(24.2, 3.4, 16, 42);
  const hm = heightCm / 100;
  const weightKg = round1(bmiTarget * hm * hm);
  const bmi = round1(weightKg / (hm * hm));

  const apoe: string = rng.weighted(APOE);
  const e4 = (apoe.match(/ε4/g) ?? []).length;
  const ever = status !== 'never';
  const diabetes = rng.chance(logistic(-5.0 + 0.05 * ageAtEnd + 0.15 * (bmi - 24)));
  const hypertension = rng.chance(logistic(-5.3 + 0.07 * ageAtEnd + 0.1 * (bmi - 24)));
  const hyperlipidemia = rng.chance(0.08 + (diabetes ? 0.15 : 0) + (bmi > 28 ? 0.08 : 0));
  const ckd = rng.chance(diabetes ? 0.18 : ageAtEnd > 50 ? 0.04 : 0.01);
  const copd = rng.chance(ever && ageAtEnd > 45 ? 0.12 : 0.02);
  const chd = rng.chance(logistic(-7 + 0.07 * ageAtEnd + (ever ? 0.5 : 0) + (diabetes ? 0.5 : 0)));
  const stroke = rng.chance(logistic(-8 + 0.07 * ageAtEnd + (hypertension ? 0.7 : 0)));
  const dementia = ageAtEnd >= 60 && rng.chance(logistic(-10.5 + 0.1 * ageAtEnd + 1.1 * e4));
  const mmse = dementia ? rng.int(9, 23) : ageAtEnd >= 65 ? rng.int(24, 30) : null;

  const hba1cTrue = diabetes
    ? round1(rng.normalClipped(7.9, 1.4, 5.8, 14.5))
    : round1(rng.normalClipped(5.4, 0.35, 4.2, 6.3));
  const glucose = diabetes ? Math.max(5.5, 1.59 * hba1cTrue - 2.59) : rng.normalClipped(5.0, 0.45, 3.8, 6.0);
  const base = {
    glucose,
    hba1c: hba1cTrue,
    creatinine:
      (sex === 'M' ? rng.normalClipped(80, 12, 50, 115) : rng.normalClipped(62, 10, 40, 90)) *
      (ckd ? rng.int(15, 45) / 10 : 1),
    cholesterol: rng.normalClipped(4.7, 0.7, 2.8, 6.5) + (hyperlipidemia ? 1.4 : 0),
    triglyceride: Math.exp(rng.normal(Math.log(1.3), 0.35)) * (hyperlipidemia ? 1.8 : 1),
    alt: Math.exp(rng.normal(Math.log(22), 0.35)),
    hemoglobin: sex === 'M' ? rng.normalClipped(145, 11, 110, 175) : rng.normalClipped(128, 10, 95, 155),
    wbc: rng.normalClipped(6.4, 1.4, 3.6, 9.8),
    potassium: rng.normalClipped(4.2, 0.3, 3.5, 5.1),
    crp: Math.exp(rng.normal(Math.log(2), 0.6)),
    sbp: Math.round(rng.normalClipped(100 + 0.5 * ageAtEnd + (hypertension ? 18 : 0), 9, 92, 195)),
    dbp: 0,
  };
  base.dbp = Math.round(Math.min(base.sbp - 25, rng.normalClipped(0.5 * base.sbp + 12, 6, 55, 118)));

  const startDay = Math.max(opts.startDay, birthDay);
  // Lung cancer and its survival (drawn before diabetes because a death ends every later visit).
  let lungCancer: LungCancerTruth | null = null;
  const ageAtStart = ageYears(birthDay, opts.startDay);
  const cancerRisk = ageAtStart < 40 ? 0.003 : status === 'current' ? 0.075 : status === 'former' ? 0.045 : 0.02;
  const span = opts.endDay - startDay;
  if (span > SURVIVAL_MODEL.minimumFollowUpDays + 30 && rng.chance(cancerRisk)) {
    const dxDay = startDay + rng.int(0, span - SURVIVAL_MODEL.minimumFollowUpDays);
    const ageAtDx = ageYears(birthDay, dxDay);
    const hazard =
      SURVIVAL_MODEL.baselineHazardPerYear *
      (ever ? SURVIVAL_MODEL.hazardRatios.everSmoker : 1) *
      SURVIVAL_MODEL.hazardRatios.per10YearsOfAgeOver60 ** ((ageAtDx - 60) / 10);
    const deathAfter = Math.max(1, Math.round(rng.exponential(hazard) * 365.25));
    const lossAfter =
      SURVIVAL_MODEL.minimumFollowUpDays + Math.round(rng.exponential(SURVIVAL_MODEL.lossToFollowUpPerYear) * 365.25);
    const lastFollowUpDay = Math.min(opts.endDay, dxDay + lossAfter);
    const dies = dxDay + deathAfter <= lastFollowUpDay;
    lungCancer = {
      dxDay,
      ageAtDx,
      everSmoker: ever,
      deathDay: dies ? dxDay + deathAfter : null,
      lastFollowUpDay,
      timeDays: dies ? deathAfter : lastFollowUpDay - dxDay,
      event: dies,
    };
  }
  const deathDay = lungCancer?.deathDay ?? null;
  const lastDay = deathDay ?? opts.endDay;

  let diabetesTruth: DiabetesTruth | null = null;
  if (diabetes) {
    const latest = lungCancer ? Math.min(lastDay, lungCancer.lastFollowUpDay) - 1 : lastDay - 60;
    const indexDay = latest <= startDay ? startDay : startDay + rng.int(0, latest - startDay);
    const ageAtIndex = ageYears(birthDay, indexDay);
    const { intercept, coefficients: c } = COMPLICATION_MODEL;
    const probability = logistic(intercept + c.hba1cPercent * hba1cTrue + c.ageYears * ageAtIndex + c.bmiKgM2 * bmi);
    const has = rng.chance(probability);
    const complication = has ? rng.pick(COMPLICATION_KEYS) : null;
    const room = (lungCancer ? Math.min(lastDay, lungCancer.lastFollowUpDay) - 1 : lastDay) - indexDay;
    const complicationDay = indexDay + (room <= 1 ? 0 : rng.int(Math.min(30, room), room));
    diabetesTruth = { indexDay, ageAtIndex, hba1c: hba1cTrue, probability, complication, complicationDay };
  }
  return {
    index,
    home,
    memberMask: plan.memberMask[index] as number,
    sex,
    birthDay,
    birthRegion,
    idNumber,
    name,
    phone,
    address,
    smoking,
    heightCm,
    weightKg,
    bmi,
    apoe,
    diabetes,
    hypertension,
    hyperlipidemia,
    ckd,
    copd,
    chd,
    stroke,
    dementia,
    mmse,
    base,
    firstDay: startDay,
    lastDay,
    deathDay,
    diabetesTruth,
    lungCancer,
  };
}
