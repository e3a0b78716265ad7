/** Properties of the generator's parts: ID numbers, PRNG, calendar, CSV quoting, GBK safety, fits, DICOM. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import dicomParser from 'dicom-parser';
import fc from 'fast-check';
import iconv from 'iconv-lite';
import { DIAGNOSES, DRUGS, LABS, PROCEDURES } from '../../../src/demo/generator/catalog.ts';
import {
  addYears,
  ageYears,
  civilFromDays,
  daysFromCivil,
  excelSerial,
  parseIsoDay,
  styledDate,
} from '../../../src/demo/generator/dates.ts';
import { fitCox, fitLogistic } from '../../../src/demo/generator/fit.ts';
import { renderIdentity } from '../../../src/demo/generator/identity.ts';
import {
  fromOldIdNumber,
  idCheckChar,
  isValidIdNumber,
  makeIdNumber,
  parseIdNumber,
  Rng,
  rootSeed,
  toOldIdNumber,
} from '../../../src/demo/generator/index.ts';
import { makePerson, planPopulation } from '../../../src/demo/generator/population.ts';
import { REGIONS } from '../../../src/demo/generator/regions.ts';
import { dicomFile, uidFromWords } from '../../../src/demo/generator/writers/dicom.ts';
import { csvLine } from '../../../src/demo/generator/writers/text-sink.ts';
import { parseCsv } from './helpers.ts';

const DAY_1900 = daysFromCivil(1900, 1, 1);
const DAY_2020 = daysFromCivil(2020, 12, 31);

test('GB 11643 examples from the standard check out', () => {
  assert.equal(idCheckChar('11010519491231002'), 'X');
  assert.ok(isValidIdNumber('11010519491231002X'));
  assert.ok(isValidIdNumber('440524188001010014'));
  assert.ok(!isValidIdNumber('110105194912310021'));
  assert.ok(!isValidIdNumber('11010519491331002X'), 'month 13');
  assert.deepEqual(parseIdNumber('11010519491231002X'), {
    region: '110105',
    birthDay: daysFromCivil(1949, 12, 31),
    sex: 'F',
  });
});

test('property: every made ID number is valid and says its birth date and sex', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...REGIONS.map((r) => r.code)),
      fc.integer({ min: DAY_1900, max: DAY_2020 }),
      fc.integer({ min: 0, max: 999 }),
      (region, birthDay, seq) => {
        const id = makeIdNumber(region, birthDay, seq);
        assert.ok(isValidIdNumber(id), id);
        assert.deepEqual(parseIdNumber(id), { region, birthDay, sex: seq % 2 === 1 ? 'M' : 'F' });
      },
    ),
    { numRuns: 2000 },
  );
});

test('property: changing any one of the first 17 digits breaks the check character', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: DAY_1900, max: DAY_2020 }),
      fc.integer({ min: 0, max: 999 }),
      fc.integer({ min: 0, max: 16 }),
      fc.integer({ min: 1, max: 9 }),
      (birthDay, seq, pos, delta) => {
        const id = makeIdNumber('320213', birthDay, seq);
        const d = (Number(id[pos]) + delta) % 10;
        const altered = id.slice(0, pos) + d + id.slice(pos + 1);
        assert.notEqual(idCheckChar(altered.slice(0, 17)), id[17]);
      },
    ),
    { numRuns: 2000 },
  );
});

test('property: the old 15-digit form converts back to the same 18-character number (births 1900–1999)', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: DAY_1900, max: daysFromCivil(1999, 12, 31) }),
      fc.integer({ min: 0, max: 999 }),
      (birthDay, seq) => {
        const id = makeIdNumber('310104', birthDay, seq);
        const old = toOldIdNumber(id);
        assert.equal(old.length, 15);
        assert.equal(fromOldIdNumber(old), id);
        assert.equal(parseIdNumber(old)?.birthDay, birthDay);
      },
    ),
  );
});

test('every generated person over many seeds has a valid, unique, consistent ID number and GBK-safe text', () => {
  for (const seed of [1, 2, 'x']) {
    const root = rootSeed(seed);
    const opts = {
      root,
      hospitals: 3,
      patients: 800,
      overlapRate: 0.1,
      startDay: daysFromCivil(2018, 1, 1),
      endDay: daysFromCivil(2024, 12, 31),
    };
    const plan = planPopulation(opts);
    const ids = new Set<string>();
    for (let p = 0; p < plan.uniquePersons; p++) {
      const person = makePerson(plan, opts, p);
      assert.ok(isValidIdNumber(person.idNumber), person.idNumber);
      assert.deepEqual(parseIdNumber(person.idNumber), {
        region: person.birthRegion.code,
        birthDay: person.birthDay,
        sex: person.sex,
      });
      assert.match(person.phone, /^1[3-9]\d{9}$/);
      ids.add(person.idNumber);
      const rng = Rng.stream(root, 99, p);
      const variant = renderIdentity(person, rng, { count: 2, idMissing: false, phoneMissing: false, dot: '．' });
      for (const text of [person.name.full, person.address.full, variant.full, variant.idNumber]) {
        assert.equal(iconv.decode(iconv.encode(text, 'gbk'), 'gbk'), text);
      }
    }
    assert.equal(ids.size, plan.uniquePersons, 'ID numbers are unique');
  }
  const catalogue = [
    ...Object.values(DIAGNOSES).map((d) => d.name),
    ...Object.values(PROCEDURES).map((p) => p.name),
    ...DRUGS.flatMap((d) => [d.generic, d.spec, d.unit, d.route]),
    ...Object.values(LABS[0] ?? {})
      .filter((t) => t.key !== 'creatinine')
      .flatMap((t) => [t.name, t.unit]),
  ];
  for (const text of catalogue) assert.equal(iconv.decode(iconv.encode(text, 'gbk'), 'gbk'), text);
});

test('the population has the requested overlap and uses every slot once', () => {
  const opts = { root: rootSeed(5), hospitals: 3, patients: 5000, overlapRate: 0.1, startDay: 17532, endDay: 20088 };
  const plan = planPopulation(opts);
  assert.ok(Math.abs(plan.sharedPersons / plan.uniquePersons - 0.1) < 0.002);
  for (let h = 0; h < 3; h++) {
    const slots = plan.slots[h] as Int32Array;
    assert.equal(new Set(slots).size, 5000);
    for (let s = 0; s < 5000; s++) assert.equal(plan.slotOf[h]?.[slots[s] as number], s);
  }
});

test('property: the PRNG is a pure function of its key and stays in range', () => {
  fc.assert(
    fc.property(
      fc.integer(),
      fc.nat(),
      fc.integer({ min: -1000, max: 1000 }),
      fc.integer({ min: 0, max: 1000 }),
      (seed, index, lo, span) => {
        const a = Rng.stream(rootSeed(seed), 4, index);
        const b = Rng.stream(rootSeed(seed), 4, index);
        for (let i = 0; i < 20; i++) {
          const x = a.int(lo, lo + span);
          assert.equal(x, b.int(lo, lo + span));
          assert.ok(x >= lo && x <= lo + span);
          const f = a.float();
          assert.equal(f, b.float());
          assert.ok(f >= 0 && f < 1);
        }
      },
    ),
  );
  const r = Rng.stream(rootSeed(1), 1);
  let mean = 0;
  for (let i = 0; i < 100_000; i++) mean += r.float() / 100_000;
  assert.ok(Math.abs(mean - 0.5) < 0.01);
  assert.notEqual(Rng.stream(rootSeed(1), 1, 2).u32(), Rng.stream(rootSeed(1), 1, 3).u32());
});

test('property: day numbers and calendar dates round-trip; Excel serials and ages are right', () => {
  fc.assert(
    fc.property(fc.integer({ min: -80_000, max: 80_000 }), (day) => {
      const c = civilFromDays(day);
      assert.equal(daysFromCivil(c.y, c.m, c.d), day);
      assert.equal(parseIsoDay(styledDate(day, 'iso')), day);
    }),
  );
  assert.equal(excelSerial(daysFromCivil(2023, 5, 1)), 45047);
  assert.equal(styledDate(daysFromCivil(2023, 5, 1), 'slash'), '2023/5/1');
  assert.equal(styledDate(daysFromCivil(2023, 5, 1), 'chinese'), '2023年5月1日');
  assert.equal(ageYears(daysFromCivil(1960, 5, 2), daysFromCivil(2020, 5, 1)), 59);
  assert.equal(ageYears(daysFromCivil(1960, 5, 1), daysFromCivil(2020, 5, 1)), 60);
  assert.equal(addYears(daysFromCivil(2020, 2, 29), 1), daysFromCivil(2021, 2, 28));
  assert.equal(parseIsoDay('2023-02-29'), null);
});

test('property: CSV lines round-trip through an RFC 4180 parser', () => {
  fc.assert(
    fc.property(
      fc.array(fc.array(fc.string({ unit: 'grapheme' }), { minLength: 1, maxLength: 6 }), {
        minLength: 1,
        maxLength: 5,
      }),
      (rows) => {
        const width = rows[0]?.length ?? 1;
        const table = rows.map((r) => Array.from({ length: width }, (_, i) => r[i] ?? ''));
        const text = table.map((r) => csvLine(r, '\r\n')).join('');
        const parsed = parseCsv(text);
        // A row that is a single empty field is an empty line, which CSV cannot tell from nothing.
        assert.deepEqual(
          parsed,
          table.map((r) => (r.length === 1 && r[0] === '' ? [''] : r)),
        );
      },
    ),
  );
});

test('the logistic and Cox fits recover known coefficients from large simulated samples', () => {
  const rng = Rng.stream(rootSeed('fit'), 1);
  const x: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < 20_000; i++) {
    const a = rng.normal(0, 1);
    const b = rng.normal(2, 1);
    x.push([1, a, b]);
    y.push(rng.chance(1 / (1 + Math.exp(-(-1 + 0.8 * a - 0.5 * b)))) ? 1 : 0);
  }
  const lr = fitLogistic(x, y);
  assert.ok(lr.converged);
  assert.ok(Math.abs((lr.coefficients[1] as number) - 0.8) < 0.06, String(lr.coefficients));
  assert.ok(Math.abs((lr.coefficients[2] as number) + 0.5) < 0.06, String(lr.coefficients));
  const time: number[] = [];
  const event: boolean[] = [];
  const z: number[][] = [];
  for (let i = 0; i < 5000; i++) {
    const smoker = rng.chance(0.5) ? 1 : 0;
    const t = rng.exponential(0.1 * Math.exp(Math.log(2) * smoker));
    const c = rng.exponential(0.05);
    time.push(Math.round(Math.min(t, c) * 365));
    event.push(t <= c);
    z.push([smoker]);
  }
  const cox = fitCox(time, event, z);
  assert.ok(cox.converged);
  assert.ok(Math.abs(Math.exp(cox.coefficients[0] as number) - 2) < 0.15, String(cox.coefficients));
});

test('a DICOM file written here parses, with UTF-8 and GB18030 person names', () => {
  for (const charset of ['ISO_IR 192', 'GB18030'] as const) {
    const sop = uidFromWords([1, 2, 3, 4]);
    const bytes = dicomFile({
      sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
      sopInstanceUid: sop,
      charset,
      elements: [
        { tag: 0x00100010, vr: 'PN', value: '欧阳^娜娜' },
        { tag: 0x00100020, vr: 'LO', value: 'C000000001' },
        { tag: 0x00080060, vr: 'CS', value: 'CT' },
      ],
    });
    const ds = dicomParser.parseDicom(bytes);
    assert.equal(ds.string('x00080018'), sop);
    assert.equal(ds.string('x00100020'), 'C000000001');
    const el = ds.elements.x00100010 as { dataOffset: number; length: number };
    const raw = Buffer.from(bytes.subarray(el.dataOffset, el.dataOffset + el.length));
    assert.equal((charset === 'GB18030' ? iconv.decode(raw, 'gb18030') : raw.toString('utf8')).trimEnd(), '欧阳^娜娜');
    // File meta group length = bytes from after the (0002,0000) element to the first data-set element.
    const firstDataElement = (ds.elements.x00080005?.dataOffset ?? 0) - 8;
    assert.equal(ds.uint32('x00020000'), firstDataElement - (128 + 4 + 12));
  }
});
