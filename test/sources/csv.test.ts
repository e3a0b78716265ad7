import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import iconv from 'iconv-lite';
import { type CsvPayload, headerNames, openCsv } from '../../src/sources/csv.ts';
import { CsvParser, detectDelimiter } from '../../src/sources/csv-parser.ts';
import { formatPosition } from '../../src/sources/types.ts';
import { collect, fixtures, rejectsWith } from './helpers.ts';

test('RFC 4180: quoted delimiters, doubled quotes, embedded CRLF/LF, CRLF line ends, BOM; exact values and lines', async (t) => {
  const fx = fixtures(t);
  const text =
    '\uFEFF病人ID,姓名,备注\r\n' +
    '1001,张三,"含逗号, 和 ""引号"""\r\n' +
    '1002,李四,"第一行\r\n第二行\n第三行"\r\n' +
    '\r\n' +
    '1003,王五,\r\n' +
    '1004,"赵六",末行无换行';
  const src = await openCsv(fx.file('his.csv', text));
  assert.deepEqual(src.info, {
    encoding: 'utf-8',
    encodingSource: 'bom',
    delimiter: ',',
    header: ['病人ID', '姓名', '备注'],
    headerLine: 1,
  });
  const { records, rejects } = await collect(src);
  assert.deepEqual(rejects, []);
  assert.deepEqual(
    records.map((r) => [r.position.kind === 'line' ? r.position.line : -1, r.fields]),
    [
      [2, { 病人ID: '1001', 姓名: '张三', 备注: '含逗号, 和 "引号"' }],
      [3, { 病人ID: '1002', 姓名: '李四', 备注: '第一行\r\n第二行\n第三行' }],
      [7, { 病人ID: '1003', 姓名: '王五', 备注: '' }],
      [8, { 病人ID: '1004', 姓名: '赵六', 备注: '末行无换行' }],
    ],
  );
  assert.equal(formatPosition(records[1]?.position ?? { kind: 'file', file: '' }), `${fx.dir}/his.csv:3`);
});

test('GBK export: encoding detected (reported as gb18030), Chinese headers trimmed, full-width spaces normalized', async (t) => {
  const fx = fixtures(t);
  const text = '　病人 ID　,姓名,　性别 ,出生日期,,姓名\r\n1001,张三,男,1980-01-02,x,重复\r\n';
  const path = fx.file('gbk.csv', iconv.encode(text, 'gbk'));
  const src = await openCsv(path);
  assert.equal(src.info.encoding, 'gb18030');
  assert.equal(src.info.encodingSource, 'detected');
  assert.deepEqual(src.info.header, ['病人 ID', '姓名', '性别', '出生日期', 'column_5', '姓名_2']);
  const { records } = await collect(src);
  assert.deepEqual(records[0]?.fields, {
    '病人 ID': '1001',
    姓名: '张三',
    性别: '男',
    出生日期: '1980-01-02',
    column_5: 'x',
    姓名_2: '重复',
  });
  const declared = await collect(openCsv(path, { encoding: 'GBK' }));
  assert.equal(declared.records[0]?.fields.姓名, '张三');
});

test('GB18030 four-byte characters (rare surname 𠀾, €) decode in a GB18030 file', async (t) => {
  const fx = fixtures(t);
  const path = fx.file('gb18030.csv', iconv.encode('姓名,金额\n𠀾小明,€12\n', 'gb18030'));
  const { records } = await collect(openCsv(path, { encoding: 'gb18030' }));
  assert.deepEqual(records[0]?.fields, { 姓名: '𠀾小明', 金额: '€12' });
});

test('delimiter detection: tab, semicolon, pipe; commas inside quotes do not fool it', async (t) => {
  assert.equal(detectDelimiter('a\tb\tc\n1\t2\t3\n', true), '\t');
  assert.equal(detectDelimiter('a;b;c\n"1,5";2;3\n"x,y,z";5;6\n', true), ';');
  assert.equal(detectDelimiter('a|b\n1|2\n', true), '|');
  assert.equal(detectDelimiter('a,b,c\n"x;y;z;w",2,3\n', true), ',');
  assert.equal(detectDelimiter('only\none\n', true), ',');
  const fx = fixtures(t);
  const src = await openCsv(fx.file('lab.tsv', '检验代码\t结果\t单位\nGLU\t6.1\tmmol/L\n'));
  assert.equal(src.info.delimiter, '\t');
  const { records } = await collect(src);
  assert.deepEqual(records[0]?.fields, { 检验代码: 'GLU', 结果: '6.1', 单位: 'mmol/L' });
});

