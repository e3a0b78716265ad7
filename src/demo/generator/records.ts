/**
 * What happened to one person at one hospital, independent of how the hospital writes it down: visits
 * (门诊/急诊/住院) with diagnoses, lab orders (canonical units), vital signs, drug orders, procedures, imaging
 * studies and notes. The home hospital also records the person's planted outcomes (the diabetes index visit
 * with its HbA1c and BMI, complication visits, the lung-cancer course and death); those parts are marked
 * `protected` so the dirt planted later never touches them.
 */
import {
  type DepartmentKey,
  type DiagnosisKey,
  DRUG_BY_KEY,
  DRUGS,
  type Drug,
  type ImagingKey,
  LAB_PANELS,
  type LabKey,
  type PanelKey,
  type ProcedureKey,
} from './catalog.ts';
import type { Person } from './population.ts';
import { Rng, type RootSeed, STREAM } from './prng.ts';

/** The three visit types of Chinese hospitals. */
export type VisitType = 'outpatient' | 'emergency' | 'inpatient';

/** One lab result in canonical units. */
export interface LabResult {
  key: LabKey;
  value: number;
  protected: boolean;
}

/** One lab order (a panel; one HL7 OBR). */
export interface LabOrder {
  panel: PanelKey;
  day: number;
  minute: number;
  results: LabResult[];
}

/** Vital signs taken at a visit. */
export interface Vitals {
  day: number;
  minute: number;
  sbp: number;
  dbp: number;
  anthropometry: boolean;
  smokingStatus: boolean;
  protected: boolean;
}

/** One drug order. */
export interface DrugOrder {
  drug: Drug;
  drugIndex: number;
  startDay: number;
  endDay: number;
}

/** One procedure or operation. */
export interface ProcedureRecord {
  key: ProcedureKey;
  day: number;
  minute: number;
}

/** One imaging study (its DICOM headers are written by hospital C). */
export interface ImagingStudy {
  key: ImagingKey;
  day: number;
  minute: number;
  series: number;
  instancesPerSeries: number;
  conclusion: string;
}

/** A clinical note's kind. */
export type NoteKind = 'admission' | 'discharge' | 'death' | 'outpatient';

/** One note (its text is rendered per hospital). */
export interface NoteRecord {
  kind: NoteKind;
  day: number;
  minute: number;
  mmse: boolean;
  apoe: boolean;
  protected: boolean;
}

/** One visit. */
export interface Visit {
  seq: number;
  type: VisitType;
  department: DepartmentKey;
  startDay: number;
  startMinute: number;
  /** Discharge day for inpatients; null for outpatient and emergency visits. */
  endDay: number | null;
  endMinute: number;
  diagnoses: { key: DiagnosisKey; primary: boolean }[];
  labs: LabOrder[];
  vitals: Vitals | null;
  drugs: DrugOrder[];
  procedures: ProcedureRecord[];
  imaging: ImagingStudy[];
  notes: NoteRecord[];
  died: boolean;
  protected: boolean;
  role: 'regular' | 'diabetes-index' | 'complication' | 'cancer-dx' | 'chemo' | 'cancer-death' | 'cancer-follow-up';
}

/** One person's record at one hospital. */
export interface LocalRecord {
  person: Person;
  hospital: number;
  slot: number;
  isHome: boolean;
  visits: Visit[];
}

const DRUG_INDEX: ReadonlyMap<string, number> = new Map(DRUGS.map((d, i) => [d.key, i]));

interface Draft {
  type: VisitType;
  department: DepartmentKey;
  startDay: number;
  endDay: number | null;
  diagnoses: DiagnosisKey[];
  role: Visit['role'];
  protected: boolean;
  died: boolean;
}

const ACUTE: readonly { key: DiagnosisKey; weight: number }[] = [
  { key: 'urti', weight: 30 },
  { key: 'pneumonia', weight: 12 },
  { key: 'gastritis', weight: 12 },
  { key: 'hipFracture', weight: 3 },
  { key: 'gallstone', weight: 4 },
  { key: 'appendicitis', weight: 2 },
];

