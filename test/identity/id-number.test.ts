/**
 * 身份证号 normalization and validation: properties over generated valid numbers (every written form —
 * full-width, lower-case x, whitespace, the old 15-digit number — normalizes to the one canonical number;
 * every single-digit substitution and adjacent transposition is caught by MOD 11-2), agreement with the
 * generator's own check-character code, and clear errors (naming the problem, never the value) for bad input.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { idCheckChar, toOldIdNumber } from '../../src/demo/generator/index.ts';
import { isMeridianError } from '../../src/errors/registry.ts';
import {
  calendarDate,
  checkIdNumber,
  idCheckCharacter,
  normalizeIdNumber,
  normalizeIdNumberStrict,
} from '../../src/identity/id-number.ts';

const REGIONS = ['110101', '310106', '320211', '650102', '440305', '120116', '330203', '510104'];

/** A valid 18-character number from region, a real date and a sequence. */
const validId = fc
  .record({
    region: fc.constantFrom(...REGIONS),
    y: fc.integer({ min: 1900, max: 2024 }),
    m: fc.integer({ min: 1, max: 12 }),
    d: fc.integer({ min: 1, max: 28 }),
    seq: fc.integer({ min: 0, max: 999 }),
  })
  .map(({ region, y, m, d, seq }) => {
    const body = `${region}${(calendarDate(y, m, d) as string).replaceAll('-', '')}${String(seq).padStart(3, '0')}`;
    return body + idCheckCharacter(body);
  });

const fullWidth = (s: string) => s.replace(/[0-9X]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));

test('every written form of a valid number normalizes to the same canonical number', () => {
  fc.assert(
    fc.property(validId, fc.constantFrom(' ', '\u3000', '\t', ''), fc.nat(17), (id, space, at) => {
      assert.equal(normalizeIdNumber(id), id);
      assert.equal(normalizeIdNumber(fullWidth(id)), id, 'full-width digits and Ｘ');
      assert.equal(normalizeIdNumber(id.replace(/X$/, 'x')), id, 'lower-case x');
      assert.equal(normalizeIdNumber(`${space}${id.slice(0, at)}${space}${id.slice(at)}${space}`), id, 'whitespace');
      const y = Number(id.slice(6, 10));
      if (y < 2000) {
        const old = checkIdNumber(toOldIdNumber(id));
        assert.ok(old.ok && old.value === id && old.fromOld15, 'old 15-digit number becomes the 18-digit one');
      }
    }),
  );
});

test('the check character agrees with the generator and GB 11643 (MOD 11-2)', () => {
  fc.assert(
    fc.property(validId, (id) => {
      assert.equal(idCheckCharacter(id.slice(0, 17)), idCheckChar(id.slice(0, 17)));
      const r = checkIdNumber(id);
      assert.ok(r.ok);
      assert.equal(r.birthDate.replaceAll('-', ''), id.slice(6, 14));
      assert.equal(r.sex, Number(id[16]) % 2 === 1 ? 'M' : 'F');
    }),
  );
  assert.equal(idCheckCharacter('11010519491231002'), 'X', 'the standard example 11010519491231002X');
});

test('every single-digit substitution and every adjacent transposition is refused', () => {
  fc.assert(
    fc.property(validId, fc.nat(16), fc.integer({ min: 1, max: 9 }), (id, i, delta) => {
      const digit = String((Number(id[i]) + delta) % 10);
      const substituted = id.slice(0, i) + digit + id.slice(i + 1);
      assert.equal(checkIdNumber(substituted).ok, false);
      if (i < 16 && id[i] !== id[i + 1]) {
        const swapped = id.slice(0, i) + id[i + 1] + id[i] + id.slice(i + 2);
        assert.equal(checkIdNumber(swapped).ok, false);
      }
    }),
  );
});

test('bad input: a clear error naming the problem, never the value; linkage treats it as no ID', () => {
  const cases: [string, string][] = [
    ['', 'empty'],
    ['31010619800101', 'length'],
    ['3101061980010100011', 'length'],
    ['31010619800101A01X', 'characters'],
    ['31010680010A001', 'characters'],
    ['991234198001010011', 'region'],
    ['310106198002300011', 'date'],
    ['310106180001010011', 'date'],
    ['310106800230001', 'date'],
    ['310106198001010010', 'checksum'],
  ];
  for (const [value, problem] of cases) {
    const r = checkIdNumber(value);
    assert.ok(!r.ok && r.problem === problem, `${value}: ${problem}`);
    assert.equal(normalizeIdNumber(value), null);
    assert.throws(
      () => normalizeIdNumberStrict(value),
      (e) =>
        isMeridianError(e, 'MER_IDENTITY_INVALID_ID_NUMBER') &&
        e.details?.problem === problem &&
        (value === '' || !e.message.includes(value)),
    );
  }
  assert.equal(normalizeIdNumber(null), null);
});