test('truncated last record (unterminated quote at EOF) is a reject with its line; earlier records are kept', async (t) => {
  const fx = fixtures(t);
  const path = fx.file('cut.csv', 'id,note\n1,ok\n2,"cut off in the mid');
  const { records, rejects } = await collect(openCsv(path));
  assert.equal(records.length, 1);
  assert.deepEqual(rejects, [
    {
      kind: 'reject',
      position: { kind: 'line', file: path, line: 3 },
      reason: {
        code: 'CSV_UNTERMINATED_QUOTE',
        message: 'line 3: a quoted field is never closed (truncated record or stray quote)',
      },
    },
  ]);
});

test('a stray quote mid-file costs its own line only; later records are read normally', async (t) => {
  const fx = fixtures(t);
  const path = fx.file('stray.csv', 'id,note\n1,ok\n2,"stray\n3,fine\n4,"quoted, fine"\n');
  const { records, rejects } = await collect(openCsv(path));
  assert.deepEqual(
    rejects.map((r) => [r.reason.code, r.position.kind === 'line' && r.position.line]),
    [['CSV_BAD_QUOTE', 3]],
  );
  assert.deepEqual(
    records.map((r) => r.fields),
    [
      { id: '1', note: 'ok' },
      { id: '3', note: 'fine' },
      { id: '4', note: 'quoted, fine' },
    ],
  );
  // A stray quote with no quote after it is refused the same way, at the end of the file.
  const lone = await collect(openCsv(fx.file('lone.csv', 'id,note\n1,"stray\n2,fine\n')));
  assert.deepEqual(
    lone.rejects.map((r) => [r.reason.code, r.position.kind === 'line' && r.position.line]),
    [['CSV_UNTERMINATED_QUOTE', 2]],
  );
  assert.deepEqual(
    lone.records.map((r) => r.fields.id),
    ['2'],
  );
});

test('wrong field count and text after a closing quote are rejects naming line and counts', async (t) => {
  const fx = fixtures(t);
  const path = fx.file('bad.csv', 'a,b,c\n1,2\n1,2,3,4\n"x"y,2,3\n5,6,7\n');
  const { records, rejects } = await collect(openCsv(path));
  assert.deepEqual(
    rejects.map((r) => [r.reason.code, r.reason.message]),
    [
      ['CSV_FIELD_COUNT', 'line 2 has 2 fields; the header (line 1) has 3'],
      ['CSV_FIELD_COUNT', 'line 3 has 4 fields; the header (line 1) has 3'],
      ['CSV_BAD_QUOTE', 'line 4: text follows a closing quote before the delimiter'],
    ],
  );
  assert.deepEqual(
    records.map((r) => r.fields),
    [{ a: '5', b: '6', c: '7' }],
  );
});

test('undecodable bytes in one UTF-8 record reject that line only', async (t) => {
  const fx = fixtures(t);
  const good = Buffer.from('姓名,科室\n张三,内分泌科\n'.repeat(20));
  const bad = Buffer.concat([Buffer.from('李'), Buffer.from([0xff, 0xfe]), Buffer.from(',心内科\n')]);
  const path = fx.file('corrupt.csv', Buffer.concat([good, bad, Buffer.from('王五,外科\n')]));
  const { records, rejects } = await collect(openCsv(path));
  assert.deepEqual(
    rejects.map((r) => [r.reason.code, r.position.kind === 'line' && r.position.line]),
    [['ENCODING_INVALID', 41]],
  );
  assert.equal(records.at(-1)?.fields.姓名, '王五');
});

test('an over-long record is refused and reading resumes on the next line', async (t) => {
  const fx = fixtures(t);
  const path = fx.file('long.csv', `a,b\n1,${'x'.repeat(5000)}\n2,short\n`);
  const { records, rejects } = await collect(openCsv(path, { recordCharsMax: 1000, chunkBytes: 256 }));
  assert.deepEqual(
    rejects.map((r) => [r.reason.code, r.position.kind === 'line' && r.position.line]),
    [['CSV_RECORD_TOO_LARGE', 2]],
  );
  assert.deepEqual(
    records.map((r) => r.fields),
    [{ a: '2', b: 'short' }],
  );
});

