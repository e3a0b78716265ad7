/**
 * Free-text scrubbing: worked examples of each kind, and properties — any valid resident ID number (18 or
 * 15 digits, half- or full-width), any mobile or landline number in the usual spellings, and any address the
 * demo generator draws, embedded in arbitrary text, never survives scrubbing.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { toFullWidth } from '../../src/demo/generator/identity.ts';
import { makeIdNumber, Rng, rootSeed, toOldIdNumber } from '../../src/demo/generator/index.ts';
import { drawAddress, REGIONS } from '../../src/demo/generator/regions.ts';
import { scrubText } from '../../src/privacy/index.ts';

const scrub = (text: string, knownNames?: string[]): string => scrubText(text, knownNames ? { knownNames } : {}).text;

test('worked examples: labelled fields, names in context, numbers by shape, addresses', () => {
  const cases: [string, string][] = [
    ['姓名:郭蕾 性别:女 年龄:62岁 住院号:ZY000000001', '姓名:[姓名] 性别:女 年龄:62岁 住院号:[编号]'],
    ['姓名：张　伟　性别：男', '姓名：[姓名]　性别：男'],
    ['姓名:张伟性别:男', '姓名:[姓名]性别:男'],
    ['姓名:麦麦提·玉素甫 性别:男', '姓名:[姓名] 性别:男'],
    ['医师签名:李医生', '医师签名:[姓名]'],
    ['患者张某某，男，65岁。患者王伟，女。患者于今日出院。', '患者[姓名]，男，65岁。患者[姓名]，女。患者于今日出院。'],
    ['请王海峰主任会诊，张护士执行。高血压病史10年。', '请[姓名]主任会诊，[姓名]护士执行。高血压病史10年。'],
    ['患者艾力·阿不都拉，男', '患者[姓名]，男'],
    ['联系电话：138-1234-5678，身份证号：11010119900307123X', '联系电话：[电话]，身份证号：[身份证号]'],
    ['其子13812345678，座机021-62345678转123，(0510)82345678', '其子[电话]，座机[电话]，[电话]'],
    ['患者家住江苏省无锡市梁溪区中山路128号3栋2单元501室，现住上海市徐汇区。', '患者家住[地址]，现住[地址]。'],
    ['家住幸福街12号，地址：北京市朝阳区建国路88号', '家住[地址]，地址：[地址]'],
    ['身份证 320102198001247494 和旧号 320102800124749', '身份证 [身份证号] 和旧号 [身份证号]'],
    ['E0000000024 号病人，门诊号 MZ000000123', '[编号] 号病人，门诊号 [编号]'],
  ];
  for (const [input, expected] of cases) assert.equal(scrub(input), expected, input);
});

test('clinical content is left alone: dates, vitals, doses, codes, symptoms', () => {
  const text = [
    '入院日期:2023年8月18日 出院日期:2023年9月2日 住院天数:15天',
    '体格检查:T 36.4℃，P 78次/分，R 14次/分，血压：145/88mmHg，BP 120/80mmHg。',
    '现病史:患者转移性右下腹痛9小时，受凉后出现上述症状，于门诊就诊，为进一步诊治收入我科。',
    '诊断:1. 2型糖尿病(E11.900) 2. 高血压 处理：二甲双胍 0.5g 每日3次。MMSE评分 24分。APOE基因型：ε3/ε4。',
    '吸烟史 20年，每日1包。HbA1c 7.8%，血糖 11.2mmol/L。',
  ].join('\n');
  assert.equal(scrub(text), text);
});

test('known names are scrubbed with any spacing or middle dot', () => {
  assert.equal(scrub('病人赵晨今日复诊，赵　晨诉头痛', ['赵 晨']), '病人[姓名]今日复诊，[姓名]诉头痛');
  assert.equal(scrub('艾力•阿不都拉来院', ['艾力·阿不都拉']), '[姓名]来院');
});

/** Text around an identifier: anything, including digits, letters, CJK and punctuation. */
const noise = fc.string({
  unit: fc.constantFrom(...'患者电话身份证号联系：:，, 。\n\t-0123456789abcXx（）()'.split('')),
  maxLength: 12,
});
const day = fc.integer({ min: -25_000, max: 19_000 });
const region = fc.constantFrom(...REGIONS.map((r) => r.code));

const idNumber = fc
  .tuple(region, day, fc.integer({ min: 0, max: 999 }), fc.constantFrom('18', '15', 'full', 'lower'))
  .map(([r, d, seq, form]) => {
    const id = makeIdNumber(r, d, seq);
    if (form === '15') return toOldIdNumber(id);
    if (form === 'full') return toFullWidth(id);
    return form === 'lower' ? id.toLowerCase() : id;
  });

const digits = (n: number) =>
  fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n }).map((a) => a.join(''));
const mobile = fc
  .tuple(fc.integer({ min: 3, max: 9 }), digits(9), fc.constantFrom('', '-', ' ', '+86', '+86 '))
  .map(([second, rest, style]) => {
    const n = `1${second}${rest}`;
    if (style === '-' || style === ' ') return `${n.slice(0, 3)}${style}${n.slice(3, 7)}${style}${n.slice(7)}`;
    return `${style}${n}`;
  });
const landline = fc
  .tuple(
    fc.constantFrom('10', '21', '22', '510', '755', '991'),
    fc.integer({ min: 2, max: 8 }),
    fc.integer({ min: 6, max: 7 }),
  )
  .chain(([area, first, rest]) =>
    fc.tuple(digits(rest), fc.constantFrom('-', ' ', '', '()')).map(([tail, sep]) => {
      const local = `${first}${tail}`;
      return sep === '()' ? `(0${area})${local}` : `0${area}${sep}${local}`;
    }),
  );

/** True when `secret`'s digits (with or without its separators) still appear in `text`. */
function leaks(text: string, secret: string): boolean {
  const plain = secret.replace(/[^0-9０-９Xx]/g, '');
  return text.includes(secret) || text.replace(/[\s-]/g, '').includes(plain);
}

test('property: any valid ID number embedded in any text is scrubbed', () => {
  fc.assert(
    fc.property(noise, idNumber, noise, (before, id, after) => {
      const out = scrub(`${before}${id}${after}`);
      assert.ok(!leaks(out, id), `${JSON.stringify(before + id + after)} → ${JSON.stringify(out)}`);
    }),
    { numRuns: 2000 },
  );
});

test('property: any mobile or landline number, in any usual spelling, embedded in any text is scrubbed', () => {
  fc.assert(
    fc.property(noise, fc.oneof(mobile, landline), noise, (before, phone, after) => {
      const out = scrub(`${before}${phone}${after}`);
      assert.ok(!leaks(out, phone), `${JSON.stringify(before + phone + after)} → ${JSON.stringify(out)}`);
    }),
    { numRuns: 2000 },
  );
});

test('property: generated addresses in a sentence or after a label are scrubbed down to the district', () => {
  fc.assert(
    fc.property(
      fc.integer(),
      fc.nat(REGIONS.length - 1),
      fc.constantFrom('患者家住', '现住', '住址：', '，'),
      (seed, i, lead) => {
        const address = drawAddress(Rng.stream(rootSeed(seed), 0), REGIONS[i] as (typeof REGIONS)[number]);
        const out = scrub(`${lead}${address.full}，近一周咳嗽。`);
        assert.ok(!out.includes(address.line) && !out.includes(address.district), `${address.full} → ${out}`);
        assert.ok(out.includes('[地址]') && out.endsWith('，近一周咳嗽。'), out);
      },
    ),
    { numRuns: 500 },
  );
});
