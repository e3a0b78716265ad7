import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { isMeridianError } from '../../src/errors/registry.ts';
import { CANONICAL_DEPTH_MAX, canonicalBytes, canonicalize } from '../../src/ledger/canonical-json.ts';

/** The double whose IEEE 754 bits are `hex`. */
function fromBits(hex: string): number {
  return Buffer.from(hex, 'hex').readDoubleBE(0);
}

/** Rebuilds every object of `v` with its keys inserted in reverse (or shuffled by `order`) order. */
function reorder(v: unknown, order: (keys: string[]) => string[]): unknown {
  if (Array.isArray(v)) return v.map((x) => reorder(x, order));
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {};
    for (const k of order(Object.keys(v))) out[k] = reorder((v as Record<string, unknown>)[k], order);
    return out;
  }
  return v;
}

function refused(fn: () => unknown): boolean {
  try {
    fn();
    return false;
  } catch (e) {
    return isMeridianError(e, 'MER_LEDGER_INVALID_JSON');
  }
}

// Strings over every Unicode code point (well formed, astral included); no __proto__ key (refused by design).
const jsonArb = fc
  .jsonValue({ stringUnit: 'binary', maxDepth: 6 })
  .filter((v) => !JSON.stringify(v).includes('"__proto__"'));

test('I1: RFC 8785 §3.2.2 example (literals, numbers, string escaping)', () => {
  const input = JSON.parse(
    '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],' +
      ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/", "literals": [null, true, false]}',
  );
  assert.equal(
    canonicalize(input),
    '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
      '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
  );
});

test('I1: RFC 8785 §3.2.3 sorting example (keys by UTF-16 code units, not code points)', () => {
  const input = JSON.parse(
    '{"\\u20ac": "Euro Sign", "\\r": "Carriage Return", "\\ufb33": "Hebrew Letter Dalet With Dagesh",' +
      ' "1": "One", "\\ud83d\\ude00": "Emoji: Grinning Face", "\\u0080": "Control",' +
      ' "\\u00f6": "Latin Small Letter O With Diaeresis"}',
  );
  const keys = Object.keys(JSON.parse(canonicalize(input)) as object);
  // Integer-like keys would come first in JS enumeration order; canonical order is by code unit.
  assert.deepEqual(
    canonicalize(input),
    `{"\\r":"Carriage Return","1":"One","\u0080":"Control","ö":"Latin Small Letter O With Diaeresis",` +
      `"€":"Euro Sign","😀":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}`,
  );
  assert.equal(keys.length, 7);
});

