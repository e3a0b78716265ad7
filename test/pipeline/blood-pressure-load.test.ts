/**
 * Blood pressure in every spelling the consortium's hospitals use, loaded through the real loader: each
 * reading must land as two measurement rows, systolic 8480-6 and diastolic 8462-4, in mm[Hg]. The person id
 * of each input record names its spelling, so the test can say which one went wrong.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import iconv from 'iconv-lite';
import { XlsxWriter } from '../../src/demo/generator/writers/xlsx.ts';
import type { MappingSpecInput } from '../../src/pipeline/mapping.ts';
import { BP_LOINC } from '../../src/pipeline/units.ts';
import { openTestPipeline, type TestPipeline } from './load-helpers.ts';

type Side = 'systolic' | 'diastolic';
const SIDES: readonly Side[] = ['systolic', 'diastolic'];

/** One-field spellings (a CSV column, an HL7 text OBX, a FHIR valueString, a note): label → text, expected. */
const ONE_FIELD: readonly [string, string, number, number][] = [
  ['slash', '120/80', 120, 80],
  ['slash-mmhg', '120/80mmHg', 120, 80],
  ['fullwidth-slash', '120／80', 120, 80],
  ['fullwidth-digits', '１２０／８０', 120, 80],
  ['bp-colon', 'BP:120/80', 120, 80],
  ['xueya-space-unit', '血压 120/80 mmHg', 120, 80],
  ['xueya-fullwidth-colon', '血压：135/85毫米汞柱', 135, 85],
  ['spaced-slash', '142 / 91 mmHg', 142, 91],
  ['kpa', '16.0/10.7kPa', 120, 80.3],
  ['kpa-bare', '18.5/13.1', 138.8, 98.3],
  ['shousuo-shuzhang', '收缩压120 舒张压80', 120, 80],
  ['shousuo-shuzhang-units', '收缩压：135mmHg，舒张压：85mmHg', 135, 85],
  ['sbp-dbp', 'SBP 120 DBP 80', 120, 80],
  ['gaoya-diya', '高压150 低压95', 150, 95],
];

let p: TestPipeline;
before(async () => {
  p = await openTestPipeline();
});
after(async () => {
  await p.close();
});

/** Readings that landed for a load: label → side → value, every row in mm[Hg]. */
async function landed(source: string): Promise<Map<string, Partial<Record<Side, number>>>> {
  const rows = await p.lake.query(
    `select m.person_id, m.measurement_code, m.value, m.unit from measurement m
     where m.mapping_version like '${source}-%' order by m.person_id`,
  );
  const out = new Map<string, Partial<Record<Side, number>>>();
  for (const r of rows) {
    assert.equal(r.unit, 'mm[Hg]', `${String(r.person_id)} unit`);
    const side = r.measurement_code === BP_LOINC.systolic ? 'systolic' : 'diastolic';
    assert.ok(r.measurement_code === BP_LOINC[side], String(r.measurement_code));
    const reading = out.get(String(r.person_id)) ?? {};
    assert.equal(reading[side], undefined, `${String(r.person_id)} has one ${side} row`);
    reading[side] = r.value as number;
    out.set(String(r.person_id), reading);
  }
  return out;
}

function dir(name: string, files: Record<string, string | Buffer>): string {
  const d = join(p.dir, 'in', name);
  mkdirSync(d, { recursive: true });
  for (const [f, c] of Object.entries(files)) writeFileSync(join(d, f), c);
  return d;
}

/** Two specs taking one side each of a one-field reading at `from` (`person` and `at`: where the id and time are). */
function textSpecs(
  prefix: string,
  from: string,
  extra: Partial<MappingSpecInput> = {},
  where: { person: string; at: string } = { person: '患者ID', at: '测量时间' },
) {
  return SIDES.map(
    (side): MappingSpecInput => ({
      id: `${prefix}-${side}`,
      version: 1,
      target: 'measurement',
      ...extra,
      fields: {
        person_id: { from: where.person },
        measurement_code: { const: BP_LOINC[side] },
        value: { from, bloodPressure: side, max: 300 },
        unit: { unitOf: 'value' },
        measured_at: { from: where.at, as: 'datetime' },
      },
    }),
  );
}

