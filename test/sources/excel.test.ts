import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import ExcelJS from 'exceljs';
import { isMeridianError } from '../../src/errors/registry.ts';
import {
  columnLetters,
  type ExcelPayload,
  excelDateFromSerial,
  isDateFormat,
  normalizeCell,
  openExcel,
} from '../../src/sources/excel.ts';
import { collect, fixtures, rejectsWith } from './helpers.ts';

async function writeWorkbook(path: string, date1904 = false): Promise<void> {
  const wb = new ExcelJS.Workbook();
  wb.properties.date1904 = date1904;
  const visits = wb.addWorksheet('门诊就诊');
  visits.addRow(['　病人ID　', '姓名', '就诊日期', '收缩压', '备注', '公式', '链接']);
  const r2 = visits.addRow([
    'P001',
    { richText: [{ text: '张' }, { font: { bold: true }, text: '三' }] },
    new Date(Date.UTC(2024, 2, 1)),
    120,
    '初诊',
    { formula: 'D2*2', result: 240 },
    { text: '报告', hyperlink: 'http://pacs/1' },
  ]);
  r2.getCell(3).numFmt = 'yyyy-mm-dd';
  visits.addRow([]);
  const r4 = visits.addRow(['P002', '李四', 45352.5, 135, null, { formula: 'NA()', result: { error: '#N/A' } }]);
  r4.getCell(3).numFmt = 'yyyy/m/d h:mm';
  visits.addRow(['P003', '王五', null, 'NaN', '多余', null, null, '越界']);
  const labs = wb.addWorksheet('检验');
  labs.addRow([]);
  labs.addRow(['检验项目', '结果', '']);
  labs.addRow(['GLU', 6.1, '']);
  labs.addRow([true, 0.5]);
  await wb.xlsx.writeFile(path);
}

test('each sheet: header row, cells normalized (rich text, dates with serials, formulas, links, errors), rows', async (t) => {
  const fx = fixtures(t);
  const path = join(fx.dir, 'his.xlsx');
  await writeWorkbook(path);
  const { records, rejects } = await collect<ExcelPayload>(openExcel(path));
  assert.deepEqual(
    records.map((r) => [r.position, r.fields]),
    [
      [
        { kind: 'row', file: path, sheet: '门诊就诊', row: 2 },
        {
          病人ID: 'P001',
          姓名: '张三',
          就诊日期: { type: 'excel-date', serial: 45352, iso: '2024-03-01' },
          收缩压: 120,
          备注: '初诊',
          公式: 240,
          链接: '报告',
        },
      ],
      [
        { kind: 'row', file: path, sheet: '门诊就诊', row: 4 },
        {
          病人ID: 'P002',
          姓名: '李四',
          就诊日期: { type: 'excel-date', serial: 45352.5, iso: '2024-03-01T12:00:00' },
          收缩压: 135,
          备注: null,
          // exceljs's streaming reader drops the error text of a formula result (a plain error cell keeps it).
          公式: null,
          链接: null,
        },
      ],
      [
        { kind: 'row', file: path, sheet: '检验', row: 3 },
        { 检验项目: 'GLU', 结果: 6.1 },
      ],
      [
        { kind: 'row', file: path, sheet: '检验', row: 4 },
        { 检验项目: true, 结果: 0.5 },
      ],
    ],
  );
  assert.deepEqual(rejects, [
    {
      kind: 'reject',
      position: { kind: 'row', file: path, sheet: '门诊就诊', row: 5 },
      reason: {
        code: 'EXCEL_CELL_OUTSIDE_HEADER',
        message: 'sheet 门诊就诊 row 5 has a value in column H, right of the last header column G',
      },
    },
  ]);
  const only = await collect<ExcelPayload>(openExcel(path, { sheets: ['检验'] }));
  assert.deepEqual(
    only.records.map((r) => r.position.kind === 'row' && r.position.sheet),
    ['检验', '检验'],
  );
});