const DEPARTMENT_OF: Partial<Record<DiagnosisKey, DepartmentKey>> = {
  t2dm: 'endocrine',
  t2dmKidney: 'endocrine',
  t2dmEye: 'endocrine',
  t2dmNerve: 'endocrine',
  hypertension: 'cardiology',
  hyperlipidemia: 'cardiology',
  chd: 'cardiology',
  ckd: 'nephrology',
  copd: 'respiratory',
  pneumonia: 'respiratory',
  urti: 'general',
  stroke: 'neurology',
  alzheimer: 'neurology',
  dementia: 'neurology',
  lungCancer: 'thoracic',
  chemo: 'oncology',
  gastritis: 'gastro',
  hipFracture: 'orthopedics',
  gallstone: 'surgery',
  appendicitis: 'surgery',
};

const CONCLUSIONS: Record<ImagingKey, { normal: string; finding: Partial<Record<DiagnosisKey, string>> }> = {
  ctChest: {
    normal: '双肺纹理清晰，未见明确实质性病变。',
    finding: {
      lungCancer: '右肺上叶见不规则软组织密度结节，边缘分叶、毛刺，考虑周围型肺癌可能大。',
      pneumonia: '双肺下叶见斑片状渗出影，考虑炎症。',
    },
  },
  ctHead: { normal: '颅内未见明显异常密度影。', finding: { stroke: '左侧基底节区见低密度灶，考虑腔隙性脑梗死。' } },
  mrHead: {
    normal: '脑实质未见明显异常信号。',
    finding: {
      alzheimer: '双侧海马体积缩小，脑沟增宽，符合脑萎缩改变。',
      dementia: '脑白质多发缺血灶，脑萎缩。',
      stroke: '右侧放射冠区DWI高信号，考虑急性脑梗死。',
    },
  },
  dxChest: { normal: '心肺膈未见明显异常。', finding: { pneumonia: '右下肺野见片状模糊影，考虑肺炎。' } },
  usAbdomen: { normal: '肝胆胰脾未见明显异常。', finding: { gallstone: '胆囊内见强回声伴声影，考虑胆囊结石。' } },
};

