/**
 * Token stability under the generator's identifier variants: a person written by the generator's own
 * renderIdentity (full-width ID digits, lower-case x, old 15-digit number, swapped phone digits, homophone,
 * stray whitespace, another middle dot) compares with the clean record at the expected level, for every
 * seed fast-check draws. Also: every homophone pair of the generator shares a pinyin key; names, sex, dates
 * and phones normalize as documented; a short linkage key is refused; tokens depend on the key.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { renderIdentity } from '../../src/demo/generator/identity.ts';
import { makeIdNumber, Rng, rootSeed } from '../../src/demo/generator/index.ts';
import { drawHanName, drawMinorityName, HOMOPHONES } from '../../src/demo/generator/names.ts';
import type { Person } from '../../src/demo/generator/population.ts';
import { isMeridianError } from '../../src/errors/registry.ts';
import { packPattern, unpackPattern } from '../../src/identity/fellegi-sunter.ts';
import { comparePair } from '../../src/identity/linkage.ts';
import {
  normalizeBirthDate,
  normalizeIdentity,
  normalizeName,
  normalizePhone,
  normalizeSex,
} from '../../src/identity/normalize.ts';
import { pinyinKey } from '../../src/identity/pinyin.ts';
import { LinkageKey, phoneFolds, tokenize } from '../../src/identity/tokens.ts';

const KEY = new LinkageKey(Buffer.alloc(32, 3));

function drawPerson(seed: number): Pick<Person, 'name' | 'idNumber' | 'phone'> & { sex: 'M' | 'F'; birth: string } {
  const rng = Rng.stream(rootSeed(seed), 9, 1);
  const sex = rng.chance(0.5) ? 'M' : 'F';
  const name = rng.chance(0.15) ? drawMinorityName(rng, sex) : drawHanName(rng, sex);
  const birthDay = rng.int(-25_000, 10_000);
  const idNumber = makeIdNumber(
    rng.pick(['310106', '320211', '650102']),
    birthDay,
    rng.int(0, 499) * 2 + (sex === 'M' ? 1 : 0),
  );
  const phone = `1${rng.int(3, 9)}${String(rng.int(0, 999_999_999)).padStart(9, '0')}`;
  const birth = `${idNumber.slice(6, 10)}-${idNumber.slice(10, 12)}-${idNumber.slice(12, 14)}`;
  return { name, idNumber, phone, sex, birth };
}

test('tokens are stable under every generator variant (renderIdentity, many seeds)', () => {
  const seen = new Set<string>();
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 2 ** 30 }), fc.constantFrom('．', '•', '・', '‧'), (seed, dot) => {
      const p = drawPerson(seed);
      const rng = Rng.stream(rootSeed(seed), 10, 2);
      const r = renderIdentity(p as unknown as Person, rng, { count: 2, idMissing: false, phoneMissing: false, dot });
      const clean = tokenize(
        KEY,
        normalizeIdentity({ idNumber: p.idNumber, name: p.name.full, phone: p.phone, sex: p.sex, birthDate: p.birth }),
      );
      const variant = tokenize(
        KEY,
        normalizeIdentity({ idNumber: r.idNumber, name: r.full, phone: r.phone, sex: p.sex, birthDate: p.birth }),
      );
      const levels = unpackPattern(comparePair(clean, variant));
      assert.equal(packPattern(levels), comparePair(clean, variant), 'the packing round-trips');
      for (const v of r.variants) seen.add(v);
      assert.equal(levels.id, 1, `ID agrees under ${r.variants}`);
      assert.equal(variant.id, clean.id);
      assert.equal(levels.dob, 2);
      assert.equal(levels.sex, 1);
      assert.equal(levels.name, r.variants.includes('name_homophone') ? 1 : 2, `name under ${r.variants}`);
      assert.equal(variant.namePinyin, clean.namePinyin, 'the pinyin key survives every name variant');
      assert.equal(levels.phone, r.variants.includes('phone_swapped_digits') ? 1 : 2, `phone under ${r.variants}`);
    }),
    { numRuns: 500 },
  );
  for (const v of [
    'fullwidth_digits_id',
    'old_15_digit_id',
    'phone_swapped_digits',
    'name_homophone',
    'name_whitespace',
    'name_dot_variant',
  ])
    assert.ok(seen.has(v), `variant ${v} was exercised`);
});

test('lower-case x: the check character X written lower-case gives the same token', () => {
  const id = '11010519491231002X';
  const t = (v: string) => tokenize(KEY, normalizeIdentity({ idNumber: v })).id;
  assert.equal(t('11010519491231002x'), t(id));
  assert.equal(t('１１０１０５１９４９１２３１００２ｘ'), t(id));
});

test('every homophone pair of the generator shares a pinyin key; different sounds do not', () => {
  for (const [a, b] of Object.entries(HOMOPHONES)) assert.equal(pinyinKey(a), pinyinKey(b), `${a}/${b}`);
  assert.notEqual(pinyinKey('王伟'), pinyinKey('王芳'));
  assert.equal(pinyinKey('未知字'), '未-知-字', 'characters outside the table key as themselves');
});

test('two phones share a fold exactly when they are equal or one adjacent transposition apart', () => {
  fc.assert(
    fc.property(fc.stringMatching(/^1[3-9]\d{9}$/), fc.stringMatching(/^1[3-9]\d{9}$/), fc.nat(8), (x, y, i) => {
      const swapped = x.slice(0, i + 1) + x[i + 2] + x[i + 1] + x.slice(i + 3);
      const shares = (a: string, b: string) => phoneFolds(a).some((f) => phoneFolds(b).includes(f));
      if (swapped !== x) assert.ok(shares(x, swapped));
      const oneSwap = [...Array(10).keys()].some((j) => x.slice(0, j) + x[j + 1] + x[j] + x.slice(j + 2) === y);
      assert.equal(shares(x, y), x === y ? phoneFolds(x).length > 0 : oneSwap, `${x} ${y}`);
    }),
  );
});

test('names, sex, birth dates and phones normalize as documented', () => {
  assert.equal(normalizeName(' 张\u3000伟 '), '张伟');
  for (const dot of ['·', '•', '‧', '・', '.', '．', '･'])
    assert.equal(normalizeName(`买买提${dot}艾买提`), '买买提·艾买提');
  assert.equal(normalizeName('  '), null);
  assert.deepEqual(['1', 'M', '男', 'male', '2', 'F', '女', '0', '9', 'U', ''].map(normalizeSex), [
    'M',
    'M',
    'M',
    'M',
    'F',
    'F',
    'F',
    null,
    null,
    null,
    null,
  ]);
  for (const d of [
    '1980-01-02',
    '1980/1/2',
    '19800102',
    '1980年1月2日',
    '1980.01.02',
    new Date('1980-01-02T00:00:00Z'),
  ])
    assert.equal(normalizeBirthDate(d), '1980-01-02');
  assert.equal(normalizeBirthDate('1980-02-30'), null);
  for (const p of ['+86 138-0013-8000', '0086 13800138000', '8613800138000', '138 0013 8000', '１３８００１３８０００'])
    assert.equal(normalizePhone(p), '13800138000');
  assert.equal(normalizePhone('12345'), null);
  assert.equal(normalizePhone('138abc'), null);
});

test('the linkage key: shorter than 32 bytes is refused; tokens depend on the key and the domain', () => {
  assert.throws(
    () => new LinkageKey(Buffer.alloc(16)),
    (e) => isMeridianError(e, 'MER_IDENTITY_KEY_INVALID'),
  );
  const other = new LinkageKey(Buffer.alloc(32, 4));
  assert.notEqual(other.keyId, KEY.keyId);
  assert.notEqual(other.token('phone', '13800138000'), KEY.token('phone', '13800138000'));
  assert.notEqual(KEY.token('phone', '13800138000'), KEY.token('id', '13800138000'));
  assert.match(KEY.token('name', '张伟'), /^[A-Za-z0-9_-]{22}$/);
});
