/**
 * Hospital B speaks HL7 v2.5 from its integration engine: ADT^A04 for outpatient and emergency
 * registrations, ADT^A01/ADT^A03 for admissions and discharges (PID-3 carries the MRN and the 身份证号 with
 * identifier type NNCHN; DG1 carries diagnoses), ORU^R01 for lab results (local codes, mg/dL units for
 * glucose, creatinine and cholesterol, reference ranges, abnormal flags) and, MLLP-framed, ORU^R01 for vital
 * signs (three blood-pressure spellings, BMI, smoking status). Diagnoses, drugs and procedures also come as
 * UTF-8 CSV with English headers.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  type BpSpellingId,
  DEPARTMENTS,
  DIAGNOSES,
  drugLocalCode,
  formatLocal,
  LAB_PANELS,
  LABS,
  type LocalLab,
  PROCEDURES,
  toLocalValue,
} from './catalog.ts';
import { civilFromDays, compactDate, daysFromCivil, hl7DateTime, styledDateTime } from './dates.ts';
import {
  CsvFile,
  DIRT,
  drawProblem,
  type Emitter,
  type EmitterContext,
  isProtected,
  isShared,
  num,
  variantCount,
} from './emit-common.ts';
import { components, hl7Escape as esc, frameMessage, segment, sparseSegment } from './hl7.ts';
import { renderIdentity } from './identity.ts';
import { Rng, STREAM, weightedTable } from './prng.ts';
import type { LocalRecord, Visit } from './records.ts';
import { HospitalStats } from './stats.ts';
import { TextSink } from './writers/text-sink.ts';

const FACILITY = 'JNUH';
const BP_SPELLINGS_B = weightedTable<BpSpellingId>([
  ['b-obx-loinc-pair', 50],
  ['b-obx-local-text', 25],
  ['b-obx-local-pair', 25],
]);
const SMOKING_SNOMED = {
  current: ['449868002', '每日吸烟'],
  former: ['8517006', '已戒烟'],
  never: ['266919005', '从不吸烟'],
} as const;

/** Local MRN of hospital B. */
export function hospitalBPatientId(slot: number): string {
  return `M${String(slot + 1).padStart(8, '0')}`;
}

/** One HL7 file with per-type counters. */
class Hl7File {
  readonly rel: string;
  readonly framing: 'newline' | 'mllp';
  #sink: TextSink;
  readonly rows: Record<string, number> = {};

  constructor(outDir: string, rel: string, framing: 'newline' | 'mllp') {
    this.rel = rel;
    this.framing = framing;
    this.#sink = new TextSink(join(outDir, rel), 'utf-8');
  }

  /** Writes one message and counts it by type and by segment name. */
  write(type: string, segments: readonly string[]): string {
    const text = frameMessage(segments, this.framing);
    this.#sink.write(text);
    this.count(type, segments);
    return text;
  }

  /** Writes a message again verbatim. */
  repeat(type: string, text: string, segments: readonly string[]): void {
    this.#sink.write(text);
    this.count(type, segments);
  }

  count(type: string, segments: readonly string[]): void {
    HospitalStats.bump(this.rows, 'message');
    HospitalStats.bump(this.rows, type);
    for (const s of segments) {
      const name = s.slice(0, 3);
      if (name === 'OBR' || name === 'OBX' || name === 'DG1') HospitalStats.bump(this.rows, name);
    }
  }

  close(): { bytes: number; sha256: string } {
    return this.#sink.close();
  }
}

interface PatientView {
  mrn: string;
  family: string;
  given: string;
  idNumber: string;
  phone: string;
  birth: string;
  birthShown: boolean;
}

/** Writes hospital B's feeds. */
export class HospitalBEmitter implements Emitter {
  #ctx: EmitterContext;
  #stats: HospitalStats;
  #labs: Readonly<Record<string, LocalLab>>;
  #adt: Hl7File;
  #lab: Hl7File;
  #vitals: Hl7File;
  #diagnoses: CsvFile;
  #drugs: CsvFile;
  #procedures: CsvFile;
  #counters = { message: 0, visit: 0, order: 0, drug: 0 };