/** Builds person `person` at hospital `hospital` (local slot `slot`); pure in (seed, hospital, slot). */
export function buildLocalRecord(root: RootSeed, person: Person, hospital: number, slot: number): LocalRecord {
  const rng = Rng.stream(root, STREAM.clinical, hospital, slot);
  const isHome = person.home === hospital;
  const drafts: Draft[] = [];
  const cancer = isHome ? person.lungCancer : null;
  const homeLast = cancer ? (cancer.deathDay ?? cancer.lastFollowUpDay) : person.lastDay;
  const dm = isHome ? person.diabetesTruth : null;

  if (dm) {
    const others = chronicOf(person, dm.indexDay, true).filter((k) => k !== 't2dm' && rng.chance(0.3));
    drafts.push({
      type: 'outpatient',
      department: 'endocrine',
      startDay: dm.indexDay,
      endDay: null,
      diagnoses: ['t2dm', ...others],
      role: 'diabetes-index',
      protected: true,
      died: false,
    });
    if (dm.complication) {
      const day = dm.complicationDay;
      const inpatient = rng.chance(0.3) && day + 10 < homeLast;
      drafts.push({
        type: inpatient ? 'inpatient' : 'outpatient',
        department: 'endocrine',
        startDay: day,
        endDay: inpatient ? day + rng.int(5, 10) : null,
        diagnoses: [dm.complication, 't2dm'],
        role: 'complication',
        protected: true,
        died: false,
      });
    }
  }
  if (cancer) {
    const los = rng.int(6, 15);
    const diesInDx = cancer.deathDay !== null && cancer.deathDay <= cancer.dxDay + los;
    const dxEnd = diesInDx ? (cancer.deathDay as number) : cancer.dxDay + los;
    drafts.push({
      type: 'inpatient',
      department: rng.chance(0.6) ? 'thoracic' : 'respiratory',
      startDay: cancer.dxDay,
      endDay: dxEnd,
      diagnoses: ['lungCancer', ...(person.copd && rng.chance(0.5) ? (['copd'] as const) : [])],
      role: 'cancer-dx',
      protected: true,
      died: diesInDx,
    });
    let cursor = dxEnd + 14;
    const chemoCount = diesInDx ? 0 : rng.int(0, 4);
    for (let i = 0; i < chemoCount; i++) {
      const limit = homeLast - 12;
      if (cursor + 5 > limit) break;
      const start = cursor + rng.int(0, Math.min(60, limit - cursor - 5));
      const end = start + rng.int(3, 5);
      drafts.push({
        type: 'inpatient',
        department: 'oncology',
        startDay: start,
        endDay: end,
        diagnoses: ['chemo', 'lungCancer'],
        role: 'chemo',
        protected: true,
        died: false,
      });
      cursor = end + 21;
    }
    if (!diesInDx) {
      if (cancer.deathDay !== null) {
        const lastEnd = Math.max(dxEnd, ...drafts.filter((d) => d.role === 'chemo').map((d) => d.endDay as number));
        const start = Math.max(lastEnd + 1, cancer.deathDay - rng.int(2, 10));
        drafts.push({
          type: 'inpatient',
          department: 'oncology',
          startDay: Math.min(start, cancer.deathDay),
          endDay: cancer.deathDay,
          diagnoses: ['lungCancer', ...(rng.chance(0.4) ? (['pneumonia'] as const) : [])],
          role: 'cancer-death',
          protected: true,
          died: true,
        });
      } else {
        drafts.push({
          type: 'outpatient',
          department: 'oncology',
          startDay: cancer.lastFollowUpDay,
          endDay: null,
          diagnoses: ['lungCancer'],
          role: 'cancer-follow-up',
          protected: true,
          died: false,
        });
      }
    }
  }

  const regularCount = (drafts.length > 0 ? 0 : 1) + rng.geometric(2.2, 9);
  const regularLast = cancer ? homeLast - 1 : person.lastDay;
  for (let i = 0; i < regularCount && regularLast >= person.firstDay; i++) {
    const day = rng.int(person.firstDay, regularLast);
    const chronic = chronicOf(person, day, isHome);
    let primary: DiagnosisKey;
    if (chronic.length > 0 && rng.chance(0.65)) primary = rng.pick(chronic);
    else primary = pickAcute(rng);
    const acute = ACUTE.some((a) => a.key === primary);
    const severe = primary === 'hipFracture' || primary === 'appendicitis' || primary === 'gallstone';
    let type: VisitType =
      severe || (primary === 'pneumonia' && rng.chance(0.6)) || primary === 'stroke'
        ? 'inpatient'
        : acute && rng.chance(0.35)
          ? 'emergency'
          : rng.chance(0.12)
            ? 'inpatient'
            : 'outpatient';
    if (cancer) type = type === 'inpatient' ? 'outpatient' : type;
    let endDay: number | null = null;
    if (type === 'inpatient') {
      const los = rng.int(2, 16);
      endDay = Math.min(day + los, regularLast);
      if (endDay === day && day === regularLast) endDay = day;
    }
    const extra = chronic.filter((k) => k !== primary && rng.chance(0.35)).slice(0, 2);
    drafts.push({
      type,
      department: type === 'emergency' ? 'emergency' : (DEPARTMENT_OF[primary] ?? 'general'),
      startDay: day,
      endDay,
      diagnoses: [primary, ...extra],
      role: 'regular',
      protected: false,
      died: false,
    });
  }

  drafts.sort((a, b) => a.startDay - b.startDay || roleOrder(a.role) - roleOrder(b.role));
  const visits: Visit[] = [];
  let smokingRecorded = false;
  drafts.forEach((d, i) => {
    const startMinute =
      d.type === 'emergency' ? rng.int(0, 1439) : d.type === 'inpatient' ? rng.int(480, 1200) : rng.int(480, 1020);
    const endMinute = d.endDay === null ? startMinute : d.died ? rng.int(0, 1439) : rng.int(540, 690);
    const visit: Visit = {
      seq: i + 1,
      type: d.type,
      department: d.department,
      startDay: d.startDay,
      startMinute,
      endDay: d.endDay,
      endMinute: d.endDay === d.startDay ? Math.max(endMinute, startMinute + 30) : endMinute,
      diagnoses: d.diagnoses.map((key, j) => ({ key, primary: j === 0 })),
      labs: [],
      vitals: null,
      drugs: [],
      procedures: [],
      imaging: [],
      notes: [],
      died: d.died,
      protected: d.protected,
      role: d.role,
    };
    if (visit.endMinute > 1439) visit.endMinute = 1439;
    fillLabs(rng, person, visit, isHome);
    fillVitals(rng, person, visit);
    if (visit.vitals && (!smokingRecorded || visit.role === 'cancer-dx')) {
      visit.vitals.smokingStatus = true;
      smokingRecorded = true;
    }
    fillDrugs(rng, visit);
    fillProcedures(rng, person, visit);
    fillImaging(rng, person, visit);
    fillNotes(rng, person, visit);
    visits.push(visit);
  });
  return { person, hospital, slot, isHome, visits };
}

function roleOrder(role: Visit['role']): number {
  return role === 'regular' ? 1 : 0;
}

