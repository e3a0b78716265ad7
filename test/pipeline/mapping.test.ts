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
