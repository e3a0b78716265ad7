/**
 * Round trips through the loader for every source type: a small handcrafted file with known records, read by
 * the real reader, mapped by small specs, written to the lake — then the exact DWD rows (codes, converted
 * values, units, dates and timestamps, lineage) and the quarantine rows of the bad records are checked.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import iconv from 'iconv-lite';
import { dicomFile } from '../../src/demo/generator/writers/dicom.ts';
import { XlsxWriter } from '../../src/demo/generator/writers/xlsx.ts';
import type { MappingSpecInput } from '../../src/pipeline/mapping.ts';
import { openTestPipeline, type TestPipeline } from './load-helpers.ts';

let p: TestPipeline;
before(async () => {
  p = await openTestPipeline();
});
after(async () => {
  await p.close();
});

/** A fresh directory under the pipeline's temp dir holding the given files. */
function inputDir(name: string, files: Record<string, string | Buffer>): string {
  const dir = join(p.dir, 'in', name);
  mkdirSync(dir, { recursive: true });
  for (const [file, content] of Object.entries(files)) writeFileSync(join(dir, file), content);
  return dir;
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Rows of a lake table without the load id, timestamps as ISO strings, in a stable order. */
async function rows(sql: string): Promise<Record<string, unknown>[]> {
  const out = await p.lake.query(sql);
  return out.map((r) => {
    const { load_id: _, ...rest } = r;
    return Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v]));
  });
}

/**
 * Person rows as the lake holds them, opened: identifiers must be ciphertexts there and decrypt to the values
 * mapped; blind indexes are keyed hashes, shown as a marker.
 */
async function persons(sql: string): Promise<Record<string, unknown>[]> {
  const out = await rows(sql);
  return out.map((r) => {
    for (const f of ['id_number', 'name', 'phone', 'local_patient_id']) {
      if (typeof r[f] === 'string') assert.match(r[f] as string, /^mer1\./, `person.${f} is encrypted at rest`);
    }
    const open = p.crypto.decryptRow('person', r);
    for (const f of ['id_number_bidx', 'name_bidx', 'phone_bidx'])
      if (typeof open[f] === 'string') open[f] = '(blind index)';
    return open;
  });
}

async function quarantine(source: string): Promise<Record<string, unknown>[]> {
  return rows(
    `select source_name, source_position, code, field, mapping_version, message from quarantine where source = '${source}' order by source_position`,
  );
}

