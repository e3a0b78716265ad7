/**
 * Chinese clinical free text: admission notes (入院记录), discharge summaries (出院小结), death records
 * (死亡记录) and outpatient notes (门诊病历), with the facts a text extractor must find — MMSE scores, APOE
 * genotypes, smoking history — in the several phrasings real notes use. Blood pressure is written by the
 * hospital's own phrase, so the notes add to the blood-pressure spellings.
 */
import { DEPARTMENTS, DIAGNOSES, type DiagnosisKey } from './catalog.ts';
import { ageYears, civilFromDays } from './dates.ts';
import type { Person } from './population.ts';
import type { Rng } from './prng.ts';
import type { NoteRecord, Visit } from './records.ts';

/** A rendered note: its title, text and what it mentions (for the manifest). */
export interface RenderedNote {
  title: string;
  text: string;
  mentionsMmse: boolean;
  mentionsApoe: boolean;
  mentionsSmoking: boolean;
  mentionsBp: boolean;
}

/** Note titles by kind. */
export const NOTE_TITLES: Record<NoteRecord['kind'], string> = {
  admission: '入院记录',
  discharge: '出院小结',
  death: '死亡记录',
  outpatient: '门诊病历',
};

const COMPLAINTS: Partial<Record<DiagnosisKey, (rng: Rng) => string>> = {
  t2dm: (r) => `口干、多饮、多尿${r.int(1, 12)}月`,
  t2dmKidney: (r) => `泡沫尿${r.int(1, 12)}月`,
  t2dmEye: (r) => `视物模糊${r.int(1, 12)}月`,
  t2dmNerve: (r) => `双足麻木${r.int(1, 12)}月`,
  hypertension: (r) => `头晕、头痛${r.int(2, 20)}天`,
  hyperlipidemia: (r) => `体检发现血脂升高${r.int(1, 6)}月`,
  ckd: (r) => `双下肢水肿${r.int(1, 6)}月`,
  copd: (r) => `反复咳嗽、咳痰、气喘${r.int(3, 15)}年，加重${r.int(2, 10)}天`,
  chd: (r) => `活动后胸闷、胸痛${r.int(1, 12)}月`,
  stroke: (r) => `突发左侧肢体无力${r.int(2, 24)}小时`,
  alzheimer: (r) => `记忆力进行性减退${r.int(1, 5)}年`,
  dementia: (r) => `记忆力减退伴反应迟钝${r.int(1, 5)}年`,
  lungCancer: (r) => `咳嗽、痰中带血${r.int(1, 6)}月`,
  chemo: (r) => `确诊肺癌${r.int(1, 12)}月，拟行化疗`,
  urti: (r) => `咽痛、流涕${r.int(1, 5)}天`,
  pneumonia: (r) => `发热、咳嗽、咳痰${r.int(2, 10)}天`,
  gastritis: (r) => `上腹部不适${r.int(1, 8)}周`,
  hipFracture: (r) => `跌倒致右髋部疼痛、活动受限${r.int(2, 24)}小时`,
  gallstone: (r) => `右上腹痛${r.int(1, 7)}天`,
  appendicitis: (r) => `转移性右下腹痛${r.int(6, 36)}小时`,
};

function dateCn(day: number): string {
  const c = civilFromDays(day);
  return `${c.y}年${c.m}月${c.d}日`;
}

