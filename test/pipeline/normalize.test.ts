import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseBloodPressure } from '../../src/pipeline/blood-pressure.ts';
import { parseClinicalDate } from '../../src/pipeline/dates.ts';
import { toStandardUnit } from '../../src/pipeline/units.ts';

test('dates in every hospital form parse to the same calendar date', () => {
  const forms = [
    '2023-05-01',
    '2023/5/1',
    '2023.05.01',
    '20230501',
    '2023年5月1日',
    '２０２３－０５－０１',
    ' 2023-5-1 ',
    45047,
  ];
  for (const f of forms)
    assert.deepEqual(parseClinicalDate(f), { ok: true, date: '2023-05-01', instant: null }, String(f));
});

test('times without a zone are Beijing time; explicit zones are honoured', () => {
  assert.deepEqual(parseClinicalDate('2023-05-01 08:30'), {
    ok: true,
    date: '2023-05-01',
    instant: '2023-05-01T00:30:00.000Z',
  });
  assert.deepEqual(parseClinicalDate('2023年5月1日 08:30'), {
    ok: true,
    date: '2023-05-01',
    instant: '2023-05-01T00:30:00.000Z',
  });
  assert.deepEqual(parseClinicalDate('2023-04-30T20:00:00Z'), {
    ok: true,
    date: '2023-05-01',
    instant: '2023-04-30T20:00:00.000Z',
  });
  assert.deepEqual(parseClinicalDate(45047.5), { ok: true, date: '2023-05-01', instant: '2023-05-01T04:00:00.000Z' });
});

test('impossible dates are refused with a reason, never rolled over', () => {
  for (const bad of [
    '2023-02-29',
    '2023-13-01',
    '2023/4/31',
    '20230230',
    '1799-01-01',
    'yesterday',
    '',
    '2023-05-01 25:00',
    12,
  ]) {
    const r = parseClinicalDate(bad);
    assert.equal(r.ok, false, String(bad));
    if (!r.ok) assert.ok(r.reason.length > 3);
  }
  assert.equal(parseClinicalDate('2024-02-29').ok, true);
});

test('property: any valid date written in any supported form parses back to itself', () => {
  fc.assert(
    fc.property(
      fc.date({ min: new Date('1900-03-01'), max: new Date('2199-12-31'), noInvalidDate: true }),
      fc.integer({ min: 0, max: 4 }),
      (d, form) => {
        const iso = d.toISOString().slice(0, 10);
        const [y, m, day] = iso.split('-').map(Number) as [number, number, number];
        const text = [
          iso,
          `${y}/${m}/${day}`,
          `${y}${iso.slice(5, 7)}${iso.slice(8, 10)}`,
          `${y}年${m}月${day}日`,
          `${y}.${m}.${day}`,
        ][form] as string;
        const r = parseClinicalDate(text);
        return r.ok && r.date === iso;
      },
    ),
  );
});

test('units convert per analyte from every spelling hospitals use', () => {
  const close = (a: number, b: number) => Math.abs(a - b) < 1e-9;
  const g = toStandardUnit('glucose', 126, 'mg/dl');
  assert.ok(g.ok && close(g.value, 7) && g.unit === 'mmol/L');
  const c = toStandardUnit('creatinine', 1, 'mg/dL');
  assert.ok(c.ok && close(c.value, 88.4) && c.unit === 'umol/L');
  const u = toStandardUnit('creatinine', 70, 'μmol/L');
  assert.ok(u.ok && close(u.value, 70));
  const h = toStandardUnit('hba1c', 53, 'mmol/mol');
  assert.ok(h.ok && Math.abs(h.value - 7.0) < 0.01);
  const t = toStandardUnit('cholesterol', 193.35, 'mg/dL');
  assert.ok(t.ok && close(t.value, 5));
  assert.equal(toStandardUnit('glucose', 5, 'umol/L').ok, false);
  assert.equal(toStandardUnit('glucose', 5, 'furlongs').ok, false);
  assert.equal(toStandardUnit('glucose', Number.NaN, 'mmol/L').ok, false);
});

test('blood pressure written a dozen ways lands as systolic/diastolic mmHg', () => {
  const forms = [
    '120/80',
    '120/80mmHg',
    '120/80 mmHg',
    '120／80',
    'BP:120/80',
    '血压 120/80 mmHg',
    '血压值：120/80',
    '收缩压120 舒张压80',
    '收缩压：120mmHg，舒张压：80mmHg',
    'SBP 120 DBP 80',
    '120 / 80 毫米汞柱',
    '１２０/８０',
  ];
  for (const f of forms) assert.deepEqual(parseBloodPressure(f), { ok: true, systolic: 120, diastolic: 80 }, f);
  assert.deepEqual(parseBloodPressure('16.0/10.7kPa'), { ok: true, systolic: 120, diastolic: 80.3 });
  for (const bad of ['', 'normal', '80/120', '120']) assert.equal(parseBloodPressure(bad).ok, false, bad);
});