test('CSV in GBK with Chinese headers: glucose in mg/dL and mmol/L land equal; bad rows are quarantined', async () => {
  const csv = [
    '检验单号,患者ID,检验项目代码,检验项目名称,结果,单位,异常标志,报告时间',
    'JY1,P001,GLU,葡萄糖,126,mg/dL,↑,2023-05-01 08:30',
    'JY2,P001,GLU,葡萄糖,7.0,mmol/L,↑,2023/5/1 8:30',
    'JY3,P002,CREA,肌酐,1.00,mg/dl,,20230502',
    'JY4,P002,GLU,葡萄糖,,mmol/L,,2023年5月2日',
    'JY5,P003,GLU,葡萄糖,5.6,mmol/L,,2023-02-30',
    'JY6,P003,XYZ,未知项目,1,U/L,,2023-05-03',
    'JY7,P003,GLU,葡萄糖,5.6,furlongs,,2023-05-03',
  ].join('\r\n');
  const dir = inputDir('csv', { 'lis.csv': iconv.encode(`${csv}\r\n`, 'gbk') });
  const spec: MappingSpecInput = {
    id: 'rt-csv-lab',
    version: 1,
    target: 'measurement',
    fields: {
      person_id: { from: '患者ID' },
      measurement_code: { from: '检验项目代码', codeMap: 'lab', nameFrom: '检验项目名称' },
      source_code: { from: '检验项目代码' },
      value: {
        from: '结果',
        as: 'number',
        required: true,
        convert: { analyteOfField: 'measurement_code', unitFrom: '单位' },
      },
      unit: { unitOf: 'value' },
      source_value: { from: '结果' },
      measured_at: { from: '报告时间', as: 'datetime' },
      abnormal_flag: { from: '异常标志', codeMap: 'flag' },
    },
    codeMaps: { lab: { entries: { GLU: '14749-6', CREA: '14682-9' } }, flag: { entries: { '↑': 'H', '↓': 'L' } } },
  };
  const profile = { source: 'rt-csv', rules: [{ match: '*.csv', format: 'csv', encoding: 'gbk', specs: [spec.id] }] };
  const summary = await p.load(dir, profile, [spec]);
  assert.deepEqual([summary.totals.recordsRead, summary.totals.rowsLoaded, summary.totals.rejected], [7, 3, 4]);
  assert.deepEqual(summary.files[0]?.unmapped, [
    { codeMap: 'lab', code: 'XYZ', name: '未知项目', count: 1, spec: spec.id },
  ]);
  const sha = sha256(join(dir, 'lis.csv'));
  const base = { visit_id: null, source_sha256: sha, mapping_version: 'rt-csv-lab@1' };
  assert.deepEqual(
    await rows(`select * from measurement where mapping_version = 'rt-csv-lab@1' order by source_position`),
    [
      {
        ...base,
        person_id: 'P001',
        measurement_code: '14749-6',
        source_code: 'GLU',
        value: 7,
        unit: 'mmol/L',
        source_value: '126',
        measured_at: '2023-05-01T00:30:00.000Z',
        abnormal_flag: 'H',
        source_position: 'lis.csv:2',
      },
      {
        ...base,
        person_id: 'P001',
        measurement_code: '14749-6',
        source_code: 'GLU',
        value: 7,
        unit: 'mmol/L',
        source_value: '7.0',
        measured_at: '2023-05-01T00:30:00.000Z',
        abnormal_flag: 'H',
        source_position: 'lis.csv:3',
      },
      {
        ...base,
        person_id: 'P002',
        measurement_code: '14682-9',
        source_code: 'CREA',
        value: 88.4,
        unit: 'umol/L',
        source_value: '1.00',
        measured_at: '2023-05-01T16:00:00.000Z',
        abnormal_flag: null,
        source_position: 'lis.csv:4',
      },
    ],
  );
  const q = await quarantine('rt-csv');
  assert.deepEqual(
    q.map((r) => [r.source_position, r.code, r.field, r.mapping_version]),
    [
      ['lis.csv:5', 'MAP_REQUIRED', 'value', 'rt-csv-lab@1'],
      ['lis.csv:6', 'MAP_VALUE', 'measured_at', 'rt-csv-lab@1'],
      ['lis.csv:7', 'MAP_CODE', 'measurement_code', 'rt-csv-lab@1'],
      ['lis.csv:8', 'MAP_UNIT', 'value', 'rt-csv-lab@1'],
    ],
  );
  assert.match(String(q[1]?.message), /day 30 does not exist in 2023-02/);
  assert.match(String(q[3]?.message), /unknown unit "furlongs" for glucose/);
});