function pickAcute(rng: Rng): DiagnosisKey {
  const total = ACUTE.reduce((s, a) => s + a.weight, 0);
  let x = rng.float() * total;
  for (const a of ACUTE) {
    x -= a.weight;
    if (x < 0) return a.key;
  }
  return 'urti';
}

/** The chronic diagnoses a person carries on a day (diabetes only from the index visit on at home). */
function chronicOf(person: Person, day: number, isHome: boolean): DiagnosisKey[] {
  const out: DiagnosisKey[] = [];
  if (person.diabetes && (!isHome || (person.diabetesTruth !== null && day >= person.diabetesTruth.indexDay)))
    out.push('t2dm');
  if (person.hypertension) out.push('hypertension');
  if (person.hyperlipidemia) out.push('hyperlipidemia');
  if (person.ckd) out.push('ckd');
  if (person.copd) out.push('copd');
  if (person.chd) out.push('chd');
  if (person.stroke) out.push('stroke');
  if (person.dementia) out.push(person.apoe.includes('ε4') ? 'alzheimer' : 'dementia');
  return out;
}

function has(visit: Visit, ...keys: DiagnosisKey[]): boolean {
  return visit.diagnoses.some((d) => keys.includes(d.key));
}

function labValue(rng: Rng, person: Person, key: LabKey, visit: Visit): number {
  const b = person.base;
  const infection = has(visit, 'pneumonia');
  switch (key) {
    case 'glucose':
      return Math.max(3.3, b.glucose + rng.normal(0, person.diabetes ? 1.1 : 0.35));
    case 'hba1c':
      return Math.min(15, Math.max(4.2, b.hba1c + rng.normal(0, 0.5)));
    case 'creatinine':
      return Math.max(35, b.creatinine * (1 + rng.normal(0, 0.06)));
    case 'cholesterol':
      return Math.max(2.5, b.cholesterol + rng.normal(0, 0.3));
    case 'triglyceride':
      return Math.max(0.3, b.triglyceride * (1 + rng.normal(0, 0.15)));
    case 'alt':
      return Math.max(5, b.alt * (1 + rng.normal(0, 0.2)));
    case 'hemoglobin':
      return Math.max(70, b.hemoglobin + rng.normal(0, 5));
    case 'wbc':
      return Math.max(2.5, b.wbc * (infection ? rng.int(14, 24) / 10 : 1) + rng.normal(0, 0.5));
    case 'potassium':
      return Math.min(6.2, Math.max(3.0, b.potassium + rng.normal(0, 0.2)));
    case 'crp':
      return infection ? rng.int(400, 1500) / 10 : Math.max(0.1, b.crp * (1 + rng.normal(0, 0.3)));
  }
}

function addPanel(rng: Rng, person: Person, visit: Visit, panel: PanelKey, minute: number): LabOrder {
  const results: LabResult[] = LAB_PANELS[panel].tests.map((key) => ({
    key,
    value: labValue(rng, person, key, visit),
    protected: false,
  }));
  const order: LabOrder = { panel, day: visit.startDay, minute, results };
  visit.labs.push(order);
  return order;
}

function fillLabs(rng: Rng, person: Person, visit: Visit, isHome: boolean): void {
  const minute = Math.min(1439, visit.startMinute + rng.int(20, 180));
  const dmHome = isHome && person.diabetesTruth !== null && visit.startDay > person.diabetesTruth.indexDay;
  if (visit.role === 'diabetes-index') {
    const order = addPanel(rng, person, visit, 'hba1c', minute);
    const result = order.results[0];
    if (result) {
      result.value = person.base.hba1c;
      result.protected = true;
    }
    addPanel(rng, person, visit, 'glucose', minute);
    return;
  }
  if (visit.type === 'inpatient') {
    addPanel(rng, person, visit, 'biochemistry', minute);
    addPanel(rng, person, visit, 'bloodCount', minute);
    if (has(visit, 'pneumonia') || rng.chance(0.3)) addPanel(rng, person, visit, 'crp', minute);
    if (dmHome && rng.chance(0.7)) addPanel(rng, person, visit, 'hba1c', minute);
    return;
  }
  if (has(visit, 't2dm', 't2dmKidney', 't2dmEye', 't2dmNerve')) {
    addPanel(rng, person, visit, 'glucose', minute);
    if (dmHome && rng.chance(0.5)) addPanel(rng, person, visit, 'hba1c', minute);
  }
  if (has(visit, 'hyperlipidemia', 'chd') && rng.chance(0.7)) addPanel(rng, person, visit, 'lipids', minute);
  if (has(visit, 'ckd') && rng.chance(0.8)) addPanel(rng, person, visit, 'renal', minute);
  if (has(visit, 'pneumonia', 'urti') && rng.chance(0.6)) {
    addPanel(rng, person, visit, 'bloodCount', minute);
    if (rng.chance(0.6)) addPanel(rng, person, visit, 'crp', minute);
  }
  if (visit.labs.length === 0 && rng.chance(0.25)) addPanel(rng, person, visit, 'biochemistry', minute);
}

