/**
 * Hospital A writes like a domestic HIS/LIS/EMR vendor: CSV exports with Chinese headers in GBK (the lab
 * export in GB18030, the EMR document export in UTF-8 with a BOM), CRLF line ends, dates in mixed spellings,
 * and a physical-examination workbook (.xlsx) whose dates are Excel serials. Blood pressure arrives in six
 * field spellings in the vital-sign export, as 高压/低压 columns in the workbook, and as 血压：…mmHg in notes.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  type BpSpellingId,
  DEPARTMENTS,
  DIAGNOSES,
  drugLocalCode,
  formatLocal,
  LABS,
  type LocalLab,
  PROCEDURES,
  roundTo,
  toLocalValue,
} from './catalog.ts';
import { civilFromDays, type DateStyle, daysFromCivil, excelSerial, styledDate, styledDateTime } from './dates.ts';
import {
  CsvFile,
  DIRT,
  drawProblem,
  type Emitter,
  type EmitterContext,
  FREQUENCY_CN,
  isProtected,
  isShared,
  num,
  variantCount,
} from './emit-common.ts';
import { renderIdentity } from './identity.ts';
import { renderNote } from './notes.ts';
import { Rng, STREAM, weightedTable } from './prng.ts';
import type { LabOrder, LocalRecord, Visit } from './records.ts';
import { HospitalStats } from './stats.ts';
import { type XlsxCell, XlsxWriter } from './writers/xlsx.ts';

const DATE_STYLES = weightedTable<DateStyle>([
  ['iso', 70],
  ['slash', 12],
  ['compact', 10],
  ['chinese', 8],
]);

const BP_FIELD_SPELLINGS = weightedTable<BpSpellingId>([
  ['a-field-xueya-slash', 30],
  ['a-field-bp-mmhg', 20],
  ['a-field-xueyazhi-fullwidth', 15],
  ['a-fields-shousuo-shuzhang', 25],
  ['a-field-sbp-dbp', 10],
]);

/** Share of an old record's (first year) blood pressures written in kPa. */
const OLD_RECORD_KPA_SHARE = 0.35;
/** Share of patients with a physical-examination row in the workbook. */
const EXAM_SHARE = 0.15;
const VISIT_TYPE_CN = { outpatient: '门诊', emergency: '急诊', inpatient: '住院' } as const;
const MMHG_PER_KPA = 7.5;

/** Local patient id of hospital A (10 digits, as its HIS numbers them). */
export function hospitalAPatientId(slot: number): string {
  return String(2_000_001 + slot * 3).padStart(10, '0');
}

/** Writes hospital A's exports. */
export class HospitalAEmitter implements Emitter {
  #ctx: EmitterContext;
  #stats: HospitalStats;
  #labs: Readonly<Record<string, LocalLab>>;
  #patient: CsvFile;
  #visit: CsvFile;
  #diagnosis: CsvFile;
  #lab: CsvFile;
  #drug: CsvFile;
  #operation: CsvFile;
  #vital: CsvFile;
  #document: CsvFile;
  #exam: XlsxWriter;
  #examRows = 0;
  #counters = { visit: 0, lab: 0, drug: 0, operation: 0, vital: 0, document: 0, exam: 0, nearDuplicate: 0 };