test('Excel workbook: serial dates, numeric cells, 高压/低压 columns → two blood-pressure rows per exam', async () => {
  const dir = join(p.dir, 'in', 'excel');
  mkdirSync(dir, { recursive: true });
  const xlsx = new XlsxWriter(join(dir, 'exam.xlsx'), '体检记录');
  const s = (v: string) => ({ t: 's' as const, v });
  const n = (v: number) => ({ t: 'n' as const, v });
  xlsx.addRow([s('体检号'), s('患者ID'), s('体检日期'), s('高压(mmHg)'), s('低压(mmHg)'), s('空腹血糖(mmol/L)')]);
  xlsx.addRow([s('TJ1'), s('P001'), { t: 'd', v: 45352 }, n(128), n(82), n(5.4)]);
  xlsx.addRow([s('TJ2'), s('P002'), s('2024/3/2'), n(900), n(85), n(6.1)]);
  xlsx.addRow([s('TJ3'), s('P003'), { t: 'd', v: 45353 }, null, n(70), n(4.9)]);
  xlsx.close();
  const side = (id: string, column: string, code: string): MappingSpecInput => ({
    id,
    version: 1,
    target: 'measurement',
    fields: {
      person_id: { from: '患者ID' },
      measurement_code: { const: code },
      value: {
        from: column,
        as: 'number',
        required: true,
        max: 300,
        convert: { analyte: 'blood_pressure', unit: 'mmHg' },
      },
      unit: { unitOf: 'value' },
      measured_at: { from: '体检日期', as: 'datetime' },
    },
  });
  const specs = [side('rt-xlsx-sbp', '高压(mmHg)', '8480-6'), side('rt-xlsx-dbp', '低压(mmHg)', '8462-4')];
  const profile = { source: 'rt-excel', rules: [{ match: '*.xlsx', format: 'excel', specs: specs.map((x) => x.id) }] };
  const summary = await p.load(dir, profile, specs);
  assert.deepEqual([summary.totals.recordsRead, summary.totals.rowsLoaded, summary.totals.rejected], [3, 4, 2]);
  const got = await rows(
    `select person_id, measurement_code, value, unit, measured_at, source_position, mapping_version from measurement where mapping_version like 'rt-xlsx-%' order by source_position, measurement_code desc`,
  );
  assert.deepEqual(got, [
    {
      person_id: 'P001',
      measurement_code: '8480-6',
      value: 128,
      unit: 'mm[Hg]',
      measured_at: '2024-02-29T16:00:00.000Z',
      source_position: 'exam.xlsx!体检记录:2',
      mapping_version: 'rt-xlsx-sbp@1',
    },
    {
      person_id: 'P001',
      measurement_code: '8462-4',
      value: 82,
      unit: 'mm[Hg]',
      measured_at: '2024-02-29T16:00:00.000Z',
      source_position: 'exam.xlsx!体检记录:2',
      mapping_version: 'rt-xlsx-dbp@1',
    },
    {
      person_id: 'P002',
      measurement_code: '8462-4',
      value: 85,
      unit: 'mm[Hg]',
      measured_at: '2024-03-01T16:00:00.000Z',
      source_position: 'exam.xlsx!体检记录:3',
      mapping_version: 'rt-xlsx-dbp@1',
    },
    {
      person_id: 'P003',
      measurement_code: '8462-4',
      value: 70,
      unit: 'mm[Hg]',
      measured_at: '2024-03-01T16:00:00.000Z',
      source_position: 'exam.xlsx!体检记录:4',
      mapping_version: 'rt-xlsx-dbp@1',
    },
  ]);
  const q = await quarantine('rt-excel');
  assert.deepEqual(
    q.map((r) => [r.source_position, r.code, r.field, r.mapping_version]),
    [
      ['exam.xlsx!体检记录:3', 'MAP_RANGE', 'value', 'rt-xlsx-sbp@1'],
      ['exam.xlsx!体检记录:4', 'MAP_REQUIRED', 'value', 'rt-xlsx-sbp@1'],
    ],
  );
  assert.match(String(q[0]?.message), /900 is above the plausible maximum 300/);
});

const HL7_ADT = [
  'MSH|^~\\&|HIS|JNUH|MERIDIAN|B|20240623134300||ADT^A04^ADT_A01|C1|P|2.5',
  'EVN|A04|20240623134300',
  'PID|1||M001^^^JNUH^MR~120101196506100989^^^CHN^NNCHN||许^燕慧||19650610|F|||||15308631608^PRN^CP',
  'PV1|1|O|内分泌科^^^JNUH||||||||||||||||V001|||||||||||||||||||||||||20240623134300',
].join('\r');
const HL7_ORU = [
  'MSH|^~\\&|HIS|JNUH|MERIDIAN|B|20240623184500||ORU^R01^ORU_R01|C2|P|2.5',
  'PID|1||M001^^^JNUH^MR||许^燕慧||19650610|F',
  'PV1|1|O|内分泌科^^^JNUH||||||||||||||||V001',
  'OBR|1|P1|F1|BIO^生化^L|||20240623150800',
  'OBX|1|NM|1023^血糖^L||126|mg/dL|70-110|H|||F|||20240623184500',
  'OBX|2|NM|1031^肌酐^L||0.50|mg/dL|0.64-1.26|L|||F|||20240623184500',
  'OBX|3|NM|1051^总胆固醇^L||193.35|mg/dL|<200|N|||F|||20240623184500',
  'OBX|4|NM|1061^血钾^L||4.6||3.5-5.3|N|||F|||20240623184500',
  'OBX|5|NM|1023^血糖^L||99|mg/dL|70-110|N|||F|||19600101080000',
].join('\r');

