import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyMapping, type MappingSpec, mappingVersion, parseMappingSpec } from '../../src/pipeline/mapping.ts';

const labSpec = {
  id: 'hospital-a-his-lab',
  version: 2,
  target: 'measurement',
  when: { 检验项目代码: ['GLU', 'CREA'] },
  fields: {
    person_id: { from: '患者ID' },
    measurement_code: { from: '检验项目代码', codeMap: 'lab' },
    source_code: { from: '检验项目代码' },
    value: { from: '结果', as: 'number', convert: { analyte: 'glucose', unitFrom: '单位' } },
    unit: { const: 'mmol/L' },
    source_value: { from: '结果' },
    measured_at: { from: '检验时间', as: 'datetime' },
  },
  codeMaps: { lab: { entries: { GLU: '2345-7' } } },
};

function spec(input: unknown): MappingSpec {
  const r = parseMappingSpec(input);
  assert.ok(r.ok, r.ok ? '' : r.problems.join('; '));
  return r.spec;
}

const get = (rec: Record<string, unknown>) => (p: string) => rec[p];

test('a record is mapped with code map, unit conversion and Beijing time', () => {
  const s = spec(labSpec);
  assert.equal(mappingVersion(s), 'hospital-a-his-lab@2');
  const r = applyMapping(
    s,
    get({ 患者ID: 'P001', 检验项目代码: 'GLU', 结果: '１２６', 单位: 'mg/dl', 检验时间: '2023年5月1日 08:30' }),
  );
  assert.equal(r.kind, 'row');
  if (r.kind !== 'row') return;
  assert.equal(r.row.measurement_code, '2345-7');
  assert.ok(Math.abs((r.row.value as number) - 7) < 1e-9);
  assert.equal(r.row.measured_at, '2023-05-01T00:30:00.000Z');
  assert.equal(r.row.source_value, '126');
});

test('records outside `when` are skipped; unknown codes are listed and rejected; bad values name the field', () => {
  const s = spec(labSpec);
  assert.deepEqual(applyMapping(s, get({ 检验项目代码: 'HB' })), { kind: 'skip' });
  const unknown = applyMapping(
    s,
    get({ 患者ID: 'P1', 检验项目代码: 'CREA', 结果: '80', 单位: 'mmol/L', 检验时间: '2023-05-01' }),
  );
  assert.equal(unknown.kind, 'reject');
  if (unknown.kind === 'reject') {
    assert.equal(unknown.field, 'measurement_code');
    assert.deepEqual(unknown.unmapped, [{ codeMap: 'lab', code: 'CREA' }]);
  }
  const bad = applyMapping(
    s,
    get({ 患者ID: 'P1', 检验项目代码: 'GLU', 结果: '5.6', 单位: 'furlongs', 检验时间: '2023-05-01' }),
  );
  assert.deepEqual(bad.kind === 'reject' && [bad.field, /unknown unit/.test(bad.reason)], ['value', true]);
  const missing = applyMapping(s, get({ 检验项目代码: 'GLU', 结果: '5.6', 单位: 'mmol/L', 检验时间: '2023-05-01' }));
  assert.deepEqual(missing.kind === 'reject' && missing.field, 'person_id');
  const date = applyMapping(
    s,
    get({ 患者ID: 'P1', 检验项目代码: 'GLU', 结果: '5.6', 单位: 'mmol/L', 检验时间: '2023-02-30' }),
  );
  assert.deepEqual(date.kind === 'reject' && date.field, 'measured_at');
});

test('blood pressure text maps to two measurement rows by two specs', () => {
  const base = {
    target: 'measurement',
    fields: { person_id: { from: 'pid' }, measured_at: { from: 'date', as: 'datetime' }, unit: { const: 'mm[Hg]' } },
  };
  const sys = spec({
    ...base,
    id: 'bp-sys',
    version: 1,
    fields: {
      ...base.fields,
      measurement_code: { const: '8480-6' },
      value: { from: '血压', bloodPressure: 'systolic' },
    },
  });
  const dia = spec({
    ...base,
    id: 'bp-dia',
    version: 1,
    fields: {
      ...base.fields,
      measurement_code: { const: '8462-4' },
      value: { from: '血压', bloodPressure: 'diastolic' },
    },
  });
  const rec = get({ pid: 'P9', date: '2024-01-02 10:00', 血压: '收缩压：135mmHg，舒张压：85mmHg' });
  const a = applyMapping(sys, rec);
  const b = applyMapping(dia, rec);
  assert.deepEqual([a.kind === 'row' && a.row.value, b.kind === 'row' && b.row.value], [135, 85]);
});

