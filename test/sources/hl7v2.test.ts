import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import iconv from 'iconv-lite';
import {
  DEFAULT_DELIMITERS,
  encodingCharacters,
  escapeHl7,
  type Hl7Delimiters,
  type Hl7Message,
  parseHl7,
  parseHl7Path,
  unescapeHl7,
} from '../../src/sources/hl7-message.ts';
import { type Hl7Payload, openHl7File } from '../../src/sources/hl7v2.ts';
import type { SourceRecord } from '../../src/sources/types.ts';
import { collect, fixtures, rejectsWith } from './helpers.ts';

const ADT = [
  'MSH|^~\\&|HIS|第一医院|MERIDIAN|NODE1|20240301083000+0800||ADT^A01^ADT_A01|ADT0001|P|2.5.1|||||CHN|UNICODE UTF-8',
  'EVN|A01|20240301083000',
  'PID|1||P001^^^H1^PI~110101198001011234^^^CHN^NNCHN||张^三^^^^^L||19800101|M|||北京市朝阳区^^北京^^100000||138\\F\\0000\\S\\1234',
  'PV1|1|I|内分泌科^301^02||||D01^李^医生|||||||||||V20240301001',
].join('\r');

const ORU = [
  'MSH|^~\\&|LIS|第一医院|MERIDIAN|NODE1|20240301100000||ORU^R01|LAB0002|P|2.5.1',
  'PID|1||P001^^^H1^PI',
  'OBR|1||L001|GLU^葡萄糖',
  'OBX|1|NM|GLU^空腹血糖^L||6.1|mmol/L|3.9-6.1|N|||F',
  'OBX|2|NM|HBA1C^糖化血红蛋白^L||7.2|%|4.0-6.0|H|||F',
  'OBX|3|FT|NOTE^备注^L||第一行\\.br\\第二行 \\H\\重要\\N\\ a\\E\\b \\X4E2D\\ \\XE4B8AD\\||||||F',
].join('\r');

test('messages split by MSH with CR, LF or CRLF segment ends; positions are message ordinal and start line', async (t) => {
  const fx = fixtures(t);
  for (const [name, eol] of [
    ['cr.hl7', '\r'],
    ['lf.hl7', '\n'],
    ['crlf.hl7', '\r\n'],
  ] as const) {
    const text = `${ADT.replaceAll('\r', eol)}${eol}${eol}${ORU.replaceAll('\r', eol)}${eol}`;
    const path = fx.file(name, text);
    const src = await openHl7File(path);
    assert.deepEqual(src.info, { encoding: 'utf-8', encodingSource: 'detected', framing: 'lines' });
    const { records, rejects } = await collect(src);
    assert.deepEqual(rejects, []);
    assert.deepEqual(
      records.map((r) => r.position),
      [
        { kind: 'message', file: path, message: 1, line: 1 },
        { kind: 'message', file: path, message: 2, line: 6 },
      ],
    );
    const [adt, oru] = records.map((r) => r.message) as [Hl7Message, Hl7Message];
    assert.equal(adt.type, 'ADT^A01');
    assert.equal(adt.controlId, 'ADT0001');
    assert.equal(adt.version, '2.5.1');
    assert.equal(oru.type, 'ORU^R01');
    assert.equal(oru.segmentsNamed('OBX').length, 3);
  }
});

test('path access: repetitions, components, segment occurrences, escapes decoded', async (t) => {
  const fx = fixtures(t);
  const { records } = await collect(openHl7File(fx.file('two.hl7', `${ADT}\r${ORU}\r`)));
  const [adt, oru] = records.map((r) => r.message) as [Hl7Message, Hl7Message];
  assert.equal(adt.get('MSH-1'), '|');
  assert.equal(adt.get('MSH-2'), '^~\\&');
  assert.equal(adt.get('MSH-4'), '第一医院');
  assert.equal(adt.get('PID-3'), 'P001');
  assert.equal(adt.get('PID-3[1].1'), 'P001');
  assert.equal(adt.get('PID-3[2].1'), '110101198001011234');
  assert.equal(adt.get('PID-3[2].5'), 'NNCHN');
  assert.equal(adt.get('PID-3[3].1'), undefined);
  assert.deepEqual(adt.getRepetitions('PID-3.4'), ['H1', 'CHN']);
  assert.equal(adt.get('PID-5.1'), '张');
  assert.equal(adt.get('PID-5.2'), '三');
  assert.equal(adt.get('PID-13'), '138|0000^1234');
  assert.equal(adt.get('PV1-3.1'), '内分泌科');
  assert.equal(adt.get('PID-99'), undefined);
  assert.equal(adt.get('ZZZ-1'), undefined);
  assert.equal(oru.get('OBX[2]-5'), '7.2');
  assert.equal(oru.get('OBX[2]-3.2'), '糖化血红蛋白');
  assert.equal(oru.get('OBX[3]-5'), '第一行\n第二行 重要 a\\b N- 中');
  assert.equal(oru.get('OBX[4]-5'), undefined);
});