test('HL7 v2: an ADT^A04 gives a person and a visit; an ORU^R01 gives one measurement per OBX', async () => {
  const dir = inputDir('hl7', { 'feed.hl7': `${HL7_ADT}\n${HL7_ORU}\n` });
  const person: MappingSpecInput = {
    id: 'rt-hl7-person',
    version: 1,
    target: 'person',
    when: { 'MSH-9.1': ['ADT'] },
    fields: {
      person_id: { from: 'PID-3[1].1' },
      id_number: { from: 'PID-3[2].1' },
      name: { from: 'PID-5.1', concat: ['PID-5.2'] },
      phone: { from: 'PID-13.1' },
      gender: { from: 'PID-8', as: 'sex' },
      birth_date: { from: 'PID-7', as: 'date' },
      year_of_birth: { from: 'PID-7', pattern: '^(\\d{4})', as: 'number' },
      region_code: { from: 'PID-3[2].1', pattern: '^(\\d{6})' },
    },
  };
  const visit: MappingSpecInput = {
    id: 'rt-hl7-visit',
    version: 1,
    target: 'visit_occurrence',
    when: { 'MSH-9.1': ['ADT'] },
    fields: {
      visit_id: { from: 'PV1-19' },
      person_id: { from: 'PID-3[1].1' },
      visit_type: { from: 'PV1-2', codeMap: 'class' },
      start_date: { from: 'PV1-44', as: 'date' },
      department: { from: 'PV1-3.1' },
    },
    codeMaps: { class: { entries: { O: 'outpatient', I: 'inpatient', E: 'emergency' } } },
  };
  const lab: MappingSpecInput = {
    id: 'rt-hl7-lab',
    version: 1,
    target: 'measurement',
    when: { 'MSH-9.1': ['ORU'] },
    each: 'OBX',
    fields: {
      person_id: { from: 'PID-3[1].1' },
      visit_id: { from: 'PV1-19' },
      measurement_code: { from: 'OBX-3.1', codeMap: 'lab' },
      source_code: { from: 'OBX-3.1' },
      value: { from: 'OBX-5', as: 'number', convert: { analyteOfField: 'measurement_code', unitFrom: 'OBX-6' } },
      unit: { unitOf: 'value' },
      measured_at: { from: 'OBX-14', as: 'datetime', notBefore: { from: 'PID-7' } },
      abnormal_flag: { from: 'OBX-8' },
    },
    codeMaps: { lab: { entries: { '1023': '14749-6', '1031': '14682-9', '1051': '14647-2', '1061': '2823-3' } } },
  };
  const specs = [person, visit, lab];
  const profile = { source: 'rt-hl7', rules: [{ match: '*.hl7', format: 'hl7v2', specs: specs.map((s) => s.id) }] };
  const summary = await p.load(dir, profile, specs);
  assert.deepEqual([summary.totals.recordsRead, summary.totals.rowsLoaded, summary.totals.rejected], [2, 5, 2]);
  const sha = sha256(join(dir, 'feed.hl7'));
  assert.deepEqual(await persons(`select * from person where mapping_version = 'rt-hl7-person@1'`), [
    {
      person_id: 'M001',
      patient_token: null,
      local_patient_id: null,
      id_number: '120101196506100989',
      name: '许燕慧',
      phone: '15308631608',
      id_number_check: 'ok',
      id_number_bidx: '(blind index)',
      name_bidx: '(blind index)',
      phone_bidx: '(blind index)',
      gender: 'F',
      birth_date: '1965-06-10',
      year_of_birth: 1965,
      region_code: '120101',
      source_sha256: sha,
      source_position: 'feed.hl7#1',
      mapping_version: 'rt-hl7-person@1',
    },
  ]);
  assert.deepEqual(await rows(`select * from visit_occurrence where mapping_version = 'rt-hl7-visit@1'`), [
    {
      visit_id: 'V001',
      person_id: 'M001',
      visit_type: 'outpatient',
      start_date: '2024-06-23',
      end_date: null,
      department: '内分泌科',
      source_sha256: sha,
      source_position: 'feed.hl7#1',
      mapping_version: 'rt-hl7-visit@1',
    },
  ]);
  const labs = await rows(
    `select measurement_code, source_code, round(value, 6) as value, unit, measured_at, abnormal_flag, visit_id, source_position from measurement where mapping_version = 'rt-hl7-lab@1' order by source_position`,
  );
  assert.deepEqual(labs, [
    {
      measurement_code: '14749-6',
      source_code: '1023',
      value: 7,
      unit: 'mmol/L',
      measured_at: '2024-06-23T10:45:00.000Z',
      abnormal_flag: 'H',
      visit_id: 'V001',
      source_position: 'feed.hl7#2/5(OBX)',
    },
    {
      measurement_code: '14682-9',
      source_code: '1031',
      value: 44.2,
      unit: 'umol/L',
      measured_at: '2024-06-23T10:45:00.000Z',
      abnormal_flag: 'L',
      visit_id: 'V001',
      source_position: 'feed.hl7#2/6(OBX)',
    },
    {
      measurement_code: '14647-2',
      source_code: '1051',
      value: 5,
      unit: 'mmol/L',
      measured_at: '2024-06-23T10:45:00.000Z',
      abnormal_flag: 'N',
      visit_id: 'V001',
      source_position: 'feed.hl7#2/7(OBX)',
    },
  ]);
  const q = await quarantine('rt-hl7');
  assert.deepEqual(
    q.map((r) => [r.source_position, r.code, r.field]),
    [
      ['feed.hl7#2/8(OBX)', 'MAP_UNIT', 'value'],
      ['feed.hl7#2/9(OBX)', 'MAP_RANGE', 'measured_at'],
    ],
  );
  assert.match(String(q[1]?.message), /precedes PID-7 1965-06-10/);
});

