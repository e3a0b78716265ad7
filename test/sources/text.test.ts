import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import iconv from 'iconv-lite';
import { isMeridianError } from '../../src/errors/registry.ts';
import { chooseEncoding, createDecoder, LineSplitter, parseEncodingLabel, utf8Stats } from '../../src/sources/text.ts';

const CHINESE = '患者姓名：张三，男，五十二岁。主诉：多饮、多尿三月余。诊断：2型糖尿病（E11.900）。血压 120/80mmHg';

/** Splits bytes at the given cut points (each taken modulo the length). */
function splitAt(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(bytes.subarray(prev, p));
    prev = p;
  }
  out.push(bytes.subarray(prev));
  return out;
}

test('encoding: BOM, valid UTF-8, GBK and GB18030 are told apart; the choice is reported', () => {
  const file = 'x.csv';
  assert.deepEqual(chooseEncoding(Buffer.from(`\uFEFF${CHINESE}`), { file, complete: true }), {
    encoding: 'utf-8',
    source: 'bom',
    bomBytes: 3,
  });
  assert.equal(chooseEncoding(Buffer.from(CHINESE), { file, complete: true }).encoding, 'utf-8');
  assert.equal(chooseEncoding(Buffer.from('plain ascii,1,2\n'), { file, complete: true }).encoding, 'utf-8');
  assert.deepEqual(chooseEncoding(iconv.encode(CHINESE, 'gbk'), { file, complete: true }), {
    encoding: 'gb18030',
    source: 'detected',
    bomBytes: 0,
  });
  // 𠀀 (U+20000) and € exist only as GB18030 four-byte sequences.
  assert.equal(chooseEncoding(iconv.encode(`${CHINESE}𠀀`, 'gb18030'), { file, complete: true }).encoding, 'gb18030');
  assert.equal(chooseEncoding(Buffer.from([0xff, 0xfe, 0x41, 0x00]), { file, complete: true }).encoding, 'utf-16le');
  assert.equal(
    chooseEncoding(iconv.encode(CHINESE, 'gbk'), { file, declared: 'gbk', complete: true }).source,
    'declared',
  );
});

test('encoding: a UTF-8 head with one corrupt byte stays UTF-8 (its record is rejected later), not mojibake', () => {
  const bytes = Buffer.from(CHINESE.repeat(4));
  bytes[10] = 0xff;
  assert.equal(chooseEncoding(bytes, { file: 'x', complete: true }).encoding, 'utf-8');
  const short = Buffer.from('姓名,科室\n张三,内分泌科\n李四,心内科\n');
  short[20] = 0xff;
  assert.equal(chooseEncoding(short, { file: 'x', complete: true }).encoding, 'utf-8');
});

test('encoding: a wrong declaration, or bytes that are neither UTF-8 nor GB18030, is MER_SOURCE_ENCODING', () => {
  const expect = (fn: () => unknown, re: RegExp) =>
    assert.throws(fn, (e: unknown) => isMeridianError(e, 'MER_SOURCE_ENCODING') && re.test(e.message));
  expect(
    () => chooseEncoding(iconv.encode(CHINESE, 'gbk'), { file: 'his.csv', declared: 'utf-8', complete: true }),
    /his\.csv was declared UTF-8 but is not.*looks like GBK\/GB18030/,
  );
  expect(
    () => chooseEncoding(Buffer.from(CHINESE), { file: 'his.csv', declared: 'gbk', complete: true }),
    /declared GBK but is valid UTF-8/,
  );
  expect(
    () => chooseEncoding(Buffer.from(`\uFEFF${CHINESE}`), { file: 'a.csv', declared: 'gb18030', complete: true }),
    /byte-order mark/,
  );
  expect(
    () =>
      chooseEncoding(Buffer.from([0x41, 0xff, 0xff, 0xfe, 0xff, 0x80, 0xff, 0x42]), { file: 'b.bin', complete: true }),
    /neither UTF-8 nor GBK\/GB18030/,
  );
  assert.throws(
    () => parseEncodingLabel('ebcdic'),
    (e: unknown) => isMeridianError(e, 'MER_SOURCE_OPTION'),
  );
  assert.equal(parseEncodingLabel(' UTF8 '), 'utf-8');
  assert.equal(parseEncodingLabel('CP936'), 'gbk');
});