function fillVitals(rng: Rng, person: Person, visit: Visit): void {
  const required = visit.role === 'diabetes-index' || visit.role === 'cancer-dx';
  if (!required && !rng.chance(0.85)) return;
  const sbp = Math.round(Math.min(215, Math.max(88, person.base.sbp + rng.normal(0, 7))));
  const dbp = Math.round(Math.min(sbp - 25, Math.max(50, person.base.dbp + rng.normal(0, 5))));
  visit.vitals = {
    day: visit.startDay,
    minute: Math.min(1439, visit.startMinute + rng.int(5, 40)),
    sbp,
    dbp,
    anthropometry: visit.role === 'diabetes-index' || rng.chance(0.25),
    smokingStatus: false,
    protected: visit.role === 'diabetes-index',
  };
}

function order(visit: Visit, key: string, rng: Rng): void {
  const drug = DRUG_BY_KEY.get(key);
  const drugIndex = DRUG_INDEX.get(key);
  if (!drug || drugIndex === undefined || visit.drugs.some((d) => d.drug.key === key)) return;
  const endDay = visit.endDay ?? visit.startDay + rng.pick([7, 14, 14, 28, 30]);
  visit.drugs.push({ drug, drugIndex, startDay: visit.startDay, endDay });
}

function fillDrugs(rng: Rng, visit: Visit): void {
  for (const { key } of visit.diagnoses) {
    switch (key) {
      case 't2dm':
      case 't2dmKidney':
      case 't2dmEye':
      case 't2dmNerve':
        order(visit, 'metformin', rng);
        if (rng.chance(0.3)) order(visit, rng.pick(['glimepiride', 'acarbose', 'glargine']), rng);
        break;
      case 'hypertension':
        order(visit, rng.pick(['amlodipine', 'nifedipine', 'valsartan', 'metoprolol']), rng);
        if (rng.chance(0.25)) order(visit, rng.pick(['valsartan', 'metoprolol']), rng);
        break;
      case 'hyperlipidemia':
        order(visit, rng.pick(['atorvastatin', 'rosuvastatin']), rng);
        break;
      case 'chd':
        order(visit, 'aspirin', rng);
        if (rng.chance(0.5)) order(visit, 'clopidogrel', rng);
        order(visit, 'atorvastatin', rng);
        break;
      case 'stroke':
        order(visit, 'aspirin', rng);
        order(visit, 'atorvastatin', rng);
        break;
      case 'alzheimer':
      case 'dementia':
        order(visit, rng.pick(['donepezil', 'memantine']), rng);
        break;
      case 'copd':
        order(visit, rng.pick(['tiotropium', 'budesonideFormoterol']), rng);
        break;
      case 'pneumonia':
        order(visit, rng.pick(['cefuroxime', 'levofloxacin']), rng);
        break;
      case 'urti':
        order(visit, rng.chance(0.5) ? 'amoxicillin' : 'paracetamol', rng);
        break;
      case 'gastritis':
        order(visit, 'omeprazole', rng);
        break;
      case 'chemo':
        order(visit, 'cisplatin', rng);
        order(visit, 'pemetrexed', rng);
        break;
      case 'lungCancer':
        if (visit.role === 'cancer-follow-up' && rng.chance(0.3)) order(visit, 'gefitinib', rng);
        break;
      default:
        break;
    }
  }
}

function proc(visit: Visit, key: ProcedureKey, rng: Rng): void {
  const last = visit.endDay ?? visit.startDay;
  const day = visit.startDay + (last > visit.startDay ? rng.int(0, Math.min(3, last - visit.startDay)) : 0);
  visit.procedures.push({ key, day, minute: rng.int(480, 1080) });
}