const FHIR_PATIENT = {
  resourceType: 'Patient',
  id: 'pat-1',
  identifier: [{ system: 'urn:mrn', value: 'C001' }],
  name: [{ text: '肖华浩' }],
  gender: 'male',
  birthDate: '1966-01-21',
  deceasedDateTime: '2024-03-05T10:00:00+08:00',
};
const FHIR_BP = {
  resourceType: 'Observation',
  id: 'bp-1',
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '85354-9' }] },
  subject: { reference: 'Patient/pat-1' },
  encounter: { reference: 'Encounter/enc-1' },
  effectiveDateTime: '2024-03-01T09:30:00+08:00',
  component: [
    {
      code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] },
      valueQuantity: { value: 16, unit: 'kPa', system: 'http://unitsofmeasure.org', code: 'kPa' },
    },
    {
      code: { coding: [{ system: 'http://loinc.org', code: '8462-4' }] },
      valueQuantity: { value: 80, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' },
    },
  ],
};
const FHIR_GLUCOSE = (id: string, value: number, unit: string | undefined) => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  code: { coding: [{ system: 'urn:lab', code: 'LAB0101' }] },
  subject: { reference: 'Patient/pat-1' },
  effectiveDateTime: '2024-03-01T10:00:00+08:00',
  valueQuantity: unit === undefined ? { value } : { value, unit, system: 'http://unitsofmeasure.org', code: unit },
});