test('custom delimiters from MSH-1/MSH-2 are honoured', async (t) => {
  const fx = fixtures(t);
  const text = 'MSH#$*@%#A#B#C#D#20240101##ADT$A08#X1#P#2.3\rPID#1##ID1*ID2$$$H##Wang$Wei%sub@F@x\r';
  const { records } = await collect(openHl7File(fx.file('custom.hl7', text)));
  const m = records[0]?.message as Hl7Message;
  assert.deepEqual(m.delimiters, { field: '#', component: '$', repetition: '*', escape: '@', subcomponent: '%' });
  assert.equal(m.type, 'ADT^A08');
  assert.equal(m.get('PID-3[2].4'), 'H');
  assert.equal(m.get('PID-5'), 'Wang');
  assert.equal(m.get('PID-5.2'), 'Wei');
  assert.equal(m.get('PID-5.2.2'), 'sub#x');
});

test('malformed messages are rejects naming message and segment; good messages around them are kept', async (t) => {
  const fx = fixtures(t);
  const good = (id: string) => `MSH|^~\\&|A|B|C|D|20240101||ADT^A01|${id}|P|2.5\rPID|1||${id}`;
  const text = [
    'PID|1||ORPHAN\rPV1|1|I', // segments before any MSH
    good('G1'),
    'MSH|^~\\&|A|B|C|D|20240101||ADT^A01|B1|P|2.5\rPID|1||X\rP1|bad id\rPV1|1',
    'MSH|^^\\&|A|B|C|D|20240101||ADT^A01|B2|P|2.5', // repeated delimiter
    'MSH|^~\\&|A|B|C|D|20240101||ADT^A01||P|2.5\rPID|1', // no control id
    'MSH|^~\\&|A|B|C|D|20240101||ADT^A01|B4|P|2.5\rpid|1||lowercase',
    'MSH|^~\\&|A|B|C|D|20240101||ADT^A01|B5|P|2.5\rPIDX|1',
    good('G2'),
  ].join('\r');
  const path = fx.file('bad.hl7', `${text}\r`);
  const { records, rejects } = await collect(openHl7File(path));
  assert.deepEqual(
    records.map((r) => [r.position.kind === 'message' && r.position.message, r.message.controlId]),
    [
      [2, 'G1'],
      [8, 'G2'],
    ],
  );
  assert.deepEqual(
    rejects.map((r) => {
      const p = r.position.kind === 'message' ? r.position : undefined;
      return [p?.message, p?.segment, p?.segmentName, p?.line, r.reason.code];
    }),
    [
      [1, 1, 'PID', 1, 'HL7_NO_MSH'],
      [3, 3, 'P1', 5, 'HL7_BAD_SEGMENT'],
      [4, 1, 'MSH', 9, 'HL7_BAD_ENCODING_CHARS'],
      [5, 1, 'MSH', 10, 'HL7_MSH_FIELD_MISSING'],
      [6, 2, 'pid', 12, 'HL7_BAD_SEGMENT'],
      [7, 2, 'PIDX', 14, 'HL7_BAD_SEGMENT'],
    ],
  );
  assert.equal(rejects[1]?.reason.message, 'message 3 (line 5): segment 3 has no valid segment id ("P1")');
});