test('sex codes in every common spelling; invalid specs are refused naming the field', () => {
  const p = spec({
    id: 'person',
    version: 1,
    target: 'person',
    fields: { person_id: { from: 'id' }, gender: { from: 'sex', as: 'sex' } },
  });
  for (const [raw, want] of [
    ['男', 'M'],
    ['女性', 'F'],
    ['1', 'M'],
    ['2', 'F'],
    ['未知', 'U'],
  ]) {
    const r = applyMapping(p, get({ id: 'x', sex: raw }));
    assert.equal(r.kind === 'row' && r.row.gender, want, raw);
  }
  const bad = parseMappingSpec({
    id: 'Bad Id',
    version: 0,
    target: 'measurement',
    fields: { nonsense: { from: 'x' }, value: { from: 'y', codeMap: 'none' } },
  });
  assert.equal(bad.ok, false);
  if (!bad.ok) {
    const text = bad.problems.join('\n');
    for (const part of [
      'id:',
      'version:',
      'fields.nonsense: measurement has no field "nonsense"',
      'no code map "none"',
      'required field "person_id"',
    ]) {
      assert.ok(text.includes(part), `${part} in\n${text}`);
    }
  }
});

test('pattern extracts the first capture group (after decode), concat joins parts, no match leaves the field empty', () => {
  const s = spec({
    id: 'extract',
    version: 1,
    target: 'person',
    fields: {
      person_id: { from: 'id' },
      gender: { const: 'U', as: 'sex' },
      name: { from: 'family', concat: ['given', 'absent'] },
      region_code: { from: 'idNumber', pattern: '^(\\d{6})' },
      year_of_birth: { from: 'birth', pattern: '^(\\d{4})', as: 'number' },
      phone: { from: 'note', decode: 'base64', pattern: '电话[:：]?\\s*(1\\d{10})' },
    },
  });
  const note = Buffer.from('联系电话：13800138000。', 'utf8').toString('base64');
  const r = applyMapping(
    s,
    get({ id: 'P1', family: '欧阳', given: '娜娜', idNumber: '３１０１０１19800101001X', birth: '1980年1月1日', note }),
  );
  assert.deepEqual(r.kind === 'row' && [r.row.name, r.row.region_code, r.row.year_of_birth, r.row.phone], [
    '欧阳娜娜',
    '310101',
    1980,
    '13800138000',
  ]);
  const none = applyMapping(s, get({ id: 'P1', family: '李', idNumber: 'passport E123', birth: '', note: '' }));
  assert.deepEqual(none.kind === 'row' && [none.row.name, none.row.region_code, none.row.year_of_birth], [
    '李',
    null,
    null,
  ]);
});