test('fourteen one-field spellings in a GBK CSV column each land as a systolic and a diastolic row', async () => {
  const lines = ['患者ID,测量时间,测量值', ...ONE_FIELD.map(([label, text]) => `${label},2024-03-01 09:00,"${text}"`)];
  lines.push(
    'bad-impossible,2024-03-01 09:00,900/80',
    'bad-inverted,2024-03-01 09:00,80/120',
    'bad-text,2024-03-01 09:00,未测',
  );
  const d = dir('one-field', { 'vital.csv': iconv.encode(`${lines.join('\r\n')}\r\n`, 'gbk') });
  const specs = textSpecs('bp-csv', '测量值');
  const profile = {
    source: 'bp-csv',
    rules: [{ match: '*.csv', format: 'csv', encoding: 'gbk', specs: specs.map((s) => s.id) }],
  };
  const summary = await p.load(d, profile, specs);
  assert.equal(summary.totals.rowsLoaded, ONE_FIELD.length * 2 + 1);
  const got = await landed('bp-csv');
  for (const [label, text, systolic, diastolic] of ONE_FIELD) {
    assert.deepEqual(got.get(label), { systolic, diastolic }, `${label}: ${text}`);
  }
  assert.deepEqual(got.get('bad-impossible'), { diastolic: 80 });
  const q = await p.lake.query(
    `select source_position, code, field from quarantine where source = 'bp-csv' order by source_position, code`,
  );
  assert.deepEqual(
    q.map((r) => [r.source_position, r.code, r.field]),
    [
      [`vital.csv:${ONE_FIELD.length + 2}`, 'MAP_RANGE', 'value'],
      [`vital.csv:${ONE_FIELD.length + 3}`, 'MAP_BLOOD_PRESSURE', 'value'],
      [`vital.csv:${ONE_FIELD.length + 3}`, 'MAP_BLOOD_PRESSURE', 'value'],
      [`vital.csv:${ONE_FIELD.length + 4}`, 'MAP_BLOOD_PRESSURE', 'value'],
      [`vital.csv:${ONE_FIELD.length + 4}`, 'MAP_BLOOD_PRESSURE', 'value'],
    ],
  );
});