test('MLLP-framed files and batch envelopes (FHS/BHS/BTS/FTS)', async (t) => {
  const fx = fixtures(t);
  const framed = `\u000b${ADT}\r\u001c\r\u000b${ORU}\r\u001c\r`;
  const src = await openHl7File(fx.file('framed.hl7', framed));
  assert.equal(src.info.framing, 'mllp');
  const a = await collect(src);
  assert.deepEqual(
    a.records.map((r) => r.message.controlId),
    ['ADT0001', 'LAB0002'],
  );
  const batch = `FHS|^~\\&|LIS\rBHS|^~\\&|LIS\r${ORU}\r${ADT}\rBTS|2\rFTS|1\r`;
  const b = await collect(openHl7File(fx.file('batch.hl7', batch)));
  assert.deepEqual(b.rejects, []);
  assert.deepEqual(
    b.records.map((r) => [r.message.controlId, r.position.kind === 'message' && r.position.line]),
    [
      ['LAB0002', 3],
      ['ADT0001', 9],
    ],
  );
});

test('GBK-encoded HL7 file (MSH-18 GB18030) is detected and decoded', async (t) => {
  const fx = fixtures(t);
  const text = 'MSH|^~\\&|LIS|第二医院|M|N|20240101||ORU^R01|C1|P|2.4|||||CHN|GB18030\rPID|1||P9||王^小明\r';
  const src = await openHl7File(fx.file('gbk.hl7', iconv.encode(text, 'gb18030')));
  assert.equal(src.info.encoding, 'gb18030');
  const { records } = await collect<Hl7Payload>(src);
  assert.equal((records[0] as SourceRecord<Hl7Payload>).message.get('PID-5.2'), '小明');
});

test('a message with undecodable bytes is rejected; the others are read', async (t) => {
  const fx = fixtures(t);
  const good = Buffer.from(`${ADT}\r`.repeat(10));
  const bad = Buffer.concat([
    Buffer.from('MSH|^~\\&|A|B|C|D|1||ADT^A01|BAD|P|2.5\rPID|1||X||'),
    Buffer.from([0xff, 0xfe]),
    Buffer.from('\r'),
  ]);
  const { records, rejects } = await collect(
    openHl7File(fx.file('dirty.hl7', Buffer.concat([good, bad, Buffer.from(`${ORU}\r`)]))),
  );
  assert.deepEqual(
    records.map((r) => r.message.controlId),
    [...Array(10).fill('ADT0001'), 'LAB0002'],
  );
  assert.deepEqual(
    rejects.map((r) => [r.reason.code, r.position.kind === 'message' && r.position.message]),
    [['ENCODING_INVALID', 11]],
  );
});

test('file-level failures: not HL7, empty, blank', async (t) => {
  const fx = fixtures(t);
  await rejectsWith(
    openHl7File(fx.file('x.hl7', 'id,name\n1,张三\n')),
    'MER_SOURCE_FORMAT',
    /not HL7 v2: no MSH segment/,
  );
  await rejectsWith(openHl7File(fx.file('e.hl7', '')), 'MER_SOURCE_EMPTY');
  await rejectsWith(openHl7File(fx.file('b.hl7', '\r\n\r\n')), 'MER_SOURCE_EMPTY');
});

test('an over-long message is refused; the next message is read', async (t) => {
  const fx = fixtures(t);
  const big = `MSH|^~\\&|A|B|C|D|1||ORU^R01|BIG|P|2.5\rOBX|1|ED|PDF||${'A'.repeat(3000)}\r`;
  const small = 'MSH|^~\\&|A|B|C|D|1||ORU^R01|SMALL|P|2.5\rOBX|1|NM|X||1\r';
  const { records, rejects } = await collect(
    openHl7File(fx.file('big.hl7', big + small), { messageCharsMax: 1000, chunkBytes: 512 }),
  );
  assert.deepEqual(
    rejects.map((r) => r.reason.code),
    ['HL7_MESSAGE_TOO_LARGE'],
  );
  assert.deepEqual(
    records.map((r) => r.message.controlId),
    ['SMALL'],
  );
  // An over-long MSH line starts its own (refused) message; the one before it is kept.
  const longMsh = `MSH|^~\\&|${'A'.repeat(2000)}|B|C|D|1||ORU^R01|LONG|P|2.5\rOBX|1|NM|X||1\r`;
  const b = await collect(
    openHl7File(fx.file('longmsh.hl7', small + longMsh + small), { messageCharsMax: 1000, chunkBytes: 300 }),
  );
  assert.deepEqual(
    b.items.map((i) => (i.kind === 'record' ? i.message.controlId : i.reason.code)),
    ['SMALL', 'HL7_MESSAGE_TOO_LARGE', 'SMALL'],
  );
});