test('required, min, max and notBefore refuse a record with MAP_REQUIRED or MAP_RANGE naming the field', () => {
  const s = spec({
    id: 'ranges',
    version: 1,
    target: 'measurement',
    fields: {
      person_id: { from: 'pid' },
      measurement_code: { const: '14749-6' },
      value: { from: 'v', as: 'number', required: true, min: 0, max: 100 },
      measured_at: { from: 'at', as: 'datetime', notBefore: { from: 'birth' } },
    },
  });
  const ok = { pid: 'P', v: '5.5', at: '2024-01-02 08:00', birth: '19500101' };
  assert.equal(applyMapping(s, get(ok)).kind, 'row');
  const cases: [Record<string, unknown>, string, string, RegExp][] = [
    [{ v: '' }, 'MAP_REQUIRED', 'value', /missing/],
    [{ v: '-1' }, 'MAP_RANGE', 'value', /below the plausible minimum 0/],
    [{ v: '900' }, 'MAP_RANGE', 'value', /above the plausible maximum 100/],
    [{ at: '1949-12-31 23:00' }, 'MAP_RANGE', 'measured_at', /precedes birth 1950-01-01/],
  ];
  for (const [change, code, field, reason] of cases) {
    const r = applyMapping(s, get({ ...ok, ...change }));
    assert.equal(r.kind, 'reject', JSON.stringify(change));
    if (r.kind === 'reject') {
      assert.deepEqual([r.code, r.field], [code, field]);
      assert.match(r.reason, reason);
    }
  }
  const visit = spec({
    id: 'visit',
    version: 1,
    target: 'visit_occurrence',
    fields: {
      visit_id: { from: 'id' },
      person_id: { from: 'pid' },
      visit_type: { const: 'inpatient' },
      end_date: { from: 'out', as: 'date', notBefore: { field: 'start_date' } },
      start_date: { from: 'in', as: 'date', min: '1900-01-01' },
    },
  });
  const same = applyMapping(visit, get({ id: 'V', pid: 'P', in: '2023/5/1 10:00', out: '2023-05-01' }));
  assert.equal(same.kind, 'row');
  const back = applyMapping(visit, get({ id: 'V', pid: 'P', in: '2023-05-01', out: '2023-04-30' }));
  assert.deepEqual(back.kind === 'reject' && [back.code, back.field], ['MAP_RANGE', 'end_date']);
  const old = applyMapping(visit, get({ id: 'V', pid: 'P', in: '1899-12-31', out: '' }));
  assert.deepEqual(old.kind === 'reject' && [old.code, old.field], ['MAP_RANGE', 'start_date']);
});

test('skipWhenEmpty skips records whose listed field comes out empty; a code map on a typed field maps first', () => {
  const s = spec({
    id: 'death',
    version: 1,
    target: 'death',
    skipWhenEmpty: ['death_date'],
    fields: { person_id: { from: 'pid' }, death_date: { from: 'died', as: 'date' } },
  });
  assert.deepEqual(applyMapping(s, get({ pid: 'P', died: '' })), { kind: 'skip' });
  assert.deepEqual(applyMapping(s, get({ died: '' })), { kind: 'skip' });
  assert.equal(applyMapping(s, get({ pid: 'P', died: '2024-02-30' })).kind, 'reject');
  const dx = spec({
    id: 'dx',
    version: 1,
    target: 'condition_occurrence',
    fields: {
      person_id: { from: 'pid' },
      condition_code: { from: 'code' },
      condition_date: { from: 'date', as: 'date' },
      is_primary: { from: 'type', as: 'boolean', codeMap: 'primary' },
    },
    codeMaps: { primary: { entries: { 主要诊断: 'true', 其他诊断: 'false' } } },
  });
  const rec = { pid: 'P', code: 'E11.900', date: '2023-05-01' };
  const p = applyMapping(dx, get({ ...rec, type: '主要诊断' }));
  const o = applyMapping(dx, get({ ...rec, type: ' 其他诊断 ' }));
  assert.deepEqual([p.kind === 'row' && p.row.is_primary, o.kind === 'row' && o.row.is_primary], [true, false]);
  const unknown = applyMapping(dx, get({ ...rec, type: '疑似诊断' }));
  assert.deepEqual(unknown.kind === 'reject' && [unknown.code, unknown.unmapped], [
    'MAP_CODE',
    [{ codeMap: 'primary', code: '疑似诊断' }],
  ]);
});

test('specs with a bad pattern, a notBefore on an unmapped field or an unknown skipWhenEmpty field are refused', () => {
  const bad = parseMappingSpec({
    id: 'bad-extensions',
    version: 1,
    target: 'measurement',
    skipWhenEmpty: ['nonsense'],
    fields: {
      person_id: { from: 'p', pattern: '(unclosed' },
      measurement_code: { const: 'x' },
      measured_at: { from: 't', as: 'datetime', notBefore: { field: 'visit_id' } },
      value: { from: 'v', min: 'yesterday' },
    },
  });
  assert.equal(bad.ok, false);
  if (!bad.ok) {
    const text = bad.problems.join('\n');
    for (const part of ['a valid regular expression', 'notBefore names field "visit_id"', '"nonsense" is not', 'min']) {
      assert.ok(text.includes(part), `${part} in\n${text}`);
    }
  }
});