test('file-level failures: empty, blank, missing, a directory, a workbook, a wrong declared encoding', async (t) => {
  const fx = fixtures(t);
  await rejectsWith(openCsv(fx.file('empty.csv', '')), 'MER_SOURCE_EMPTY', /empty\.csv is empty \(0 bytes\)/);
  await rejectsWith(openCsv(fx.file('blank.csv', '\uFEFF\r\n\r\n  \n')), 'MER_SOURCE_EMPTY', /no header row/);
  await rejectsWith(openCsv(join(fx.dir, 'missing.csv')), 'MER_SOURCE_UNREADABLE', /missing\.csv: no such file/);
  mkdirSync(join(fx.dir, 'adir.csv'));
  await rejectsWith(openCsv(join(fx.dir, 'adir.csv')), 'MER_SOURCE_UNREADABLE', /directory/);
  await rejectsWith(
    openCsv(fx.file('book.csv', Buffer.from('PK\u0003\u0004\u0014\u0000\u0006\u0000rest'))),
    'MER_SOURCE_FORMAT',
    /ZIP archive/,
  );
  const gbk = fx.file('gbk.csv', iconv.encode('姓名,性别\n张三,男\n李四,女\n', 'gbk'));
  await rejectsWith(openCsv(gbk, { encoding: 'utf-8' }), 'MER_SOURCE_ENCODING', /gbk\.csv was declared UTF-8/);
  const utf8 = fx.file('utf8.csv', '姓名,性别\n张三,男\n李四,女\n');
  await rejectsWith(openCsv(utf8, { encoding: 'gbk' }), 'MER_SOURCE_ENCODING', /valid UTF-8/);
  await rejectsWith(openCsv(utf8, { delimiter: ',,' }), 'MER_SOURCE_OPTION');
  await rejectsWith(openCsv(fx.file('hdr.csv', 'a,"b\n')), 'MER_SOURCE_FORMAT', /header row \(line 1\)/);
});

test('header names: normalized, never empty, unique, never __proto__', () => {
  assert.deepEqual(headerNames([' a ', '', 'a', '__proto__', '\u3000收缩压\u3000']), [
    'a',
    'column_2',
    'a_2',
    'column_4',
    '收缩压',
  ]);
});

/** Writes a table as RFC 4180 CSV, quoting fields that need it (and some that do not). */
function toCsv(rows: string[][], eol: string): string {
  return rows
    .map((r) => r.map((f) => (/[",\r\n]/.test(f) || f.startsWith(' ') ? `"${f.replaceAll('"', '""')}"` : f)).join(','))
    .join(eol)
    .concat(eol);
}

test('property: random tables (quotes, commas, newlines, Chinese) round-trip through GBK files read in tiny chunks', async (t) => {
  const fx = fixtures(t);
  const cell = fc.string({
    unit: fc.constantFrom('张', '三', '血', '压', 'a', '1', ',', '"', '\n', '\r\n', ' ', '；'),
    maxLength: 12,
  });
  let n = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 4 }).chain((w) =>
        fc.tuple(
          fc.array(
            fc.constantFrom('甲', '乙', '丙', '丁').map((h) => h),
            { minLength: w, maxLength: w },
          ),
          fc.array(fc.array(cell, { minLength: w, maxLength: w }), { maxLength: 8 }),
        ),
      ),
      fc.constantFrom('\n', '\r\n'),
      fc.integer({ min: 1, max: 9 }),
      async ([header, rows], eol, chunkBytes) => {
        const names = header.map((h, i) => `${h}${i}`);
        // A record whose only field is empty is a blank line, which CSV readers skip; keep it out of the data.
        const data = rows.filter((r) => !(r.length === 1 && r[0] === ''));
        const path = fx.file(`p${n++}.csv`, iconv.encode(`医院,${toCsv([names, ...data], eol)}`.slice(3), 'gbk'));
        const { records, rejects } = await collect<CsvPayload>(openCsv(path, { encoding: 'gbk', chunkBytes }));
        assert.deepEqual(rejects, []);
        assert.deepEqual(
          records.map((r) => names.map((h) => r.fields[h])),
          data,
        );
      },
    ),
    { numRuns: 120 },
  );
});

test('parser: a CR at a chunk end followed by LF in the next chunk is one line break', () => {
  const p = new CsvParser({ delimiter: ',', recordCharsMax: 100 });
  const events = [...p.push('a,b\r'), ...p.push('\n1,2\r'), ...p.push('\n3,4'), ...p.finish()];
  assert.deepEqual(
    events.map((e) => (e.kind === 'values' ? [e.line, e.values] : e)),
    [
      [1, ['a', 'b']],
      [2, ['1', '2']],
      [3, ['3', '4']],
    ],
  );
});