  constructor(ctx: EmitterContext) {
    this.#ctx = ctx;
    this.#stats = ctx.stats;
    this.#labs = LABS[1] as Readonly<Record<string, LocalLab>>;
    mkdirSync(join(ctx.outDir, ctx.name), { recursive: true });
    this.#adt = new Hl7File(ctx.outDir, `${ctx.name}/adt.hl7`, 'newline');
    this.#lab = new Hl7File(ctx.outDir, `${ctx.name}/oru_lab.hl7`, 'newline');
    this.#vitals = new Hl7File(ctx.outDir, `${ctx.name}/oru_vitals.hl7`, 'mllp');
    const csv = (file: string, header: string[], kind: string): CsvFile =>
      new CsvFile(ctx.outDir, `${ctx.name}/${file}`, header, { encoding: 'utf-8', eol: '\n', kind });
    this.#diagnoses = csv(
      'diagnoses.csv',
      ['PatientID', 'VisitNo', 'DxSeq', 'DxCode', 'DxName', 'DxType', 'DxDate'],
      'diagnosis',
    );
    this.#drugs = csv(
      'drugs.csv',
      [
        'PatientID',
        'VisitNo',
        'OrderNo',
        'DrugCode',
        'GenericName',
        'Spec',
        'Dose',
        'DoseUnit',
        'Frequency',
        'Route',
        'StartTime',
        'StopTime',
      ],
      'drug',
    );
    this.#procedures = csv('procedures.csv', ['PatientID', 'VisitNo', 'ProcCode', 'ProcName', 'ProcTime'], 'procedure');
  }

  #msh(type: string, ts: string, control?: string): string {
    const id = control ?? `JN${String(++this.#counters.message).padStart(10, '0')}`;
    return `MSH|^~\\&|HIS|${FACILITY}|MERIDIAN|${this.#ctx.name.toUpperCase()}|${ts}||${type}|${id}|P|2.5|||AL|NE|CHN|UNICODE UTF-8`;
  }

  #pid(p: PatientView, person: LocalRecord['person'], death: { ts: string } | null): string {
    const ids = [components(p.mrn, '', '', FACILITY, 'MR')];
    if (p.idNumber !== '') ids.push(components(esc(p.idNumber), '', '', 'CHN', 'NNCHN'));
    const a = person.address;
    return sparseSegment('PID', {
      1: '1',
      3: ids.join('~'),
      5: components(esc(p.family), esc(p.given), '', '', '', '', 'L'),
      7: p.birth,
      8: person.sex,
      11: components(esc(a.line), esc(a.district), esc(a.city), esc(a.province), '', 'CHN', 'H'),
      13: p.phone === '' ? '' : components(p.phone, 'PRN', 'CP'),
      29: death ? death.ts : '',
      30: death ? 'Y' : '',
    });
  }

  /** Writes one patient's messages and rows. */
  add(record: LocalRecord): void {
    const ctx = this.#ctx;
    const stats = this.#stats;
    const rng = Rng.stream(ctx.root, STREAM.render, ctx.hospital, record.slot);
    const { person } = record;
    const mrn = hospitalBPatientId(record.slot);
    const guarded = isProtected(record);
    stats.localPatients++;
    const idMissing = rng.chance(DIRT.idMissing);
    const phoneMissing = rng.chance(DIRT.phoneMissing);
    if (idMissing) stats.missing('PID-3:NNCHN');
    if (phoneMissing) stats.missing('PID-13');
    const ident = renderIdentity(person, rng, { count: variantCount(rng, record), idMissing, phoneMissing, dot: '•' });
    for (const v of ident.variants) stats.identityVariants[v]++;
    if (isShared(record))
      ctx.link(person.index, {
        hospital: ctx.name,
        patientId: mrn,
        home: record.isHome,
        nearDuplicate: false,
        variants: ident.variants,
      });
    let birth = compactDate(person.birthDay);
    let birthShown = true;
    const roll = rng.float();
    if (!guarded && roll < DIRT.birthDateMissing) {
      birth = '';
      birthShown = false;
      stats.missing('PID-7');
    } else if (!guarded && roll < DIRT.birthDateMissing + DIRT.ageOver150) {
      const b = civilFromDays(person.birthDay);
      const y = civilFromDays(ctx.startDay).y - 151 - rng.int(0, 4);
      birth = compactDate(daysFromCivil(y, b.m, b.m === 2 ? Math.min(b.d, 28) : b.d));
      birthShown = false;
      stats.impossible('age_over_150');
    }
    const view: PatientView = {
      mrn,
      family: person.name.minority ? ident.full : ident.family,
      given: person.name.minority ? '' : ident.given,
      idNumber: ident.idNumber,
      phone: ident.phone,
      birth,
      birthShown,
    };
    const pidOf = (death: { ts: string } | null): string => this.#pid(view, person, death);
    for (const visit of record.visits) this.#writeVisit(rng, record, visit, view, pidOf);
  }

  #writeVisit(
    rng: Rng,
    record: LocalRecord,
    visit: Visit,
    p: PatientView,
    pidOf: (death: { ts: string } | null) => string,
  ): void {
    const stats = this.#stats;
    const visitNo = `V${String(++this.#counters.visit).padStart(10, '0')}`;
    const patientClass = visit.type === 'inpatient' ? 'I' : visit.type === 'emergency' ? 'E' : 'O';
    const startTs = hl7DateTime(visit.startDay, visit.startMinute);
    let endDay = visit.endDay;
    if (endDay !== null && !visit.protected && visit.role === 'regular' && rng.chance(DIRT.dischargeBeforeAdmission)) {
      endDay = visit.startDay - rng.int(1, 30);
      stats.impossible('discharge_before_admission');
    }
    const endTs = endDay === null ? '' : hl7DateTime(endDay, visit.endMinute);
    const doctor = components(`D${rng.int(1001, 1099)}`, rng.pick(['李', '王', '张', '陈', '刘']), '医生');
    const pv1 = (discharge: boolean): string =>
      sparseSegment('PV1', {
        1: '1',
        2: patientClass,
        3: components(esc(DEPARTMENTS[visit.department]), '', '', FACILITY),
        7: doctor,
        19: visitNo,
        36: discharge ? (visit.died ? '20' : '01') : '',
        44: startTs,
        45: discharge ? endTs : '',
      });
    const dg1 = (final: boolean): string[] =>
      visit.diagnoses
        .filter((d) => final || d.primary)
        .map((d, i) => {
          const dx = DIAGNOSES[d.key];
          return sparseSegment('DG1', {
            1: String(i + 1),
            3: components(dx.code, esc(dx.name), 'ICD10CN'),
            5: startTs,
            6: final ? 'F' : 'A',
            15: d.primary ? '1' : String(i + 1),
          });
        });
    const adt = (type: 'A01' | 'A03' | 'A04', ts: string, segments: string[]): void => {
      const full = `ADT^${type}`;
      const all = [
        this.#msh(`${full}^ADT_${type === 'A03' ? 'A03' : 'A01'}`, ts),
        segment('EVN', [type, ts]),
        ...segments,
      ];
      const text = this.#adt.write(full, all);
      const r = rng.float();
      if (r < DIRT.messageExactDuplicate) {
        this.#adt.repeat(full, text, all);
        stats.exactDuplicate('adt.hl7');
      } else if (r < DIRT.messageExactDuplicate + DIRT.messageNearDuplicate) {
        const resend = [this.#msh(`${full}^ADT_${type === 'A03' ? 'A03' : 'A01'}`, ts), ...all.slice(1)];
        this.#adt.write(full, resend);
        stats.nearDuplicate('adt.hl7');
      }
    };
    if (visit.type === 'inpatient') {
      adt('A01', startTs, [pidOf(null), pv1(false), ...dg1(false)]);
      const death = visit.died ? { ts: endTs } : null;
      adt('A03', endTs, [pidOf(death), pv1(true), ...dg1(true)]);
    } else {
      adt('A04', startTs, [pidOf(null), pv1(false), ...dg1(true)]);
    }

    visit.diagnoses.forEach((d, i) => {
      const dx = DIAGNOSES[d.key];
      let code: string = dx.code;
      if (!visit.protected && rng.chance(DIRT.dxCodeMissing)) {
        code = '';
        stats.missing('diagnoses.csv:DxCode');
      }
      this.#diagnoses.row([
        p.mrn,
        visitNo,
        String(i + 1),
        code,
        dx.name,
        d.primary ? 'primary' : 'secondary',
        styledDateTime(visit.startDay, visit.startMinute, 'iso'),
      ]);
    });
    for (const d of visit.drugs) {
      let dose = num(d.drug.dose);
      if (rng.chance(DIRT.drugDoseMissing)) {
        dose = '';
        stats.missing('drugs.csv:Dose');
      }
      this.#drugs.row([
        p.mrn,
        visitNo,
        `O${String(++this.#counters.drug).padStart(9, '0')}`,
        drugLocalCode(1, d.drugIndex),
        d.drug.generic,
        d.drug.spec,
        dose,
        d.drug.unit,
        d.drug.frequency.toUpperCase(),
        d.drug.route,
        styledDateTime(d.startDay, visit.startMinute, 'iso'),
        styledDateTime(d.endDay, 600, 'iso'),
      ]);
    }
    for (const pr of visit.procedures) {
      const proc = PROCEDURES[pr.key];
      this.#procedures.row([p.mrn, visitNo, proc.code, proc.name, styledDateTime(pr.day, pr.minute, 'iso')]);
    }
    if (visit.labs.length > 0) this.#writeLabs(rng, record, visit, p, pidOf, pv1(false));
    if (visit.vitals) this.#writeVitals(rng, record, visit, pidOf, pv1(false));
  }

  #writeLabs(
    rng: Rng,
    record: LocalRecord,
    visit: Visit,
    p: PatientView,
    pidOf: (d: null) => string,
    pv1: string,
  ): void {
    const stats = this.#stats;
    const { person } = record;
    const segments: string[] = [pidOf(null), pv1];
    let planted = false;
    let reportTs = '';
    visit.labs.forEach((order, i) => {
      const placer = `P${String(++this.#counters.order).padStart(10, '0')}`;
      const anyProtected = order.results.some((r) => r.protected);
      let day = order.day;
      let beforeBirth = false;
      if (!anyProtected && p.birthShown && rng.chance(DIRT.labBeforeBirth)) {
        day = person.birthDay - rng.int(30, 3650);
        beforeBirth = true;
        planted = true;
      }
      const collected = hl7DateTime(day, order.minute);
      const reported = hl7DateTime(day, Math.min(1439, order.minute + rng.int(60, 240)));
      reportTs = reported;
      const panel = LAB_PANELS[order.panel];
      segments.push(segment('ORC', ['RE', placer, `F${placer.slice(1)}`]));
      segments.push(
        sparseSegment('OBR', {
          1: String(i + 1),
          2: placer,
          3: `F${placer.slice(1)}`,
          4: components(panel.code, panel.name, 'L'),
          7: collected,
          14: collected,
          22: reported,
          24: 'LAB',
          25: 'F',
        }),
      );
      order.results.forEach((result, j) => {
        const test = this.#labs[result.key] as LocalLab;
        let value = formatLocal(test, toLocalValue(test, result.value));
        let unit = test.unit;
        if (beforeBirth) stats.impossible('lab_before_birth');
        else if (!result.protected) {
          const problem = drawProblem(rng, [
            ['negative_glucose', DIRT.negativeGlucose, result.key === 'glucose'],
            ['glucose_unit', DIRT.glucoseUnitError, result.key === 'glucose'],
            ['value_missing', DIRT.labValueMissing, true],
            ['unit_missing', DIRT.labUnitMissing, true],
          ]);
          if (problem !== null) planted = true;
          switch (problem) {
            case 'negative_glucose':
              value = (-toLocalValue(test, result.value)).toFixed(test.decimals);
              stats.impossible('negative_glucose');
              break;
            case 'glucose_unit':
              value = result.value.toFixed(1);
              stats.unitError('glucose_mmoll_labelled_mgdl');
              break;
            case 'value_missing':
              value = '';
              stats.missing('oru_lab.hl7:OBX-5');
              break;
            case 'unit_missing':
              unit = '';
              stats.missing('oru_lab.hl7:OBX-6');
              break;
            case null:
              break;
          }
        }
        const range = test.range[person.sex];
        const n = Number(value);
        const flag = value === '' ? '' : n > range[1] ? 'H' : n < range[0] ? 'L' : 'N';
        segments.push(
          sparseSegment('OBX', {
            1: String(j + 1),
            2: 'NM',
            3: components(test.code, esc(test.name), 'L'),
            5: value,
            6: unit,
            7: test.upperOnly
              ? `<${range[1].toFixed(test.decimals)}`
              : `${range[0].toFixed(test.decimals)}-${range[1].toFixed(test.decimals)}`,
            8: flag,
            11: 'F',
            14: reported,
          }),
        );
      });
    });
    const all = [this.#msh('ORU^R01^ORU_R01', reportTs), ...segments];
    const text = this.#lab.write('ORU^R01', all);
    if (!planted) {
      const r = rng.float();
      if (r < DIRT.messageExactDuplicate) {
        this.#lab.repeat('ORU^R01', text, all);
        stats.exactDuplicate('oru_lab.hl7');
      } else if (r < DIRT.messageExactDuplicate + DIRT.messageNearDuplicate) {
        this.#lab.write('ORU^R01', [this.#msh('ORU^R01^ORU_R01', reportTs), ...segments]);
        stats.nearDuplicate('oru_lab.hl7');
      }
    }
  }

  #writeVitals(rng: Rng, record: LocalRecord, visit: Visit, pidOf: (d: null) => string, pv1: string): void {
    const stats = this.#stats;
    const { person } = record;
    const v = visit.vitals;
    if (!v) return;
    const ts = hl7DateTime(v.day, v.minute);
    let sbp = v.sbp;
    if (!v.protected && rng.chance(DIRT.sbp900)) {
      sbp = 900;
      stats.impossible('sbp_900');
    }
    const obx: string[] = [];
    const add = (type: string, id: string, value: string, unit: string, range = '', flag = ''): void => {
      obx.push(
        sparseSegment('OBX', {
          1: String(obx.length + 1),
          2: type,
          3: id,
          5: value,
          6: unit,
          7: range,
          8: flag,
          11: 'F',
          14: ts,
        }),
      );
    };
    const spelling = rng.weighted(BP_SPELLINGS_B);
    const sFlag = sbp >= 140 ? 'H' : 'N';
    const dFlag = v.dbp >= 90 ? 'H' : 'N';
    switch (spelling) {
      case 'b-obx-loinc-pair':
        add(
          'NM',
          components('8480-6', '收缩压', 'LN'),
          String(sbp),
          components('mm[Hg]', 'mmHg', 'UCUM'),
          '90-139',
          sFlag,
        );
        add(
          'NM',
          components('8462-4', '舒张压', 'LN'),
          String(v.dbp),
          components('mm[Hg]', 'mmHg', 'UCUM'),
          '60-89',
          dFlag,
        );
        break;
      case 'b-obx-local-text':
        add('ST', components('XY', '血压', 'L'), `${sbp}/${v.dbp}`, 'mmHg');
        break;
      default:
        add('NM', components('SSY', '收缩压', 'L'), String(sbp), 'mmHg', '90-139', sFlag);
        add('NM', components('SZY', '舒张压', 'L'), String(v.dbp), 'mmHg', '60-89', dFlag);
        break;
    }
    stats.bp(spelling);
    if (v.anthropometry) {
      add('NM', components('8302-2', '身高', 'LN'), String(person.heightCm), components('cm', 'cm', 'UCUM'));
      add('NM', components('29463-7', '体重', 'LN'), person.weightKg.toFixed(1), components('kg', 'kg', 'UCUM'));
      add(
        'NM',
        components('39156-5', '体重指数', 'LN'),
        person.bmi.toFixed(1),
        components('kg/m2', 'kg/m2', 'UCUM'),
        '18.5-23.9',
      );
    }
    if (v.smokingStatus) {
      const [code, text] = SMOKING_SNOMED[person.smoking.status];
      add('CWE', components('72166-2', '吸烟状况', 'LN'), components(code, text, 'SCT'), '');
    }
    const placer = `P${String(++this.#counters.order).padStart(10, '0')}`;
    this.#vitals.write('ORU^R01', [
      this.#msh('ORU^R01^ORU_R01', ts),
      pidOf(null),
      pv1,
      sparseSegment('OBR', { 1: '1', 2: placer, 4: components('VS', '生命体征', 'L'), 7: ts, 25: 'F' }),
      ...obx,
    ]);
  }

  /** Closes every file and records them in the stats. */
  close(): void {
    for (const f of [this.#adt, this.#lab, this.#vitals]) {
      const { bytes, sha256 } = f.close();
      this.#stats.files.push({
        path: f.rel,
        format: 'hl7v2',
        encoding: 'utf-8',
        framing: f.framing,
        bytes,
        sha256,
        rows: sortKeys(f.rows),
      });
    }
    for (const f of [this.#diagnoses, this.#drugs, this.#procedures]) this.#stats.files.push(f.close());
  }
}

function sortKeys(rows: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(rows).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