test('utf8Stats: overlongs, surrogates and cut-off sequences', () => {
  assert.deepEqual(utf8Stats(Buffer.from('ab中文'), true), { invalid: 0, multibyte: 2, firstInvalidAt: -1 });
  assert.equal(utf8Stats(Buffer.from([0xc0, 0xaf]), true).invalid, 2); // overlong '/'
  assert.equal(utf8Stats(Buffer.from([0xed, 0xa0, 0x80]), true).invalid, 3); // surrogate U+D800
  assert.equal(utf8Stats(Buffer.from([0x41, 0xe4, 0xb8]), false).invalid, 0); // cut off by the sample end
  assert.equal(utf8Stats(Buffer.from([0x41, 0xe4, 0xb8]), true).firstInvalidAt, 1);
});

test('property: GBK/GB18030/UTF-8 text split anywhere across reads decodes exactly (native and iconv-lite)', () => {
  const text = fc.string({
    unit: fc.constantFrom(...'张三李四王五赵六血压糖尿病，。、：（）abc123,"\n€𠀀㐀龥'),
    maxLength: 80,
  });
  fc.assert(
    fc.property(
      text,
      fc.constantFrom('gbk', 'gb18030', 'utf-8'),
      fc.constantFrom('native', 'iconv'),
      fc.array(fc.nat(), { maxLength: 12 }),
      (s, enc, impl, cuts) => {
        // GBK cannot encode € or the four-byte characters; GB18030 and UTF-8 can.
        const source = enc === 'gbk' ? s.replace(/[€𠀀㐀]/gu, '') : s;
        const bytes = iconv.encode(source, enc);
        const decoder = createDecoder(enc === 'utf-8' ? 'utf-8' : enc, impl as 'native' | 'iconv');
        let out = '';
        for (const part of splitAt(bytes, cuts)) out += decoder.write(part);
        out += decoder.end();
        assert.equal(out, source);
      },
    ),
    { numRuns: 400 },
  );
});

test('iconv-lite fallback: a four-byte GB18030 character split after its third byte still decodes', () => {
  const bytes = iconv.encode('a𠀀b', 'gb18030');
  for (let cut = 0; cut <= bytes.length; cut++) {
    const d = createDecoder('gb18030', 'iconv');
    assert.equal(d.write(bytes.subarray(0, cut)) + d.write(bytes.subarray(cut)) + d.end(), 'a𠀀b', `cut at ${cut}`);
  }
});

test('property: LineSplitter gives the same lines for any chunking; CR LF split across chunks counts once', () => {
  const text = fc.string({ unit: fc.constantFrom('a', 'b', '中', '\r', '\n', ' '), maxLength: 60 });
  fc.assert(
    fc.property(text, fc.array(fc.nat(), { maxLength: 8 }), (s, cuts) => {
      const expected = s.split(/\r\n|\r|\n/);
      if (expected.at(-1) === '') expected.pop();
      const splitter = new LineSplitter(1000);
      const got: string[] = [];
      const points = [...new Set(cuts.map((c) => c % (s.length + 1)))].sort((a, b) => a - b);
      let prev = 0;
      for (const p of [...points, s.length]) {
        for (const l of splitter.push(s.slice(prev, p))) got.push(l.text);
        prev = p;
      }
      for (const l of splitter.finish()) got.push(l.text);
      assert.deepEqual(got, expected);
    }),
    { numRuns: 500 },
  );
});

test('LineSplitter: a line longer than the bound is reported without its text and the next line is intact', () => {
  const s = new LineSplitter(5);
  const lines = [...s.push('abc\n0123456'), ...s.push('789\nxy'), ...s.finish()];
  assert.deepEqual(lines, [
    { text: 'abc', line: 1, tooLong: false },
    { text: '0123456789', line: 2, tooLong: true },
    { text: 'xy', line: 3, tooLong: false },
  ]);
});