test('separate columns, long-format 收缩压/舒张压 rows, 高压/低压 workbook columns and a note sentence', async () => {
  const wide = ['患者ID,测量时间,收缩压,舒张压', 'wide-columns,2024-03-01 09:00,128,84'].join('\n');
  const long = [
    '患者ID,测量时间,项目名称,测量值,单位',
    'long-rows,2024-03-01 09:00,收缩压,131,mmHg',
    'long-rows,2024-03-01 09:00,舒张压,86,mmHg',
    'long-rows-kpa,2024-03-01 09:00,收缩压,16.0,kPa',
    'long-rows-kpa,2024-03-01 09:00,舒张压,10.0,kPa',
  ].join('\n');
  const notes = [
    '患者ID,测量时间,内容',
    'note-xueya,2024-03-01 09:00,"体格检查：T 36.5℃，P 79次/分，血压：139/98mmHg。MMSE：24/30。"',
    'note-none,2024-03-01 09:00,"出院小结：病情好转。"',
  ].join('\n');
  const d = dir('columns', { 'wide.csv': wide, 'long.csv': long, 'notes.csv': notes });
  const x = new XlsxWriter(join(d, 'exam.xlsx'), '体检记录');
  x.addRow(['患者ID', '体检日期', '高压(mmHg)', '低压(mmHg)'].map((v) => ({ t: 's' as const, v })));
  x.addRow([
    { t: 's', v: 'xlsx-gaoya-diya' },
    { t: 'd', v: 45352 },
    { t: 'n', v: 133 },
    { t: 'n', v: 79 },
  ]);
  x.close();
  const column = (id: string, side: Side, from: string, at: string): MappingSpecInput => ({
    id,
    version: 1,
    target: 'measurement',
    fields: {
      person_id: { from: '患者ID' },
      measurement_code: { const: BP_LOINC[side] },
      value: { from, as: 'number', required: true, max: 300, convert: { analyte: 'blood_pressure', unit: 'mmHg' } },
      unit: { unitOf: 'value' },
      measured_at: { from: at, as: 'datetime' },
    },
  });
  const longRow = (side: Side): MappingSpecInput => ({
    id: `bp-cols-long-${side}`,
    version: 1,
    target: 'measurement',
    when: { 项目名称: [side === 'systolic' ? '收缩压' : '舒张压'] },
    fields: {
      person_id: { from: '患者ID' },
      measurement_code: { const: BP_LOINC[side] },
      value: { from: '测量值', as: 'number', max: 300, convert: { analyte: 'blood_pressure', unitFrom: '单位' } },
      unit: { unitOf: 'value' },
      measured_at: { from: '测量时间', as: 'datetime' },
    },
  });
  const noteSpecs = textSpecs('bp-cols-note', '内容', { skipWhenEmpty: ['value'] }).map((s) => ({
    ...s,
    fields: { ...s.fields, value: { ...s.fields.value, pattern: '(血压[:：]\\s*\\d+/\\d+\\s*mmHg)' } },
  }));
  const specs = [
    column('bp-cols-wide-systolic', 'systolic', '收缩压', '测量时间'),
    column('bp-cols-wide-diastolic', 'diastolic', '舒张压', '测量时间'),
    column('bp-cols-xlsx-systolic', 'systolic', '高压(mmHg)', '体检日期'),
    column('bp-cols-xlsx-diastolic', 'diastolic', '低压(mmHg)', '体检日期'),
    longRow('systolic'),
    longRow('diastolic'),
    ...noteSpecs,
  ];
  const ids = (prefix: string) => specs.filter((s) => s.id.startsWith(prefix)).map((s) => s.id);
  const profile = {
    source: 'bp-cols',
    rules: [
      { match: 'wide.csv', format: 'csv', specs: ids('bp-cols-wide') },
      { match: 'long.csv', format: 'csv', specs: ids('bp-cols-long') },
      { match: 'notes.csv', format: 'csv', specs: ids('bp-cols-note') },
      { match: '*.xlsx', format: 'excel', specs: ids('bp-cols-xlsx') },
    ],
  };
  const summary = await p.load(d, profile, specs);
  assert.deepEqual([summary.totals.failed, summary.totals.rejected], [0, 0]);
  const got = await landed('bp-cols');
  assert.deepEqual(Object.fromEntries(got), {
    'wide-columns': { systolic: 128, diastolic: 84 },
    'long-rows': { systolic: 131, diastolic: 86 },
    'long-rows-kpa': { systolic: 16 * 7.50062, diastolic: 10 * 7.50062 },
    'xlsx-gaoya-diya': { systolic: 133, diastolic: 79 },
    'note-xueya': { systolic: 139, diastolic: 98 },
  });
});