function fillProcedures(rng: Rng, person: Person, visit: Visit): void {
  if (visit.role === 'cancer-dx') {
    proc(visit, 'bronchoscopyBiopsy', rng);
    if (!visit.died && rng.chance(0.4)) proc(visit, 'lobectomy', rng);
    return;
  }
  if (visit.role === 'chemo') {
    proc(visit, 'chemotherapy', rng);
    return;
  }
  if (visit.type === 'inpatient') {
    if (has(visit, 'chd') && rng.chance(0.33)) proc(visit, rng.chance(0.75) ? 'stentDes' : 'stentBms', rng);
    if (has(visit, 'ckd') && rng.chance(0.15)) proc(visit, 'hemodialysis', rng);
    if (has(visit, 'hipFracture')) proc(visit, rng.chance(0.8) ? 'hipReplacement' : 'kneeReplacement', rng);
    if (has(visit, 'gallstone')) proc(visit, 'cholecystectomy', rng);
    if (has(visit, 'appendicitis')) proc(visit, 'appendectomy', rng);
    if (has(visit, 'pneumonia') && rng.chance(0.03)) proc(visit, 'intubation', rng);
  } else {
    if (has(visit, 'gastritis') && rng.chance(0.3)) proc(visit, 'gastroscopy', rng);
    if (person.base.sbp > 0 && rng.chance(0.02)) proc(visit, 'colonoscopy', rng);
  }
}

function study(rng: Rng, visit: Visit, key: ImagingKey, finding: DiagnosisKey | null): void {
  const c = CONCLUSIONS[key];
  const conclusion = (finding !== null ? c.finding[finding] : undefined) ?? c.normal;
  const multi = key === 'ctChest' || key === 'ctHead' || key === 'mrHead';
  visit.imaging.push({
    key,
    day: visit.startDay + (visit.endDay !== null && visit.endDay > visit.startDay ? 1 : 0),
    minute: rng.int(480, 1200),
    // Headers only: one instance per series is enough to index a study (every file is one inode to create).
    series: multi && rng.chance(0.3) ? 2 : 1,
    instancesPerSeries: 1,
    conclusion,
  });
}

function fillImaging(rng: Rng, _person: Person, visit: Visit): void {
  if (visit.role === 'cancer-dx') {
    study(rng, visit, 'ctChest', 'lungCancer');
    return;
  }
  if (visit.role === 'cancer-follow-up') {
    if (rng.chance(0.5)) study(rng, visit, 'ctChest', 'lungCancer');
    return;
  }
  if (has(visit, 'pneumonia')) {
    if (rng.chance(0.6)) study(rng, visit, 'dxChest', 'pneumonia');
    else if (rng.chance(0.5)) study(rng, visit, 'ctChest', 'pneumonia');
  }
  if (has(visit, 'alzheimer', 'dementia') && rng.chance(0.4)) {
    study(rng, visit, 'mrHead', visit.diagnoses.find((d) => d.key === 'alzheimer') ? 'alzheimer' : 'dementia');
  }
  if (has(visit, 'stroke') && visit.type === 'inpatient')
    study(rng, visit, rng.chance(0.7) ? 'ctHead' : 'mrHead', 'stroke');
  if (has(visit, 'gallstone')) study(rng, visit, 'usAbdomen', 'gallstone');
  else if (rng.chance(0.015)) study(rng, visit, 'usAbdomen', null);
}

function fillNotes(rng: Rng, person: Person, visit: Visit): void {
  const dementiaVisit = has(visit, 'alzheimer', 'dementia');
  const mmse = person.mmse !== null && (dementiaVisit || (person.dementia && rng.chance(0.5)) || rng.chance(0.12));
  const apoe = dementiaVisit ? rng.chance(0.6) : person.mmse !== null && rng.chance(0.04);
  if (visit.type === 'inpatient') {
    const protectedNote = visit.role === 'cancer-dx';
    visit.notes.push({
      kind: 'admission',
      day: visit.startDay,
      minute: Math.min(1439, visit.startMinute + rng.int(60, 240)),
      mmse,
      apoe,
      protected: protectedNote,
    });
    visit.notes.push({
      kind: visit.died ? 'death' : 'discharge',
      day: visit.endDay ?? visit.startDay,
      minute: visit.endMinute,
      mmse: mmse && rng.chance(0.5),
      apoe: false,
      protected: protectedNote || visit.died,
    });
  } else if (dementiaVisit || rng.chance(0.08)) {
    visit.notes.push({
      kind: 'outpatient',
      day: visit.startDay,
      minute: visit.startMinute,
      mmse,
      apoe,
      protected: false,
    });
  }
}