  constructor(ctx: EmitterContext) {
    this.#ctx = ctx;
    this.#stats = ctx.stats;
    this.#labs = LABS[0] as Readonly<Record<string, LocalLab>>;
    mkdirSync(join(ctx.outDir, ctx.name), { recursive: true });
    const gbk = (
      file: string,
      header: string[],
      kind: string,
      encoding: 'gbk' | 'gb18030' | 'utf-8-bom' = 'gbk',
    ): CsvFile => new CsvFile(ctx.outDir, `${ctx.name}/${file}`, header, { encoding, eol: '\r\n', kind });
    this.#patient = gbk(
      'his_patient.csv',
      ['患者ID', '姓名', '性别', '出生日期', '身份证号', '联系电话', '住址', '死亡日期'],
      'patient',
    );
    this.#visit = gbk(
      'his_visit.csv',
      ['就诊号', '患者ID', '就诊类型', '科室', '入院日期', '出院日期', '离院方式'],
      'visit',
    );
    this.#diagnosis = gbk(
      'his_diagnosis.csv',
      ['就诊号', '患者ID', '诊断序号', '诊断类型', '诊断编码', '诊断名称', '诊断日期'],
      'diagnosis',
    );
    this.#lab = gbk(
      'lis_result.csv',
      [
        '检验单号',
        '就诊号',
        '患者ID',
        '姓名',
        '检验项目代码',
        '检验项目名称',
        '结果',
        '单位',
        '参考范围',
        '异常标志',
        '报告时间',
      ],
      'result',
      'gb18030',
    );
    this.#drug = gbk(
      'his_drug.csv',
      [
        '医嘱号',
        '就诊号',
        '患者ID',
        '药品编码',
        '药品通用名',
        '规格',
        '剂量',
        '剂量单位',
        '频次',
        '给药途径',
        '开始日期',
        '结束日期',
      ],
      'drug',
    );
    this.#operation = gbk(
      'his_operation.csv',
      ['手术记录号', '就诊号', '患者ID', '手术操作编码', '手术操作名称', '手术日期'],
      'procedure',
    );
    this.#vital = gbk(
      'his_vital_sign.csv',
      ['记录号', '就诊号', '患者ID', '测量时间', '项目名称', '测量值', '单位'],
      'vital',
    );
    this.#document = gbk(
      'emr_document.csv',
      ['文书ID', '就诊号', '患者ID', '文书类型', '书写时间', '内容'],
      'document',
      'utf-8-bom',
    );
    this.#exam = new XlsxWriter(join(ctx.outDir, ctx.name, 'tj_exam.xlsx'), '体检记录');
    this.#exam.addRow(
      [
        '体检号',
        '患者ID',
        '姓名',
        '性别',
        '体检日期',
        '身高(cm)',
        '体重(kg)',
        'BMI',
        '高压(mmHg)',
        '低压(mmHg)',
        '空腹血糖(mmol/L)',
      ].map((v) => ({ t: 's' as const, v })),
    );
  }

  #date(rng: Rng, day: number): string {
    const style = rng.weighted(DATE_STYLES);
    HospitalStats.bump(this.#stats.dateStyles, style);
    return styledDate(day, style);
  }

  #dateTime(rng: Rng, day: number, minute: number): string {
    const style = rng.weighted(DATE_STYLES);
    HospitalStats.bump(this.#stats.dateStyles, style);
    return styledDateTime(day, minute, style);
  }

  /** Writes one patient's rows to every export. */
  add(record: LocalRecord): void {
    const ctx = this.#ctx;
    const stats = this.#stats;
    const rng = Rng.stream(ctx.root, STREAM.render, ctx.hospital, record.slot);
    const { person } = record;
    const pid = hospitalAPatientId(record.slot);
    const guarded = isProtected(record);
    stats.localPatients++;

    const idMissing = rng.chance(DIRT.idMissing);
    const phoneMissing = rng.chance(DIRT.phoneMissing);
    if (idMissing) stats.missing('his_patient.csv:身份证号');
    if (phoneMissing) stats.missing('his_patient.csv:联系电话');
    const ident = renderIdentity(person, rng, { count: variantCount(rng, record), idMissing, phoneMissing, dot: '．' });
    for (const v of ident.variants) stats.identityVariants[v]++;
    let birth: string;
    const birthRoll = rng.float();
    let birthShown = true;
    if (!guarded && birthRoll < DIRT.birthDateMissing) {
      birth = '';
      birthShown = false;
      stats.missing('his_patient.csv:出生日期');
    } else if (!guarded && birthRoll < DIRT.birthDateMissing + DIRT.ageOver150) {
      const b = civilFromDays(person.birthDay);
      const y = civilFromDays(ctx.startDay).y - 151 - rng.int(0, 4);
      birth = this.#date(rng, daysFromCivil(y, b.m, b.m === 2 ? Math.min(b.d, 28) : b.d));
      birthShown = false;
      stats.impossible('age_over_150');
    } else birth = this.#date(rng, person.birthDay);
    const death = record.isHome && person.deathDay !== null ? this.#date(rng, person.deathDay) : '';
    const patientLine = this.#patient.row([
      pid,
      ident.full,
      person.sex === 'M' ? '男' : '女',
      birth,
      ident.idNumber,
      ident.phone,
      person.address.full,
      death,
    ]);
    if (isShared(record))
      ctx.link(person.index, {
        hospital: ctx.name,
        patientId: pid,
        home: record.isHome,
        nearDuplicate: false,
        variants: ident.variants,
      });
    if (rng.chance(DIRT.patientExactDuplicate)) {
      this.#patient.repeat(patientLine);
      stats.exactDuplicate('his_patient.csv');
    }
    if (!guarded && rng.chance(DIRT.nearDuplicateRegistration)) {
      const dupId = String(5_000_001 + this.#counters.nearDuplicate++).padStart(10, '0');
      const dup = renderIdentity(person, rng, { count: 1, idMissing: false, phoneMissing: false, dot: '．' });
      for (const v of dup.variants) stats.identityVariants[v]++;
      this.#patient.row([
        dupId,
        dup.full,
        person.sex === 'M' ? '男' : '女',
        this.#date(rng, person.birthDay),
        dup.idNumber,
        dup.phone,
        person.address.full,
        '',
      ]);
      stats.nearDuplicate('his_patient.csv');
      stats.nearDuplicateRegistrations++;
      if (!isShared(record))
        ctx.link(person.index, {
          hospital: ctx.name,
          patientId: pid,
          home: record.isHome,
          nearDuplicate: false,
          variants: ident.variants,
        });
      ctx.link(person.index, {
        hospital: ctx.name,
        patientId: dupId,
        home: false,
        nearDuplicate: true,
        variants: dup.variants,
      });
    }

    for (const visit of record.visits) this.#writeVisit(rng, record, visit, pid, ident.full, birthShown);

    const lastContact =
      record.isHome && person.lungCancer
        ? (person.lungCancer.deathDay ?? person.lungCancer.lastFollowUpDay)
        : person.lastDay;
    if (rng.chance(EXAM_SHARE) && lastContact >= person.firstDay) {
      const day = rng.int(person.firstDay, lastContact);
      let dateCell: XlsxCell;
      if (rng.chance(0.8)) {
        HospitalStats.bump(stats.dateStyles, 'excelSerial');
        dateCell = { t: 'd', v: excelSerial(day) };
      } else dateCell = { t: 's', v: this.#date(rng, day) };
      const sbp = Math.round(person.base.sbp + rng.normal(0, 6));
      const dbp = Math.round(Math.min(sbp - 25, person.base.dbp + rng.normal(0, 4)));
      this.#exam.addRow([
        { t: 's', v: `TJ${String(++this.#counters.exam).padStart(8, '0')}` },
        { t: 's', v: pid },
        { t: 's', v: ident.full },
        { t: 's', v: person.sex === 'M' ? '男' : '女' },
        dateCell,
        { t: 'n', v: person.heightCm },
        { t: 'n', v: person.weightKg },
        { t: 'n', v: person.bmi },
        { t: 'n', v: sbp },
        { t: 'n', v: dbp },
        { t: 'n', v: roundTo(Math.max(3.5, person.base.glucose + rng.normal(0, 0.4)), 1) },
      ]);
      this.#examRows++;
      stats.bp('a-xlsx-gaoya-diya');
    }
  }

  #writeVisit(
    rng: Rng,
    record: LocalRecord,
    visit: Visit,
    pid: string,
    displayName: string,
    birthShown: boolean,
  ): void {
    const ctx = this.#ctx;
    const stats = this.#stats;
    const { person } = record;
    const prefix = visit.type === 'inpatient' ? 'ZY' : visit.type === 'emergency' ? 'JZ' : 'MZ';
    const visitNo = `${prefix}${String(++this.#counters.visit).padStart(9, '0')}`;
    let endDay = visit.endDay;
    if (endDay !== null && !visit.protected && visit.role === 'regular' && rng.chance(DIRT.dischargeBeforeAdmission)) {
      endDay = visit.startDay - rng.int(1, 30);
      stats.impossible('discharge_before_admission');
    }
    this.#visit.row([
      visitNo,
      pid,
      VISIT_TYPE_CN[visit.type],
      DEPARTMENTS[visit.department],
      this.#dateTime(rng, visit.startDay, visit.startMinute),
      endDay === null ? '' : this.#dateTime(rng, endDay, visit.endMinute),
      visit.type !== 'inpatient' ? '' : visit.died ? '死亡' : '医嘱离院',
    ]);

    visit.diagnoses.forEach((d, i) => {
      const dx = DIAGNOSES[d.key] as { code: string; name: string; yibao?: { code: string; name: string } };
      const useYibao = dx.yibao !== undefined && rng.chance(DIRT.yibaoCode);
      let code = useYibao && dx.yibao ? dx.yibao.code : dx.code;
      if (!visit.protected && rng.chance(DIRT.dxCodeMissing)) {
        code = '';
        stats.missing('his_diagnosis.csv:诊断编码');
      }
      this.#diagnosis.row([
        visitNo,
        pid,
        String(i + 1),
        d.primary ? '主要诊断' : '其他诊断',
        code,
        useYibao && dx.yibao ? dx.yibao.name : dx.name,
        this.#date(rng, visit.startDay),
      ]);
    });

    for (const order of visit.labs) this.#writeLabOrder(rng, record, order, visitNo, pid, displayName, birthShown);

    for (const d of visit.drugs) {
      let dose = num(d.drug.dose);
      if (rng.chance(DIRT.drugDoseMissing)) {
        dose = '';
        stats.missing('his_drug.csv:剂量');
      }
      this.#drug.row([
        `YZ${String(++this.#counters.drug).padStart(9, '0')}`,
        visitNo,
        pid,
        drugLocalCode(0, d.drugIndex),
        d.drug.generic,
        d.drug.spec,
        dose,
        d.drug.unit,
        FREQUENCY_CN[d.drug.frequency] ?? d.drug.frequency,
        d.drug.route,
        this.#date(rng, d.startDay),
        this.#date(rng, d.endDay),
      ]);
    }

    for (const p of visit.procedures) {
      const proc = PROCEDURES[p.key];
      this.#operation.row([
        `SS${String(++this.#counters.operation).padStart(8, '0')}`,
        visitNo,
        pid,
        proc.code,
        proc.name,
        this.#dateTime(rng, p.day, p.minute),
      ]);
    }

    if (visit.vitals) {
      const v = visit.vitals;
      let sbp = v.sbp;
      if (!v.protected && rng.chance(DIRT.sbp900)) {
        sbp = 900;
        stats.impossible('sbp_900');
      }
      const old = sbp !== 900 && v.day < ctx.startDay + 365 && rng.chance(OLD_RECORD_KPA_SHARE);
      const spelling: BpSpellingId = old ? 'a-field-kpa' : rng.weighted(BP_FIELD_SPELLINGS);
      // One measurement time, written on every row of the measurement (each row counts as one date value).
      const whenStyle = rng.weighted(DATE_STYLES);
      const when = styledDateTime(v.day, v.minute, whenStyle);
      const vital = (item: string, value: string, unit: string): void => {
        HospitalStats.bump(stats.dateStyles, whenStyle);
        this.#vital.row([
          `TZ${String(++this.#counters.vital).padStart(9, '0')}`,
          visitNo,
          pid,
          when,
          item,
          value,
          unit,
        ]);
      };
      switch (spelling) {
        case 'a-field-xueya-slash':
          vital('血压', `${sbp}/${v.dbp}`, 'mmHg');
          break;
        case 'a-field-bp-mmhg':
          vital('BP', `${sbp}/${v.dbp}mmHg`, '');
          break;
        case 'a-field-xueyazhi-fullwidth':
          vital('血压值', `${sbp}／${v.dbp}`, 'mmHg');
          break;
        case 'a-fields-shousuo-shuzhang':
          vital('收缩压', String(sbp), 'mmHg');
          vital('舒张压', String(v.dbp), 'mmHg');
          break;
        case 'a-field-sbp-dbp':
          vital('SBP/DBP', `${sbp}/${v.dbp}`, 'mmHg');
          break;
        default:
          vital('血压', `${(sbp / MMHG_PER_KPA).toFixed(1)}/${(v.dbp / MMHG_PER_KPA).toFixed(1)}kPa`, 'kPa');
          break;
      }
      stats.bp(spelling);
      if (v.anthropometry) {
        vital('身高', String(person.heightCm), 'cm');
        vital('体重', person.weightKg.toFixed(1), 'kg');
        vital('体重指数', person.bmi.toFixed(1), 'kg/m2');
      }
    }

    for (const note of visit.notes) {
      const rendered = renderNote({
        person,
        visit,
        note,
        displayName,
        visitNumber: visitNo,
        rng,
        bp: (s, d) => `血压：${s}/${d}mmHg`,
      });
      this.#document.row([
        `WS${String(++this.#counters.document).padStart(9, '0')}`,
        visitNo,
        pid,
        rendered.title,
        this.#dateTime(rng, note.day, note.minute),
        rendered.text,
      ]);
      stats.notes.total++;
      if (rendered.mentionsMmse) stats.notes.mentioningMmse++;
      if (rendered.mentionsApoe) stats.notes.mentioningApoe++;
      if (rendered.mentionsSmoking) stats.notes.mentioningSmoking++;
      if (rendered.mentionsBp) stats.bp('a-note-xueya');
    }
  }

  #writeLabOrder(
    rng: Rng,
    record: LocalRecord,
    order: LabOrder,
    visitNo: string,
    pid: string,
    displayName: string,
    birthShown: boolean,
  ): void {
    const stats = this.#stats;
    const { person } = record;
    const orderNo = `JY${String(++this.#counters.lab).padStart(9, '0')}`;
    const anyProtected = order.results.some((r) => r.protected);
    let day = order.day;
    let beforeBirth = false;
    if (!anyProtected && birthShown && rng.chance(DIRT.labBeforeBirth)) {
      day = person.birthDay - rng.int(30, 3650);
      beforeBirth = true;
    }
    const reportedStyle = rng.weighted(DATE_STYLES);
    const reported = styledDateTime(day, Math.min(1439, order.minute + rng.int(60, 240)), reportedStyle);
    for (const result of order.results) {
      const test = this.#labs[result.key] as LocalLab;
      let value = formatLocal(test, toLocalValue(test, result.value));
      let unit = test.unit;
      let clean = !beforeBirth;
      if (beforeBirth) stats.impossible('lab_before_birth');
      else if (!result.protected) {
        const problem = drawProblem(rng, [
          ['negative_glucose', DIRT.negativeGlucose, result.key === 'glucose'],
          ['glucose_unit', DIRT.glucoseUnitError, result.key === 'glucose'],
          ['creatinine_unit', DIRT.creatinineUnitError, result.key === 'creatinine'],
          ['value_missing', DIRT.labValueMissing, true],
          ['unit_missing', DIRT.labUnitMissing, true],
        ]);
        clean = problem === null;
        switch (problem) {
          case 'negative_glucose':
            value = (-toLocalValue(test, result.value)).toFixed(test.decimals);
            stats.impossible('negative_glucose');
            break;
          case 'glucose_unit':
            value = Math.round(result.value * 18).toFixed(0);
            stats.unitError('glucose_mgdl_labelled_mmoll');
            break;
          case 'creatinine_unit':
            value = (result.value / 88.4).toFixed(2);
            stats.unitError('creatinine_mgdl_labelled_umoll');
            break;
          case 'value_missing':
            value = '';
            stats.missing('lis_result.csv:结果');
            break;
          case 'unit_missing':
            unit = '';
            stats.missing('lis_result.csv:单位');
            break;
          case null:
            break;
        }
      }
      const range = test.range[person.sex];
      const numeric = Number(value);
      HospitalStats.bump(stats.dateStyles, reportedStyle);
      const flag = value === '' ? '' : numeric > range[1] ? '↑' : numeric < range[0] ? '↓' : '';
      const line = this.#lab.row([
        orderNo,
        visitNo,
        pid,
        displayName,
        test.code,
        test.name,
        value,
        unit,
        test.upperOnly
          ? `<${range[1].toFixed(test.decimals)}`
          : `${range[0].toFixed(test.decimals)}-${range[1].toFixed(test.decimals)}`,
        flag,
        reported,
      ]);
      if (clean && !result.protected && rng.chance(DIRT.labExactDuplicate)) {
        this.#lab.repeat(line);
        stats.exactDuplicate('lis_result.csv');
      }
    }
  }

  /** Closes every file and records them in the stats. */
  close(): void {
    const files = [
      this.#patient,
      this.#visit,
      this.#diagnosis,
      this.#lab,
      this.#drug,
      this.#operation,
      this.#vital,
      this.#document,
    ];
    for (const f of files) this.#stats.files.push(f.close());
    const { bytes, sha256 } = this.#exam.close();
    this.#stats.files.push({
      path: `${this.#ctx.name}/tj_exam.xlsx`,
      format: 'xlsx',
      bytes,
      sha256,
      rows: { exam: this.#examRows },
    });
  }
}