test('HL7 OBX pairs (LOINC and local codes) and a local text OBX; FHIR components, separate Observations and valueString', async () => {
  const msh = (id: string) => `MSH|^~\\&|HIS|JNUH|MERIDIAN|B|20240301090000||ORU^R01^ORU_R01|${id}|P|2.5`;
  const oru = (patient: string, obx: string[]) =>
    [msh(patient), `PID|1||${patient}^^^JNUH^MR`, 'OBR|1|P1||VS^生命体征^L|||20240301090000', ...obx].join('\r');
  const hl7 = [
    oru('hl7-loinc-pair', [
      'OBX|1|NM|8480-6^收缩压^LN||124|mm[Hg]^mmHg^UCUM|90-139|N|||F|||20240301090000',
      'OBX|2|NM|8462-4^舒张压^LN||78|mm[Hg]^mmHg^UCUM|60-89|N|||F|||20240301090000',
      'OBX|3|NM|8302-2^身高^LN||170|cm^cm^UCUM|||||F|||20240301090000',
    ]),
    oru('hl7-local-pair', [
      'OBX|1|NM|SSY^收缩压^L||162|mmHg|90-139|H|||F|||20240301090000',
      'OBX|2|NM|SZY^舒张压^L||96|mmHg|60-89|H|||F|||20240301090000',
    ]),
    oru('hl7-local-text', ['OBX|1|ST|XY^血压^L||146/88|mmHg|||||F|||20240301090000']),
  ].join('\n');
  const obs = (patient: string, code: string, rest: object) => ({
    resourceType: 'Observation',
    id: `${patient}-${code}`,
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code }] },
    subject: { reference: `Patient/${patient}` },
    effectiveDateTime: '2024-03-01T09:00:00+08:00',
    ...rest,
  });
  const mmHg = (value: number) => ({ value, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' });
  const fhir = [
    obs('fhir-panel', '85354-9', {
      component: [
        { code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] }, valueQuantity: mmHg(151) },
        { code: { coding: [{ system: 'http://loinc.org', code: '8462-4' }] }, valueQuantity: mmHg(78) },
      ],
    }),
    obs('fhir-separate', '8480-6', { valueQuantity: mmHg(118) }),
    obs('fhir-separate', '8462-4', { valueQuantity: mmHg(76) }),
    obs('fhir-text', 'XY001', { valueString: '120/80 mmHg' }),
  ]
    .map((r) => JSON.stringify(r))
    .join('\n');
  const d = dir('hl7-fhir', { 'vitals.hl7': `${hl7}\n`, 'Observation.ndjson': `${fhir}\n` });
  const hl7Side = (side: Side): MappingSpecInput => ({
    id: `bp-msg-hl7-${side}`,
    version: 1,
    target: 'measurement',
    each: 'OBX',
    when: { 'OBX-3.1': side === 'systolic' ? ['8480-6', 'SSY'] : ['8462-4', 'SZY'] },
    fields: {
      person_id: { from: 'PID-3.1' },
      measurement_code: { const: BP_LOINC[side] },
      value: { from: 'OBX-5', as: 'number', max: 300, convert: { analyte: 'blood_pressure', unitFrom: 'OBX-6' } },
      unit: { unitOf: 'value' },
      measured_at: { from: 'OBX-14', as: 'datetime' },
    },
  });
  const hl7Text = textSpecs(
    'bp-msg-hl7-text',
    'OBX-5',
    { each: 'OBX', when: { 'OBX-3.1': ['XY'] } },
    {
      person: 'PID-3.1',
      at: 'OBX-14',
    },
  );
  const fhirValue = {
    person_id: { from: 'subject.reference', as: 'reference' },
    unit: { unitOf: 'value' },
    measured_at: { from: 'effectiveDateTime', as: 'datetime' },
  } as const;
  const fhirSpecs: MappingSpecInput[] = [
    {
      id: 'bp-msg-fhir-panel',
      version: 1,
      target: 'measurement',
      when: { 'code.coding.code': ['85354-9'] },
      each: 'component',
      fields: {
        ...fhirValue,
        measurement_code: { from: '@.code.coding.code' },
        value: {
          from: '@.valueQuantity.value',
          as: 'number',
          convert: { analyteOfField: 'measurement_code', unitFrom: '@.valueQuantity.code' },
        },
      },
    },
    {
      id: 'bp-msg-fhir-separate',
      version: 1,
      target: 'measurement',
      when: { 'code.coding.code': ['8480-6', '8462-4'] },
      fields: {
        ...fhirValue,
        measurement_code: { from: 'code.coding.code' },
        value: {
          from: 'valueQuantity.value',
          as: 'number',
          convert: { analyteOfField: 'measurement_code', unitFrom: 'valueQuantity.code' },
        },
      },
    },
    ...SIDES.map(
      (side): MappingSpecInput => ({
        id: `bp-msg-fhir-text-${side}`,
        version: 1,
        target: 'measurement',
        when: { 'code.coding.code': ['XY001'] },
        fields: {
          ...fhirValue,
          measurement_code: { const: BP_LOINC[side] },
          value: { from: 'valueString', bloodPressure: side },
        },
      }),
    ),
  ];
  const specs = [hl7Side('systolic'), hl7Side('diastolic'), ...hl7Text, ...fhirSpecs];
  const profile = {
    source: 'bp-msg',
    rules: [
      { match: '*.hl7', format: 'hl7v2', specs: specs.filter((s) => s.id.includes('hl7')).map((s) => s.id) },
      { match: '*.ndjson', format: 'fhir', specs: fhirSpecs.map((s) => s.id) },
    ],
  };
  const summary = await p.load(d, profile, specs);
  assert.deepEqual([summary.totals.failed, summary.totals.rejected], [0, 0]);
  const got = await landed('bp-msg');
  assert.deepEqual(Object.fromEntries(got), {
    'fhir-panel': { systolic: 151, diastolic: 78 },
    'fhir-separate': { systolic: 118, diastolic: 76 },
    'fhir-text': { systolic: 120, diastolic: 80 },
    'hl7-local-pair': { systolic: 162, diastolic: 96 },
    'hl7-local-text': { systolic: 146, diastolic: 88 },
    'hl7-loinc-pair': { systolic: 124, diastolic: 78 },
  });
});
