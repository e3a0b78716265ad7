import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { detectFileFormat, detectFormat, openSource } from '../../src/sources/index.ts';
import { dicomElement, dicomFile, fixtures, rejectsWith } from './helpers.ts';

const b = (s: string) => Buffer.from(s, 'latin1');

test('detectFormat: signatures first, then names, then text syntax', () => {
  const dicm = Buffer.concat([Buffer.alloc(128), b('DICM')]);
  assert.equal(detectFormat('IM0001', dicm), 'dicom');
  assert.equal(detectFormat('a.dcm', b('garbage')), 'dicom');
  assert.equal(detectFormat('book.bin', b('PK\u0003\u0004')), 'excel');
  assert.equal(detectFormat('old.xls', Buffer.from([0xd0, 0xcf, 0x11, 0xe0])), 'excel');
  assert.equal(detectFormat('feed.txt', b('MSH|^~\\&|LIS')), 'hl7v2');
  assert.equal(detectFormat('feed.dat', b('\u000bMSH|^~\\&|LIS')), 'hl7v2');
  assert.equal(detectFormat('batch.txt', b('FHS|^~\\&|LIS\rBHS|')), 'hl7v2');
  assert.equal(detectFormat('x.json', b('\n  {"resourceType":"Bundle"')), 'fhir');
  assert.equal(detectFormat('Patient.ndjson', b('{"resourceType":"Patient"}\n')), 'fhir');
  assert.equal(detectFormat('person.csv', b('person_id,gender_concept_id\n1,8507\n')), 'omop');
  assert.equal(detectFormat('PERSON.csv', Buffer.from('\uFEFFPERSON_ID,year_of_birth\n')), 'omop');
  assert.equal(detectFormat('person.csv', b('病人ID,姓名\n')), 'csv');
  assert.equal(detectFormat('his.csv', iconv.encode('病人ID,姓名\n1,张三\n', 'gbk')), 'csv');
  assert.equal(detectFormat('blob.bin', Buffer.from([1, 0, 2, 0])), undefined);
});

test('openSource opens each format with its reader (detected or given) and names a file it cannot tell', async (t) => {
  const fx = fixtures(t);
  const wb = new ExcelJS.Workbook();
  wb.addWorksheet('S').addRow(['a']);
  const xlsx = join(fx.dir, 'w.xlsx');
  await wb.xlsx.writeFile(xlsx);
  const files: [string, string][] = [
    [fx.file('his.csv', '病人ID,姓名\n1,张三\n'), 'csv'],
    [xlsx, 'excel'],
    [fx.file('adt.hl7', 'MSH|^~\\&|A|B|C|D|1||ADT^A01|X|P|2.5\r'), 'hl7v2'],
    [fx.file('b.json', '{"resourceType":"Bundle","type":"collection","entry":[]}'), 'fhir'],
    [
      fx.file('x.dcm', dicomFile({ sopInstanceUid: '1.2', dataSet: [dicomElement(0x0008, 0x0018, 'UI', '1.2')] })),
      'dicom',
    ],
    [fx.file('death.csv', 'person_id,death_date\n1,2024-01-01\n'), 'omop'],
  ];
  for (const [path, format] of files) {
    assert.equal(await detectFileFormat(path), format, path);
    const src = await openSource(path);
    assert.equal(src.format, format);
    await src.close();
  }
  const forced = await openSource(files[0]?.[0] as string, { format: 'csv', delimiter: ';' });
  assert.equal(forced.format === 'csv' && forced.info.delimiter, ';');
  await forced.close();
  await rejectsWith(
    openSource(fx.file('blob.bin', Buffer.from([1, 0, 2, 0]))),
    'MER_SOURCE_FORMAT',
    /Cannot tell the format/,
  );
  await rejectsWith(openSource(join(fx.dir, 'nope.csv')), 'MER_SOURCE_UNREADABLE');
});