test('FHIR bundle and NDJSON: Patient, death, BP panel components and a lab, with one rejected entry', async () => {
  const bundle = {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [FHIR_PATIENT, FHIR_BP, FHIR_GLUCOSE('glu-1', 6.2, 'mmol/L')].map((resource) => ({
      resource,
      request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` },
    })),
  };
  const ndjson = [FHIR_GLUCOSE('glu-2', 117, 'mg/dL'), FHIR_GLUCOSE('glu-3', 5.0, undefined)]
    .map((r) => JSON.stringify(r))
    .join('\n');
  const dir = inputDir('fhir', { 'bundle.json': JSON.stringify(bundle), 'Observation.ndjson': `${ndjson}\n` });
  const subject = { person_id: { from: 'subject.reference', as: 'reference' } } as const;
  const specs: MappingSpecInput[] = [
    {
      id: 'rt-fhir-person',
      version: 1,
      target: 'person',
      when: { resourceType: ['Patient'] },
      fields: {
        person_id: { from: 'id' },
        local_patient_id: { from: 'identifier[system=urn:mrn].value' },
        name: { from: 'name.text' },
        gender: { from: 'gender', as: 'sex' },
        birth_date: { from: 'birthDate', as: 'date' },
      },
    },
    {
      id: 'rt-fhir-death',
      version: 1,
      target: 'death',
      when: { resourceType: ['Patient'] },
      skipWhenEmpty: ['death_date'],
      fields: { person_id: { from: 'id' }, death_date: { from: 'deceasedDateTime', as: 'date' } },
    },
    {
      id: 'rt-fhir-bp',
      version: 1,
      target: 'measurement',
      when: { resourceType: ['Observation'], 'code.coding.code': ['85354-9'] },
      each: 'component',
      fields: {
        ...subject,
        visit_id: { from: 'encounter.reference', as: 'reference' },
        measurement_code: { from: '@.code.coding.code' },
        value: {
          from: '@.valueQuantity.value',
          as: 'number',
          convert: { analyteOfField: 'measurement_code', unitFrom: '@.valueQuantity.code' },
        },
        unit: { unitOf: 'value' },
        measured_at: { from: 'effectiveDateTime', as: 'datetime' },
      },
    },
    {
      id: 'rt-fhir-lab',
      version: 1,
      target: 'measurement',
      when: { resourceType: ['Observation'], 'code.coding[system=urn:lab].code': ['LAB0101'] },
      fields: {
        ...subject,
        measurement_code: { const: '14749-6' },
        value: {
          from: 'valueQuantity.value',
          as: 'number',
          convert: { analyte: 'glucose', unitFrom: 'valueQuantity.code' },
        },
        unit: { unitOf: 'value' },
        measured_at: { from: 'effectiveDateTime', as: 'datetime' },
      },
    },
  ];
  const profile = {
    source: 'rt-fhir',
    rules: [
      { match: '*.json', format: 'fhir', specs: specs.map((s) => s.id) },
      { match: '*.ndjson', format: 'fhir', specs: ['rt-fhir-lab'] },
    ],
  };
  const summary = await p.load(dir, profile, specs);
  assert.deepEqual(summary.totals.failed, 0);
  assert.deepEqual([summary.totals.recordsRead, summary.totals.rowsLoaded, summary.totals.rejected], [5, 6, 1]);
  assert.deepEqual(
    await persons(
      `select person_id, local_patient_id, name, gender, birth_date, source_position from person where mapping_version = 'rt-fhir-person@1'`,
    ),
    [
      {
        person_id: 'pat-1',
        local_patient_id: 'C001',
        name: '肖华浩',
        gender: 'M',
        birth_date: '1966-01-21',
        source_position: 'bundle.json[0]',
      },
    ],
  );
  assert.deepEqual(
    await rows(`select person_id, death_date, source_position from death where mapping_version = 'rt-fhir-death@1'`),
    [{ person_id: 'pat-1', death_date: '2024-03-05', source_position: 'bundle.json[0]' }],
  );
  assert.deepEqual(
    await rows(
      `select person_id, visit_id, measurement_code, value, unit, measured_at, source_position, mapping_version from measurement where mapping_version like 'rt-fhir-%' order by source_position`,
    ),
    // Upper-case file names sort first.
    [
      {
        person_id: 'pat-1',
        visit_id: null,
        measurement_code: '14749-6',
        value: 6.5,
        unit: 'mmol/L',
        measured_at: '2024-03-01T02:00:00.000Z',
        source_position: 'Observation.ndjson:1',
        mapping_version: 'rt-fhir-lab@1',
      },
      {
        person_id: 'pat-1',
        visit_id: 'enc-1',
        measurement_code: '8480-6',
        value: 16 * 7.50062,
        unit: 'mm[Hg]',
        measured_at: '2024-03-01T01:30:00.000Z',
        source_position: 'bundle.json[1]@component[0]',
        mapping_version: 'rt-fhir-bp@1',
      },
      {
        person_id: 'pat-1',
        visit_id: 'enc-1',
        measurement_code: '8462-4',
        value: 80,
        unit: 'mm[Hg]',
        measured_at: '2024-03-01T01:30:00.000Z',
        source_position: 'bundle.json[1]@component[1]',
        mapping_version: 'rt-fhir-bp@1',
      },
      {
        person_id: 'pat-1',
        visit_id: null,
        measurement_code: '14749-6',
        value: 6.2,
        unit: 'mmol/L',
        measured_at: '2024-03-01T02:00:00.000Z',
        source_position: 'bundle.json[2]',
        mapping_version: 'rt-fhir-lab@1',
      },
    ],
  );
  assert.deepEqual(
    (await quarantine('rt-fhir')).map((r) => [r.source_position, r.code, r.field]),
    [['Observation.ndjson:2', 'MAP_UNIT', 'value']],
  );
});

test('DICOM header: one imaging_study row per instance; a missing StudyInstanceUID is a reader reject', async () => {
  const header = (studyUid: string | null, sop: string) =>
    dicomFile({
      sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
      sopInstanceUid: sop,
      charset: 'GB18030',
      elements: [
        { tag: 0x00080020, vr: 'DA', value: '20200315' },
        { tag: 0x00080050, vr: 'SH', value: 'CT2020000001' },
        { tag: 0x00080060, vr: 'CS', value: 'CT' },
        { tag: 0x00081030, vr: 'LO', value: '胸部CT平扫' },
        { tag: 0x00100010, vr: 'PN', value: '张^三' },
        { tag: 0x00100020, vr: 'LO', value: 'C001' },
        { tag: 0x00180015, vr: 'CS', value: 'CHEST' },
        ...(studyUid === null ? [] : [{ tag: 0x0020000d, vr: 'UI', value: studyUid }]),
        { tag: 0x0020000e, vr: 'UI', value: '1.2.3.4.1' },
      ],
    });
  const dir = inputDir('dicom', { 'a.dcm': header('1.2.3.4', '1.2.3.4.1.1'), 'b.dcm': header(null, '1.2.3.4.1.2') });
  const spec: MappingSpecInput = {
    id: 'rt-dicom',
    version: 1,
    target: 'imaging_study',
    fields: {
      person_id: { from: 'PatientID' },
      study_uid: { from: 'StudyInstanceUID' },
      modality: { from: 'Modality' },
      body_part: { from: 'BodyPartExamined' },
      study_date: { from: 'StudyDate', as: 'date' },
      description: { from: 'StudyDescription' },
      location: { from: 'AccessionNumber' },
    },
  };
  const profile = { source: 'rt-dicom', rules: [{ match: '*.dcm', format: 'dicom', specs: [spec.id] }] };
  const summary = await p.load(dir, profile, [spec]);
  assert.deepEqual([summary.totals.recordsRead, summary.totals.rowsLoaded, summary.totals.rejected], [2, 1, 1]);
  assert.deepEqual(await rows(`select * from imaging_study where mapping_version = 'rt-dicom@1'`), [
    {
      person_id: 'C001',
      study_uid: '1.2.3.4',
      modality: 'CT',
      body_part: 'CHEST',
      study_date: '2020-03-15',
      description: '胸部CT平扫',
      location: 'CT2020000001',
      source_sha256: sha256(join(dir, 'a.dcm')),
      source_position: 'a.dcm',
      mapping_version: 'rt-dicom@1',
    },
  ]);
  assert.deepEqual(
    (await quarantine('rt-dicom')).map((r) => [r.source_position, r.code, r.mapping_version]),
    [['b.dcm', 'DICOM_INVALID_UID', null]],
  );
});

test('OMOP CDM CSV: typed columns map to person; a row missing a required column is a reader reject', async () => {
  const csv = [
    'person_id,gender_concept_id,year_of_birth,month_of_birth,day_of_birth,race_concept_id,ethnicity_concept_id,person_source_value',
    '101,8507,1950,3,7,0,0,P101',
    '102,8532,1961,,,0,0,P102',
    '103,8532,,,,0,0,P103',
  ].join('\n');
  const dir = inputDir('omop', { 'person.csv': `${csv}\n` });
  const spec: MappingSpecInput = {
    id: 'rt-omop-person',
    version: 1,
    target: 'person',
    fields: {
      person_id: { from: 'person_id' },
      local_patient_id: { from: 'person_source_value' },
      gender: { from: 'gender_concept_id', as: 'sex', codeMap: 'gender' },
      year_of_birth: { from: 'year_of_birth', as: 'number' },
    },
    codeMaps: { gender: { entries: { '8507': 'M', '8532': 'F' } } },
  };
  // omopTable is given because the reader opens the landed ODS copy, whose name does not say the table.
  const profile = {
    source: 'rt-omop',
    rules: [{ match: 'person.csv', format: 'omop', omopTable: 'person', specs: [spec.id] }],
  };
  const summary = await p.load(dir, profile, [spec]);
  assert.deepEqual([summary.totals.recordsRead, summary.totals.rowsLoaded, summary.totals.rejected], [3, 2, 1]);
  assert.deepEqual(
    await persons(
      `select person_id, local_patient_id, gender, year_of_birth, source_position from person where mapping_version = 'rt-omop-person@1' order by person_id`,
    ),
    [
      { person_id: '101', local_patient_id: 'P101', gender: 'M', year_of_birth: 1950, source_position: 'person.csv:2' },
      { person_id: '102', local_patient_id: 'P102', gender: 'F', year_of_birth: 1961, source_position: 'person.csv:3' },
    ],
  );
  assert.deepEqual(
    (await quarantine('rt-omop')).map((r) => [r.source_position, r.code]),
    [['person.csv:4', 'OMOP_REQUIRED']],
  );
});