test('paths: grammar and refusals', () => {
  assert.deepEqual(parseHl7Path('OBX[2]-5[3].4.2'), {
    segment: 'OBX',
    occurrence: 2,
    field: 5,
    repetition: 3,
    component: 4,
    subcomponent: 2,
  });
  for (const bad of ['PID', 'PID-0', 'pid-3', 'PID-3.', 'PID-3[0]', 'PID.3']) {
    assert.throws(() => parseHl7Path(bad), /is not an HL7 path/, bad);
  }
});

test('escapes: unknown and unclosed sequences are kept as they stand', () => {
  const d = DEFAULT_DELIMITERS;
  assert.equal(unescapeHl7('a\\Q\\b', d), 'a\\Q\\b');
  assert.equal(unescapeHl7('a\\F', d), 'a\\F');
  assert.equal(unescapeHl7('\\F\\\\S\\', d), '|^');
  assert.equal(unescapeHl7('\\C2842\\x\\M284230\\', d), 'x');
  assert.equal(unescapeHl7('\\XZZ\\', d), '\\XZZ\\');
});

/** Delimiter sets: the usual one, and random distinct punctuation. */
const delimiterSets = fc
  .uniqueArray(fc.constantFrom(...'|^~\\&#$*@%!+'), { minLength: 5, maxLength: 5 })
  .map((chars): Hl7Delimiters => {
    const [field, component, repetition, escapeChar, subcomponent] = chars as [string, string, string, string, string];
    return { field, component, repetition, escape: escapeChar, subcomponent };
  });

test('property: encode → parse round-trips random field content with delimiters, escapes and line breaks', () => {
  const content = fc.string({
    unit: fc.oneof(fc.constantFrom(...'|^~\\&#$*@%!+\r\n'), fc.constantFrom('张', '三', 'a', '1', ' ', 'é', '𠀾')),
    maxLength: 20,
  });
  fc.assert(
    fc.property(
      fc.oneof(fc.constant(DEFAULT_DELIMITERS), delimiterSets),
      fc.array(fc.array(content, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 3 }),
      content,
      (d, reps, name) => {
        const field3 = reps.map((comps) => comps.map((c) => escapeHl7(c, d)).join(d.component)).join(d.repetition);
        const text =
          `MSH${d.field}${encodingCharacters(d)}${d.field}A${d.field}B${d.field}C${d.field}D${d.field}20240101` +
          `${d.field}${d.field}ADT${d.component}A01${d.field}CTL1${d.field}P${d.field}2.5\r` +
          `PID${d.field}1${d.field}${d.field}${field3}${d.field}${d.field}${escapeHl7(name, d)}\r`;
        const parsed = parseHl7(text);
        assert.ok(parsed.ok, parsed.ok ? '' : parsed.message);
        const m = parsed.message;
        assert.equal(m.controlId, 'CTL1');
        reps.forEach((comps, r) => {
          comps.forEach((c, i) => {
            assert.equal(m.get(`PID-3[${r + 1}].${i + 1}`), c);
          });
        });
        assert.equal(m.get('PID-5'), name);
        assert.equal(parseHl7(m.toString()).ok, true);
      },
    ),
    { numRuns: 500 },
  );
});

test('throughput: HL7 messages per second (diagnostic)', async (t) => {
  const fx = fixtures(t);
  const count = 50_000;
  const parts: string[] = [];
  for (let i = 0; i < count; i++) parts.push(ORU.replace('LAB0002', `LAB${i}`), '\r');
  const path = fx.file('many.hl7', parts.join(''));
  const started = performance.now();
  let n = 0;
  let obx = 0;
  for await (const item of await openHl7File(path)) {
    if (item.kind !== 'record') continue;
    n++;
    if (item.message.get('OBX[2]-5') === '7.2') obx++;
  }
  const seconds = (performance.now() - started) / 1000;
  assert.equal(n, count);
  assert.equal(obx, count);
  t.diagnostic(
    `hl7v2: ${count} messages (6 segments) in ${seconds.toFixed(2)} s = ${Math.round(count / seconds)} messages/s`,
  );
});
