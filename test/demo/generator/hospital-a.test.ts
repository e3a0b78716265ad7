/** Hospital A (HIS CSV/Excel): encodings, workbook, identifiers, and every planted count read back from the files. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { isValidIdNumber, parseIdNumber } from '../../../src/demo/generator/index.ts';
import {
  dateStyleOf,
  exactDuplicates,
  fixture,
  hospital,
  manifestRows,
  normalizeId,
  parseAnyDate,
  readTable,
  type Table,
} from './helpers.ts';

const A = 'hospital-a';

function table(dir: string, file: string, encoding: 'gbk' | 'gb18030' | 'utf-8-bom'): Table {
  return readTable(join(dir, A, file), encoding);
}

test('the GBK export decodes with iconv-lite, is not valid UTF-8, and round-trips byte for byte', async () => {
  const { dir } = await fixture();
  const bytes = readFileSync(join(dir, A, 'his_patient.csv'));
  assert.throws(() => new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  const text = iconv.decode(bytes, 'gbk');
  assert.ok(text.startsWith('患者ID,姓名,性别,出生日期,身份证号,联系电话,住址'), text.slice(0, 40));
  assert.ok(!text.includes('\ufffd'));
  assert.deepEqual(iconv.encode(text, 'gbk'), bytes);
});

test('the lab export is GB18030 beyond GBK (the micro sign), and the document export is UTF-8 with a BOM', async () => {
  const { dir, manifest } = await fixture();
  const bytes = readFileSync(join(dir, A, 'lis_result.csv'));
  const text = iconv.decode(bytes, 'gb18030');
  assert.ok(text.includes('\u00b5mol/L'));
  assert.throws(() => new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  assert.notDeepEqual(iconv.encode(text, 'gbk'), bytes, 'GBK cannot encode the micro sign');
  assert.deepEqual(iconv.encode(text, 'gb18030'), bytes);
  const doc = readFileSync(join(dir, A, 'emr_document.csv'));
  assert.deepEqual([...doc.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
  new TextDecoder('utf-8', { fatal: true }).decode(doc);
  const encodings = Object.fromEntries(hospital(manifest, A).files.map((f) => [f.path, f.encoding]));
  assert.equal(encodings['hospital-a/lis_result.csv'], 'gb18030');
  assert.equal(encodings['hospital-a/emr_document.csv'], 'utf-8-bom');
  assert.equal(encodings['hospital-a/his_patient.csv'], 'gbk');
});

test('every CSV has the manifest row count; headers are Chinese', async () => {
  const { dir, manifest } = await fixture();
  for (const f of hospital(manifest, A).files.filter((x) => x.format === 'csv')) {
    const t = readTable(join(dir, f.path), f.encoding as 'gbk');
    assert.equal(t.rows.length, Object.values(f.rows)[0], f.path);
    assert.ok(t.header.every((h) => h.length > 0));
  }
  const visits = table(dir, 'his_visit.csv', 'gbk');
  assert.deepEqual(visits.header, ['就诊号', '患者ID', '就诊类型', '科室', '入院日期', '出院日期', '离院方式']);
  assert.deepEqual(new Set(visits.rows.map((r) => r.就诊类型)), new Set(['门诊', '急诊', '住院']));
});

test('the workbook opens with exceljs; dates are Excel serials (date cells) or text', async () => {
  const { dir, manifest } = await fixture();
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(join(dir, A, 'tj_exam.xlsx'));
  const ws = wb.getWorksheet('体检记录');
  assert.ok(ws);
  const header = (ws.getRow(1).values as unknown[]).slice(1);
  assert.deepEqual(header.slice(0, 5), ['体检号', '患者ID', '姓名', '性别', '体检日期']);
  assert.ok(header.includes('高压(mmHg)') && header.includes('低压(mmHg)'));
  let rows = 0;
  let serials = 0;
  ws.eachRow((row, n) => {
    if (n === 1) return;
    rows++;
    const date = row.getCell(5).value;
    if (date instanceof Date) serials++;
    else assert.ok(parseAnyDate(String(date)), String(date));
    assert.equal(typeof row.getCell(8).value, 'number');
  });
  assert.equal(rows, manifestRows(manifest, 'hospital-a/tj_exam.xlsx').exam);
  assert.equal(serials, hospital(manifest, A).dateStyles.excelSerial);
  assert.ok(serials > 0 && serials < rows);
});

test('ID numbers carry valid GB 11643 check characters and agree with birth date and sex', async () => {
  const { dir, manifest } = await fixture();
  const h = hospital(manifest, A);
  const t = table(dir, 'his_patient.csv', 'gbk');
  let checked = 0;
  let birthMismatch = 0;
  let emptyId = 0;
  let emptyBirth = 0;
  const seen = new Set<string>();
  for (const r of t.rows) {
    const key = JSON.stringify(r);
    const repeat = seen.has(key);
    seen.add(key);
    if (repeat) continue;
    if (r.身份证号 === '') emptyId++;
    if (r.出生日期 === '') emptyBirth++;
    if (r.身份证号 === '') continue;
    const id = normalizeId(r.身份证号 as string);
    assert.ok(isValidIdNumber(id), r.身份证号);
    const parsed = parseIdNumber(id);
    assert.ok(parsed);
    assert.equal(parsed.sex === 'M' ? '男' : '女', r.性别);
    const birth = r.出生日期 === '' ? null : parseAnyDate(r.出生日期 as string);
    if (birth !== null) {
      const fromId = `${id.slice(6, 10)}-${id.slice(10, 12)}-${id.slice(12, 14)}`;
      if (fromId !== birth) {
        birthMismatch++;
        assert.ok(Number(birth.slice(0, 4)) < 1875, `only planted age-over-150 rows disagree: ${birth} vs ${fromId}`);
      }
    }
    checked++;
  }
  assert.ok(checked > 250);
  assert.equal(birthMismatch, h.problems.impossible.age_over_150);
  assert.equal(emptyId, h.problems.missing['his_patient.csv:身份证号'] ?? 0);
  assert.equal(emptyBirth, h.problems.missing['his_patient.csv:出生日期'] ?? 0);
  const unique = [...new Map(t.rows.map((r) => [JSON.stringify(r), r])).values()];
  const ancient = unique.filter(
    (r) => r.出生日期 !== '' && Number(parseAnyDate(r.出生日期 as string)?.slice(0, 4)) < 1875,
  );
  assert.equal(ancient.length, h.problems.impossible.age_over_150);
  assert.equal(unique.filter((r) => r.联系电话 === '').length, h.problems.missing['his_patient.csv:联系电话'] ?? 0);
});

test('planted duplicates, missing values, impossible values and unit errors are exactly the manifest counts', async () => {
  const { dir, manifest } = await fixture();
  const h = hospital(manifest, A);
  const patients = table(dir, 'his_patient.csv', 'gbk');
  const labs = table(dir, 'lis_result.csv', 'gb18030');
  assert.equal(exactDuplicates(patients.raw), h.problems.duplicates.exact['his_patient.csv'] ?? 0);
  assert.equal(exactDuplicates(labs.raw), h.problems.duplicates.exact['lis_result.csv'] ?? 0);
  // Near-duplicate registrations: one ID number (normalized) under two patient ids.
  const idsByPerson = new Map<string, Set<string>>();
  for (const r of patients.rows) {
    if (r.身份证号 === '') continue;
    const k = normalizeId(r.身份证号 as string);
    const s = idsByPerson.get(k) ?? new Set<string>();
    s.add(r.患者ID as string);
    idsByPerson.set(k, s);
  }
  const near = [...idsByPerson.values()].filter((s) => s.size > 1).reduce((n, s) => n + s.size - 1, 0);
  assert.equal(near, h.problems.duplicates.near['his_patient.csv'] ?? 0);
  assert.equal(near, h.nearDuplicateRegistrations);

  const glucose = labs.rows.filter((r) => r.检验项目代码 === 'GLU' && r.结果 !== '');
  assert.equal(glucose.filter((r) => Number(r.结果) < 0).length, h.problems.impossible.negative_glucose);
  assert.equal(
    glucose.filter((r) => r.单位 === 'mmol/L' && Number(r.结果) > 40).length,
    h.problems.unitErrors.glucose_mgdl_labelled_mmoll ?? 0,
  );
  const crea = labs.rows.filter((r) => r.检验项目代码 === 'CREA' && r.结果 !== '');
  assert.equal(
    crea.filter((r) => Number(r.结果) < 20).length,
    h.problems.unitErrors.creatinine_mgdl_labelled_umoll ?? 0,
  );
  assert.equal(labs.rows.filter((r) => r.结果 === '').length, h.problems.missing['lis_result.csv:结果'] ?? 0);
  assert.equal(labs.rows.filter((r) => r.单位 === '').length, h.problems.missing['lis_result.csv:单位'] ?? 0);

  const births = new Map(patients.rows.map((r) => [r.患者ID as string, parseAnyDate(r.出生日期 as string)]));
  const beforeBirth = labs.rows.filter((r) => {
    const b = births.get(r.患者ID as string);
    const d = parseAnyDate(r.报告时间 as string);
    return b && d && d < b;
  });
  assert.equal(beforeBirth.length, h.problems.impossible.lab_before_birth);

  const visits = table(dir, 'his_visit.csv', 'gbk');
  const reversed = visits.rows.filter(
    (r) =>
      r.出院日期 !== '' &&
      (parseAnyDate(r.出院日期 as string) as string) < (parseAnyDate(r.入院日期 as string) as string),
  );
  assert.equal(reversed.length, h.problems.impossible.discharge_before_admission);
  const dx = table(dir, 'his_diagnosis.csv', 'gbk');
  assert.equal(dx.rows.filter((r) => r.诊断编码 === '').length, h.problems.missing['his_diagnosis.csv:诊断编码'] ?? 0);
  assert.ok(
    dx.rows.some((r) => /^E11\.900x001$/.test(r.诊断编码 as string)),
    'a 医保版 code appears',
  );
  assert.ok(dx.rows.every((r) => r.诊断编码 === '' || /^[A-Z]\d{2}\.[\dx]\d{2}(x\d{3})?$/.test(r.诊断编码 as string)));
  const drugs = table(dir, 'his_drug.csv', 'gbk');
  assert.equal(drugs.rows.filter((r) => r.剂量 === '').length, h.problems.missing['his_drug.csv:剂量'] ?? 0);
  const ops = table(dir, 'his_operation.csv', 'gbk');
  assert.ok(
    ops.rows.every((r) => /^\d{2}\.\d{4}$/.test(r.手术操作编码 as string)),
    'ICD-9-CM-3 codes',
  );
});

test('dates come in the manifest mix of spellings', async () => {
  const { dir, manifest } = await fixture();
  const h = hospital(manifest, A);
  const counts: Record<string, number> = {};
  const dateColumns: Record<string, string[]> = {
    'his_patient.csv': ['出生日期', '死亡日期'],
    'his_visit.csv': ['入院日期', '出院日期'],
    'his_diagnosis.csv': ['诊断日期'],
    'lis_result.csv': ['报告时间'],
    'his_drug.csv': ['开始日期', '结束日期'],
    'his_operation.csv': ['手术日期'],
    'his_vital_sign.csv': ['测量时间'],
    'emr_document.csv': ['书写时间'],
  };
  const encodings: Record<string, 'gbk' | 'gb18030' | 'utf-8-bom'> = {
    'lis_result.csv': 'gb18030',
    'emr_document.csv': 'utf-8-bom',
  };
  for (const [file, cols] of Object.entries(dateColumns)) {
    const t = table(dir, file, encodings[file] ?? 'gbk');
    const dups = new Set<string>();
    for (const [i, r] of t.rows.entries()) {
      const k = JSON.stringify(t.raw[i]);
      // An exact duplicate row repeats dates that were drawn (and counted) once; the near-duplicate registration draws its own.
      if (dups.has(k)) continue;
      dups.add(k);
      for (const c of cols) {
        const v = r[c] as string;
        if (v === '') continue;
        const style = dateStyleOf(v);
        assert.ok(style, `${file} ${c}: ${v}`);
        counts[style] = (counts[style] ?? 0) + 1;
      }
    }
  }
  const { excelSerial: _serials, ...styles } = h.dateStyles;
  // Text dates in the workbook are counted with their style too.
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(join(dir, A, 'tj_exam.xlsx'));
  (wb.getWorksheet('体检记录') as ExcelJS.Worksheet).eachRow((row, n) => {
    const v = row.getCell(5).value;
    if (n > 1 && typeof v === 'string') counts[dateStyleOf(v) as string] = (counts[dateStyleOf(v) as string] ?? 0) + 1;
  });
  assert.deepEqual(counts, styles);
  for (const s of ['iso', 'slash', 'compact', 'chinese']) assert.ok((counts[s] ?? 0) > 0, s);
});

test('blood pressure: six field spellings, workbook columns and note phrases, counted as in the manifest', async () => {
  const { dir, manifest } = await fixture();
  const h = hospital(manifest, A);
  const vit = table(dir, 'his_vital_sign.csv', 'gbk');
  const counts: Record<string, number> = {};
  const bump = (k: string): void => {
    counts[k] = (counts[k] ?? 0) + 1;
  };
  let sbp900 = 0;
  for (const r of vit.rows) {
    const item = r.项目名称 as string;
    const v = r.测量值 as string;
    if (item === '血压' && /^\d+\/\d+$/.test(v) && r.单位 === 'mmHg') bump('a-field-xueya-slash');
    else if (item === 'BP' && /^\d+\/\d+mmHg$/.test(v)) bump('a-field-bp-mmhg');
    else if (item === '血压值' && /^\d+／\d+$/.test(v)) bump('a-field-xueyazhi-fullwidth');
    else if (item === '收缩压') bump('a-fields-shousuo-shuzhang');
    else if (item === 'SBP/DBP' && /^\d+\/\d+$/.test(v)) bump('a-field-sbp-dbp');
    else if (item === '血压' && /^\d+\.\d\/\d+\.\dkPa$/.test(v)) bump('a-field-kpa');
    else assert.ok(['舒张压', '身高', '体重', '体重指数'].includes(item), `${item} ${v}`);
    if (/^900\D/.test(v) || (item === '收缩压' && v === '900')) sbp900++;
  }
  assert.equal(sbp900, h.problems.impossible.sbp_900);
  counts['a-xlsx-gaoya-diya'] = manifestRows(manifest, 'hospital-a/tj_exam.xlsx').exam as number;
  const docs = table(dir, 'emr_document.csv', 'utf-8-bom');
  counts['a-note-xueya'] = docs.rows.filter((r) => /血压：\d+\/\d+mmHg/.test(r.内容 as string)).length;
  assert.deepEqual(counts, h.bloodPressure);
  assert.ok(Object.keys(counts).length >= 8);
});

test('notes mention MMSE, APOE and smoking as often as the manifest says', async () => {
  const { dir, manifest } = await fixture();
  const h = hospital(manifest, A);
  const docs = table(dir, 'emr_document.csv', 'utf-8-bom');
  const text = docs.rows.map((r) => r.内容 as string);
  assert.equal(text.length, h.notes.total);
  assert.equal(text.filter((t) => t.includes('MMSE')).length, h.notes.mentioningMmse);
  assert.equal(text.filter((t) => t.includes('APOE')).length, h.notes.mentioningApoe);
  assert.equal(text.filter((t) => t.includes('吸烟')).length, h.notes.mentioningSmoking);
  assert.ok(text.some((t) => /MMSE评分 \d+分|MMSE：\d+\/30|（MMSE）得分\d+分/.test(t)));
  assert.ok(text.some((t) => /ε[234]\/ε[234]/.test(t)));
  assert.ok(text.some((t) => /吸烟史 ?\d+年，每日/.test(t)) && text.some((t) => t.includes('否认吸烟史')));
  assert.ok(new Set(docs.rows.map((r) => r.文书类型)).has('入院记录'));
});