test('the 1904 date system shifts serials by 1462 days', async (t) => {
  const fx = fixtures(t);
  const path = join(fx.dir, 'mac.xlsx');
  await writeWorkbook(path, true);
  const { records } = await collect<ExcelPayload>(openExcel(path));
  // A Date written into a 1904 workbook is stored as a 1904 serial; a raw serial means a 1904 day.
  assert.deepEqual(records[0]?.fields.就诊日期, { type: 'excel-date', serial: 45352 - 1462, iso: '2024-03-01' });
  assert.deepEqual(records[1]?.fields.就诊日期, { type: 'excel-date', serial: 45352.5, iso: '2028-03-02T12:00:00' });
});

test('cell normalization and helpers', () => {
  assert.equal(isDateFormat('yyyy-mm-dd'), true);
  assert.equal(isDateFormat('[$-804]yyyy"年"m"月"d"日"'), true);
  assert.equal(isDateFormat('0.00'), false);
  assert.equal(isDateFormat('"kg"0.0'), false);
  assert.equal(isDateFormat('General'), false);
  assert.deepEqual(excelDateFromSerial(45352, false), { type: 'excel-date', serial: 45352, iso: '2024-03-01' });
  assert.equal(normalizeCell(45352, '0', false), 45352);
  assert.equal(normalizeCell(Number.NaN, undefined, false), null);
  assert.equal(normalizeCell({ error: '#DIV/0!' }, undefined, false), '#DIV/0!');
  assert.equal(normalizeCell({ sharedFormula: 'A1', result: 'x' }, undefined, false), 'x');
  assert.equal(normalizeCell({ formula: 'A1' }, undefined, false), null);
  assert.deepEqual(
    [columnLetters(1), columnLetters(26), columnLetters(27), columnLetters(703)],
    ['A', 'Z', 'AA', 'AAA'],
  );
});

test('a worksheet with corrupt compressed data fails clearly instead of hanging (exceljs waits forever on it)', async (t) => {
  const fx = fixtures(t);
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('S');
  for (let i = 0; i < 200; i++) ws.addRow([`病人${i}`, i]);
  const bytes = Buffer.from(await wb.xlsx.writeBuffer());
  const name = Buffer.from('xl/worksheets/sheet1.xml');
  const at = bytes.indexOf(name);
  const data = at + name.length + bytes.readUInt16LE(at - 2); // after the local header's name and extra field
  bytes.fill(0xff, data + 10, data + 26);
  const src = await openExcel(fx.file('corrupt.xlsx', bytes), { stallTimeoutMs: 300 });
  const started = Date.now();
  await assert.rejects(
    (async () => {
      for await (const _ of src) {
        // drain
      }
    })(),
    (e: unknown) => isMeridianError(e, 'MER_SOURCE_FORMAT') && /no progress for 300 ms/.test(e.message),
  );
  assert.ok(Date.now() - started < 5_000);
});

test('file-level failures: legacy .xls, not a ZIP, empty, a corrupt archive', async (t) => {
  const fx = fixtures(t);
  await rejectsWith(
    openExcel(fx.file('old.xls', Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0]))),
    'MER_SOURCE_FORMAT',
    /legacy \.xls/,
  );
  await rejectsWith(openExcel(fx.file('a.xlsx', 'id,name\n1,x\n')), 'MER_SOURCE_FORMAT', /not an \.xlsx workbook/);
  await rejectsWith(openExcel(fx.file('e.xlsx', '')), 'MER_SOURCE_EMPTY');
  const good = join(fx.dir, 'good.xlsx');
  await writeWorkbook(good);
  const cut = fx.file('cut.xlsx', readFileSync(good).subarray(0, 900));
  const src = await openExcel(cut);
  await assert.rejects(
    (async () => {
      for await (const _ of src) {
        // drain
      }
    })(),
    (e: unknown) =>
      isMeridianError(e, 'MER_SOURCE_FORMAT') && /cut\.xlsx is not a readable \.xlsx workbook/.test(e.message),
  );
});