function timeCn(minute: number): string {
  return `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
}

/** The smoking sentence for a person (吸烟史 20年，每日1包 / 否认吸烟史 / 已戒烟…). */
export function smokingSentence(person: Person, rng: Rng): string {
  const s = person.smoking;
  if (s.status === 'never') return rng.chance(0.7) ? '否认吸烟史。' : '无吸烟嗜好。';
  const amount =
    s.cigarettesPerDay === 20
      ? '1包'
      : s.cigarettesPerDay === 10
        ? '半包'
        : s.cigarettesPerDay === 40
          ? '2包'
          : `${s.cigarettesPerDay}支`;
  if (s.status === 'current') {
    const space = rng.chance(0.5) ? ' ' : '';
    return rng.chance(0.6)
      ? `吸烟史${space}${s.years}年，每日${amount}。`
      : `吸烟${s.years}余年，每天${amount}，未戒烟。`;
  }
  return `已戒烟${s.quitYears}年，既往吸烟${s.years}年，每日${amount}。`;
}

function mmseSentence(person: Person, rng: Rng): string {
  const score = person.mmse ?? 30;
  switch (rng.int(0, 2)) {
    case 0:
      return `MMSE评分 ${score}分。`;
    case 1:
      return `MMSE：${score}/30。`;
    default:
      return `简易精神状态检查（MMSE）得分${score}分。`;
  }
}

function apoeSentence(person: Person, rng: Rng): string {
  switch (rng.int(0, 2)) {
    case 0:
      return `APOE基因型：${person.apoe}。`;
    case 1:
      return `APOE基因检测示${person.apoe}型。`;
    default:
      return `载脂蛋白E（APOE）基因分型为${person.apoe}。`;
  }
}

function dxList(visit: Visit, name: (k: DiagnosisKey) => string): string {
  return visit.diagnoses.map((d, i) => `${i + 1}. ${name(d.key)}`).join(' ');
}

/** Renders one note; `bp` writes the blood pressure in the hospital's phrase. */
export function renderNote(opts: {
  person: Person;
  visit: Visit;
  note: NoteRecord;
  displayName: string;
  visitNumber: string;
  rng: Rng;
  bp: (sbp: number, dbp: number) => string;
}): RenderedNote {
  const { person, visit, note, rng } = opts;
  const name = (k: DiagnosisKey): string => DIAGNOSES[k].name;
  const primary = visit.diagnoses[0]?.key ?? 'urti';
  const complaint = (COMPLAINTS[primary] ?? COMPLAINTS.urti)?.(rng) ?? '';
  const sbp = visit.vitals?.sbp ?? person.base.sbp;
  const dbp = visit.vitals?.dbp ?? person.base.dbp;
  const sex = person.sex === 'M' ? '男' : '女';
  const age = ageYears(person.birthDay, note.day);
  const lines: string[] = [];
  let smoking = false;
  let bp = false;
  const extra: string[] = [];
  if (note.mmse) extra.push(mmseSentence(person, rng));
  if (note.apoe) extra.push(apoeSentence(person, rng));
  const title = NOTE_TITLES[note.kind];
  switch (note.kind) {
    case 'admission': {
      const history: string[] = [];
      if (person.hypertension && primary !== 'hypertension') history.push(`高血压病史${rng.int(2, 20)}年`);
      if (person.diabetes && !visit.diagnoses.some((d) => d.key.startsWith('t2dm')))
        history.push(`糖尿病病史${rng.int(1, 15)}年`);
      lines.push(
        title,
        `姓名：${opts.displayName}　性别：${sex}　年龄：${age}岁`,
        `入院时间：${dateCn(visit.startDay)} ${timeCn(visit.startMinute)}　科室：${DEPARTMENTS[visit.department]}`,
        `主诉：${complaint}。`,
        `现病史：患者${complaint}，${rng.pick(['无明显诱因', '受凉后', '劳累后'])}出现上述症状，于门诊就诊，为进一步诊治收入我科。`,
        `既往史：${history.length > 0 ? `${history.join('，')}。` : '否认高血压、糖尿病、冠心病病史。'}否认药物过敏史。`,
        `个人史：${smokingSentence(person, rng)}${rng.chance(0.3) ? '偶有饮酒。' : '否认饮酒史。'}`,
        `体格检查：T ${(36 + rng.int(2, 12) / 10).toFixed(1)}℃，P ${rng.int(62, 98)}次/分，R ${rng.int(14, 22)}次/分，${opts.bp(sbp, dbp)}。神志清楚，精神可。`,
      );
      smoking = true;
      bp = true;
      if (extra.length > 0) lines.push(`辅助检查：${extra.join('')}`);
      lines.push(`初步诊断：${dxList(visit, name)}`, `医师签名：${rng.pick(['李', '王', '张', '陈', '刘'])}医生`);
      break;
    }
    case 'discharge':
    case 'death': {
      const end = visit.endDay ?? visit.startDay;
      lines.push(
        title,
        `姓名：${opts.displayName}　性别：${sex}　年龄：${age}岁　住院号：${opts.visitNumber}`,
        `入院日期：${dateCn(visit.startDay)}　${note.kind === 'death' ? '死亡时间' : '出院日期'}：${dateCn(end)}${note.kind === 'death' ? ` ${timeCn(visit.endMinute)}` : ''}　住院天数：${Math.max(1, end - visit.startDay)}天`,
        `入院诊断：${dxList(visit, name)}`,
      );
      if (note.kind === 'death') {
        lines.push(
          `死亡原因：${name(primary)}`,
          `诊疗经过：入院后予对症支持治疗，病情进行性加重，经抢救无效，于${dateCn(end)} ${timeCn(visit.endMinute)}宣布临床死亡。`,
        );
      } else {
        lines.push(
          `出院诊断：${dxList(visit, name)}`,
          `诊疗经过：入院后完善相关检查，予${visit.drugs.map((d) => d.drug.generic).join('、') || '对症'}等治疗，病情好转。${extra.join('')}`,
          '出院情况：一般情况可，生命体征平稳。',
          `出院医嘱：1. ${visit.drugs.length > 0 ? `继续${visit.drugs[0]?.drug.generic}治疗` : '注意休息'}　2. ${rng.int(1, 4)}周后门诊随访。`,
        );
      }
      break;
    }
    case 'outpatient': {
      smoking = rng.chance(0.3);
      lines.push(
        title,
        `就诊日期：${dateCn(visit.startDay)}　科室：${DEPARTMENTS[visit.department]}`,
        `主诉：${complaint}。`,
        `现病史：${complaint}，${rng.pick(['症状时轻时重', '近期加重', '无明显变化'])}。`,
      );
      if (smoking) lines.push(`个人史：${smokingSentence(person, rng)}`);
      lines.push(`查体：${opts.bp(sbp, dbp)}。`);
      bp = true;
      if (extra.length > 0) lines.push(`辅助检查：${extra.join('')}`);
      lines.push(
        `诊断：${dxList(visit, name)}`,
        `处理：${visit.drugs.map((d) => d.drug.generic).join('、') || '对症处理'}。`,
      );
      break;
    }
  }
  return {
    title,
    text: lines.join('\n'),
    mentionsMmse: note.mmse && note.kind !== 'death',
    mentionsApoe: note.apoe && note.kind !== 'death',
    mentionsSmoking: smoking,
    mentionsBp: bp,
  };
}