test('I1: reference test data (structures, weird keys, arrays, unnormalized Unicode)', () => {
  const cases: [string, string][] = [
    [
      '{"1": {"f": {"f": "hi","F": 5} ,"\\n": 56.0}, "10": { }, "": "empty", "a": { }, "111": [ { } ], "A": { }}',
      '{"":"empty","1":{"\\n":56,"f":{"F":5,"f":"hi"}},"10":{},"111":[{}],"A":{},"a":{}}',
    ],
    [
      '{"\\u20ac": "Euro Sign", "1": "One", "\\u0080": "Control\\u007f", "\\ud83d\\ude02": "Smiley",' +
        ' "\\u00f6": "Latin Small Letter O With Diaeresis", "\\ufb33": "Hebrew Letter Dalet With Dagesh",' +
        ' "</script>": "Browser Challenge"}',
      '{"1":"One","</script>":"Browser Challenge","\u0080":"Control\u007f","ö":"Latin Small Letter O With Diaeresis",' +
        '"€":"Euro Sign","😂":"Smiley","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    ],
    ['[56, {"d": true, "10": null, "1": [ ]}]', '[56,{"1":[],"10":null,"d":true}]'],
    ['{"Unnormalized Unicode":"A\\u030a"}', '{"Unnormalized Unicode":"A\u030a"}'],
    ['{"9": 1, "10": 2, "a": 3}', '{"10":2,"9":1,"a":3}'],
  ];
  for (const [input, expected] of cases) assert.equal(canonicalize(JSON.parse(input)), expected, input);
});

test('I1: RFC 8785 Appendix B number serialization (ECMAScript Number::toString)', () => {
  const table: [string, string][] = [
    ['0000000000000000', '0'],
    ['8000000000000000', '0'],
    ['0000000000000001', '5e-324'],
    ['8000000000000001', '-5e-324'],
    ['7fefffffffffffff', '1.7976931348623157e+308'],
    ['ffefffffffffffff', '-1.7976931348623157e+308'],
    ['4340000000000000', '9007199254740992'],
    ['c340000000000000', '-9007199254740992'],
    ['4430000000000000', '295147905179352830000'],
    ['44b52d02c7e14af5', '9.999999999999997e+22'],
    ['44b52d02c7e14af6', '1e+23'],
    ['44b52d02c7e14af7', '1.0000000000000001e+23'],
    ['444b1ae4d6e2ef4e', '999999999999999700000'],
    ['444b1ae4d6e2ef4f', '999999999999999900000'],
    ['444b1ae4d6e2ef50', '1e+21'],
    ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
    ['3eb0c6f7a0b5ed8d', '0.000001'],
    ['41b3de4355555553', '333333333.3333332'],
    ['41b3de4355555554', '333333333.33333325'],
    ['41b3de4355555555', '333333333.3333333'],
    ['41b3de4355555556', '333333333.3333334'],
    ['41b3de4355555557', '333333333.33333343'],
    ['becbf647612f3696', '-0.0000033333333333333333'],
    ['43143ff3c1cb0959', '1424953923781206.2'],
  ];
  for (const [bits, expected] of table) assert.equal(canonicalize(fromBits(bits)), expected, bits);
  for (const bits of ['7fffffffffffffff', '7ff0000000000000', 'fff0000000000000']) {
    assert.ok(
      refused(() => canonicalize({ x: fromBits(bits) })),
      `${bits} must be refused`,
    );
  }
});

test('I1: -0 is written 0; escapes are the RFC minimum (short forms, lowercase \\u00xx, / and U+2028 as is)', () => {
  assert.equal(canonicalize(-0), '0');
  assert.equal(canonicalize({ a: -0, b: [-0] }), '{"a":0,"b":[0]}');
  let controls = '';
  for (let c = 0; c < 0x20; c += 1) controls += String.fromCharCode(c);
  assert.equal(
    canonicalize(controls),
    '"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n\\u000b\\f\\r\\u000e\\u000f' +
      '\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017\\u0018\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f"',
  );
  assert.equal(canonicalize('a/b\u007f\u2028\u2029"\\'), '"a/b\u007f\u2028\u2029\\"\\\\"');
  assert.deepEqual([...canonicalBytes('€😀')], [0x22, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80, 0x22]);
});

test('I2: values outside I-JSON are refused with MER_LEDGER_INVALID_JSON', () => {
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  const cyclicArray: unknown[] = [1];
  cyclicArray.push([cyclicArray]);
  const sparse: unknown[] = [1];
  sparse[2] = 3;
  const protoKey = JSON.parse('{"__proto__": 1}');
  class Point {
    x = 1;
  }
  const bad: [string, unknown][] = [
    ['NaN', Number.NaN],
    ['Infinity', { n: Number.POSITIVE_INFINITY }],
    ['-Infinity', [Number.NEGATIVE_INFINITY]],
    ['undefined', undefined],
    ['undefined member', { a: undefined }],
    ['undefined element', [undefined]],
    ['function', { f: () => 1 }],
    ['symbol', Symbol('s')],
    ['symbol key', { [Symbol('k')]: 1 }],
    ['bigint', { n: 1n }],
    ['cycle', cyclic],
    ['array cycle', cyclicArray],
    ['hole', sparse],
    ['Date', new Date(0)],
    ['Map', new Map()],
    ['class instance', new Point()],
    ['typed array', new Uint8Array(2)],
    ['lone high surrogate', 'a\ud800b'],
    ['lone low surrogate', '\udc00'],
    ['lone surrogate in a key', { '\ud83d': 1 }],
    ['__proto__ key', protoKey],
  ];
  for (const [name, value] of bad)
    assert.ok(
      refused(() => canonicalize(value)),
      name,
    );
});

test('I2: nesting up to the depth limit is accepted, one more level is refused; shared (acyclic) references are fine', () => {
  const nest = (depth: number): unknown => {
    let v: unknown = 0;
    for (let i = 0; i < depth; i += 1) v = i % 2 === 0 ? [v] : { k: v };
    return v;
  };
  assert.doesNotThrow(() => canonicalize(nest(CANONICAL_DEPTH_MAX)));
  assert.ok(refused(() => canonicalize(nest(CANONICAL_DEPTH_MAX + 1))));
  const shared = { x: [1, 2] };
  assert.equal(canonicalize({ a: shared, b: shared }), '{"a":{"x":[1,2]},"b":{"x":[1,2]}}');
  assert.equal(canonicalize(Object.assign(Object.create(null), { b: 1, a: 2 })), '{"a":2,"b":1}');
});

test('I1: canonicalize(JSON.parse(canonicalize(x))) === canonicalize(x) for arbitrary JSON (property)', () => {
  fc.assert(
    fc.property(jsonArb, (x) => {
      const c = canonicalize(x);
      assert.equal(canonicalize(JSON.parse(c)), c);
      // The text is JSON that means the same value as JSON.stringify's rendering of it.
      assert.deepEqual(JSON.parse(c), JSON.parse(JSON.stringify(x)));
    }),
    { numRuns: 300 },
  );
});

test('I1: the canonical form does not depend on key insertion order (property)', () => {
  fc.assert(
    fc.property(jsonArb, fc.integer(), (x, seed) => {
      const shuffle = (keys: string[]): string[] =>
        keys
          .map((k, i) => ({ k, r: Math.imul(seed ^ (i * 2654435761), 2246822519) >>> 0 }))
          .sort((a, b) => a.r - b.r)
          .map((e) => e.k);
      assert.equal(canonicalize(reorder(x, (k) => k.reverse())), canonicalize(x));
      assert.equal(canonicalize(reorder(x, shuffle)), canonicalize(x));
    }),
    { numRuns: 300 },
  );
});

/** An independent RFC 8785 serializer written from the RFC text (per-code-point escaping, explicit code-unit sort). */
function reference(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'number') return Object.is(v, -0) ? '0' : String(v);
  if (typeof v === 'string') {
    const short: Record<number, string> = {
      8: '\\b',
      9: '\\t',
      10: '\\n',
      12: '\\f',
      13: '\\r',
      34: '\\"',
      92: '\\\\',
    };
    let out = '"';
    for (const ch of v) {
      const c = ch.codePointAt(0) as number;
      out += short[c] ?? (c < 0x20 ? `\\u${c.toString(16).padStart(4, '0')}` : ch);
    }
    return `${out}"`;
  }
  if (Array.isArray(v)) return `[${v.map(reference).join(',')}]`;
  const byCodeUnits = (a: string, b: string): number => {
    for (let i = 0; i < Math.min(a.length, b.length); i += 1) {
      const d = a.charCodeAt(i) - b.charCodeAt(i);
      if (d !== 0) return d;
    }
    return a.length - b.length;
  };
  const obj = v as Record<string, unknown>;
  const keys = Object.keys(obj).sort(byCodeUnits);
  return `{${keys.map((k) => `${reference(k)}:${reference(obj[k])}`).join(',')}}`;
}

test('I1: canonicalize agrees with an independent serializer written from the RFC (property)', () => {
  fc.assert(
    fc.property(jsonArb, (x) => {
      assert.equal(canonicalize(x), reference(x));
    }),
    { numRuns: 300 },
  );
});
