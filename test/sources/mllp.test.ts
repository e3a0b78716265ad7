import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import iconv from 'iconv-lite';
import { isMeridianError, MeridianError } from '../../src/errors/registry.ts';
import { type Hl7Message, parseHl7 } from '../../src/sources/hl7-message.ts';
import {
  buildAck,
  createMllpListener,
  type MllpListener,
  type MllpOptions,
  mllpFrame,
} from '../../src/sources/mllp.ts';
import type { SourceReject } from '../../src/sources/types.ts';

const NOW = () => new Date('2024-03-01T02:00:00Z');

function message(id: string, name = '张^三'): string {
  return `MSH|^~\\&|LIS|第一医院|MERIDIAN|NODE1|20240301100000||ORU^R01|${id}|P|2.5.1\rPID|1||P001||${name}\rOBX|1|NM|GLU||6.1|mmol/L\r`;
}

/** A client that collects the ACK frames it receives. */
class Client {
  readonly socket: Socket;
  readonly #acks: Buffer[] = [];
  #buf = Buffer.alloc(0);
  #waiters: (() => void)[] = [];
  closed: Promise<void>;

  constructor(port: number) {
    this.socket = connect(port, '127.0.0.1');
    this.socket.on('data', (d: Buffer) => {
      this.#buf = Buffer.concat([this.#buf, d]);
      for (;;) {
        const end = this.#buf.indexOf(0x1c);
        if (this.#buf[0] !== 0x0b || end < 0 || end + 1 >= this.#buf.length) break;
        this.#acks.push(this.#buf.subarray(1, end));
        this.#buf = this.#buf.subarray(end + 2);
      }
      for (const w of this.#waiters.splice(0)) w();
    });
    this.closed = new Promise((resolve) => this.socket.on('close', () => resolve()));
    this.socket.on('error', () => {});
  }

  async connected(): Promise<void> {
    if (!this.socket.connecting) return;
    await new Promise((resolve) => this.socket.once('connect', resolve));
  }

  /** Waits for the n-th ACK (1-based) and returns its text decoded with `encoding`. */
  async ack(n: number, encoding = 'utf8'): Promise<string> {
    while (this.#acks.length < n) await new Promise<void>((resolve) => this.#waiters.push(resolve));
    return iconv.decode(this.#acks[n - 1] as Buffer, encoding);
  }
}

async function withListener(
  t: { after(fn: () => Promise<void>): void },
  opts: Partial<MllpOptions> & Pick<MllpOptions, 'onMessage'>,
): Promise<{ listener: MllpListener; port: number }> {
  const listener = createMllpListener({ now: NOW, ...opts });
  const { port } = await listener.listen({ port: 0 });
  t.after(() => listener.close(500));
  return { listener, port };
}

function msa(ack: string): string[] {
  const parsed = parseHl7(ack);
  assert.ok(parsed.ok, ack);
  return [parsed.message.get('MSA-1') ?? '', parsed.message.get('MSA-2') ?? '', parsed.message.get('MSA-3') ?? ''];
}

test('AA with the original control id; frames split across writes and pipelined frames both work', async (t) => {
  const received: Hl7Message[] = [];
  const { listener, port } = await withListener(t, { onMessage: (m) => void received.push(m) });
  const c = new Client(port);
  await c.connected();
  const frame = mllpFrame(Buffer.from(message('C1')));
  c.socket.write(frame.subarray(0, 7));
  await new Promise((r) => setTimeout(r, 20));
  c.socket.write(frame.subarray(7));
  const ack1 = await c.ack(1);
  assert.deepEqual(msa(ack1), ['AA', 'C1', '']);
  const parsed = parseHl7(ack1);
  assert.ok(parsed.ok);
  assert.equal(parsed.message.type, 'ACK^R01');
  assert.equal(parsed.message.get('MSH-3'), 'MERIDIAN');
  assert.equal(parsed.message.get('MSH-5'), 'LIS');
  assert.equal(parsed.message.get('MSH-6'), '第一医院');
  assert.equal(parsed.message.get('MSH-7'), '20240301020000+0000');
  c.socket.write(Buffer.concat([mllpFrame(Buffer.from(message('C2'))), mllpFrame(Buffer.from(message('C3')))]));
  assert.deepEqual(msa(await c.ack(2)), ['AA', 'C2', '']);
  assert.deepEqual(msa(await c.ack(3)), ['AA', 'C3', '']);
  // A whole frame followed by the start of the next in one write: the first is answered without waiting.
  const f5 = mllpFrame(Buffer.from(message('C5')));
  c.socket.write(Buffer.concat([mllpFrame(Buffer.from(message('C4'))), f5.subarray(0, 10)]));
  assert.deepEqual(msa(await c.ack(4)), ['AA', 'C4', '']);
  c.socket.write(f5.subarray(10));
  assert.deepEqual(msa(await c.ack(5)), ['AA', 'C5', '']);
  assert.deepEqual(
    received.map((m) => [m.controlId, m.get('PID-5.1')]),
    [
      ['C1', '张'],
      ['C2', '张'],
      ['C3', '张'],
      ['C4', '张'],
      ['C5', '张'],
    ],
  );
  assert.deepEqual({ ...listener.stats }, { connections: 1, frames: 5, accepted: 5, errored: 0, rejected: 0 });
  c.socket.end();
});

test('AE when the callback fails; AR (and onReject) when the message cannot be parsed or is refused', async (t) => {
  const rejected: { reject: SourceReject; raw: string }[] = [];
  const { listener, port } = await withListener(t, {
    onMessage: (m) => {
      if (m.controlId === 'FAIL') throw new MeridianError('MER_LAKE_WRITE_FAILED', 'lake is full');
      if (m.controlId === 'OOPS') throw new Error('secret patient data in a stack');
      if (m.controlId === 'NOPE') return { ack: 'AR', text: 'unsupported message type' };
      return undefined;
    },
    onReject: (r, raw) => void rejected.push({ reject: r, raw: raw.toString() }),
  });
  const c = new Client(port);
  await c.connected();
  c.socket.write(mllpFrame(Buffer.from(message('FAIL'))));
  assert.deepEqual(msa(await c.ack(1)), ['AE', 'FAIL', 'MER_LAKE_WRITE_FAILED: lake is full']);
  assert.match(await c.ack(1), /ERR\|\|\|207\^Application internal error\^HL70357\|E/);
  c.socket.write(mllpFrame(Buffer.from(message('OOPS'))));
  assert.deepEqual(msa(await c.ack(2)), ['AE', 'OOPS', 'application error while storing the message']);
  c.socket.write(mllpFrame(Buffer.from(message('NOPE'))));
  assert.deepEqual(msa(await c.ack(3)), ['AR', 'NOPE', 'unsupported message type']);
  c.socket.write(mllpFrame(Buffer.from('MSH|^~\\&|A|B|C|D|1||ADT^A01|BAD1|P|2.5\rP1|broken\r')));
  const ar = await c.ack(4);
  assert.deepEqual(msa(ar), ['AR', 'BAD1', 'segment 2 has no valid segment id ("P1")']);
  assert.match(ar, /ERR\|\|\|100\^Segment sequence error/);
  c.socket.write(mllpFrame(Buffer.from('not hl7 at all')));
  assert.deepEqual(msa(await c.ack(5)), ['AR', '', 'the message starts with "not", not with an MSH segment']);
  assert.deepEqual(
    rejected.map((r) => [r.reject.reason.code, r.reject.position.kind === 'message' && r.reject.position.message]),
    [
      ['HL7_BAD_SEGMENT', 4],
      ['HL7_NO_MSH', 5],
    ],
  );
  assert.equal(rejected[0]?.raw.startsWith('MSH|'), true);
  assert.deepEqual({ ...listener.stats }, { connections: 1, frames: 5, accepted: 0, errored: 2, rejected: 3 });
  c.socket.end();
});

test('an oversized frame gets AR and the connection is closed; the listener keeps serving others', async (t) => {
  const rejected: SourceReject[] = [];
  const { port } = await withListener(t, {
    onMessage: () => undefined,
    onReject: (r) => void rejected.push(r),
    frameBytesMax: 1000,
  });
  const c = new Client(port);
  await c.connected();
  c.socket.write(Buffer.concat([Buffer.from([0x0b]), Buffer.from(message('HUGE')), Buffer.alloc(5000, 0x41)]));
  assert.deepEqual(msa(await c.ack(1)), ['AR', 'HUGE', 'frame exceeds 1000 bytes']);
  await c.closed;
  assert.deepEqual(
    rejected.map((r) => r.reason.code),
    ['HL7_MESSAGE_TOO_LARGE'],
  );
  const d = new Client(port);
  await d.connected();
  d.socket.write(mllpFrame(Buffer.from(message('NEXT'))));
  assert.deepEqual(msa(await d.ack(1)), ['AA', 'NEXT', '']);
  d.socket.end();
});

test('idle connections are closed after idleTimeoutMs', async (t) => {
  const { port } = await withListener(t, { onMessage: () => undefined, idleTimeoutMs: 150 });
  const c = new Client(port);
  await c.connected();
  const started = Date.now();
  await c.closed;
  assert.ok(Date.now() - started >= 100);
});

test('close() lets a message in flight finish and ACK before the socket closes', async (t) => {
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  let entered: () => void = () => {};
  const inside = new Promise<void>((resolve) => {
    entered = resolve;
  });
  const listener = createMllpListener({
    now: NOW,
    onMessage: async () => {
      entered();
      await gate;
    },
  });
  const { port } = await listener.listen({ port: 0 });
  t.after(() => listener.close(100));
  const c = new Client(port);
  await c.connected();
  c.socket.write(mllpFrame(Buffer.from(message('SLOW'))));
  await inside;
  const closing = listener.close(5_000);
  setTimeout(release, 50);
  assert.deepEqual(msa(await c.ack(1)), ['AA', 'SLOW', '']);
  await c.closed;
  await closing;
});

test('GB18030 frames are decoded and answered in GB18030; a handler that hangs is answered AE', async (t) => {
  const names: string[] = [];
  const { port } = await withListener(t, {
    handlerTimeoutMs: 100,
    onMessage: async (m) => {
      if (m.controlId === 'HANG') await new Promise(() => {});
      names.push(m.get('PID-5.2') ?? '');
    },
  });
  const c = new Client(port);
  await c.connected();
  c.socket.write(mllpFrame(iconv.encode(message('G1', '王^小明'), 'gb18030')));
  const ack = await c.ack(1, 'gb18030');
  assert.deepEqual(msa(ack), ['AA', 'G1', '']);
  assert.match(ack, /第一医院/);
  assert.deepEqual(names, ['小明']);
  c.socket.write(mllpFrame(Buffer.from(message('HANG'))));
  assert.deepEqual(msa(await c.ack(2)), ['AE', 'HANG', 'application error while storing the message']);
  c.socket.end();
});

test('listen on a port in use is MER_SOURCE_MLLP_LISTEN; ACKs keep the sender delimiters', async (t) => {
  const { port } = await withListener(t, { onMessage: () => undefined });
  const other = createMllpListener({ onMessage: () => undefined });
  await assert.rejects(other.listen({ port }), (e: unknown) => isMeridianError(e, 'MER_SOURCE_MLLP_LISTEN'));
  const ack = buildAck('MSH#$*@%#APP#FAC#ME#HERE#1##ADT$A08#X9#P#2.3\r', {
    code: 'AE',
    text: 'a#b',
    controlId: 'A1',
    now: NOW(),
    application: 'M',
    facility: 'N',
  });
  assert.equal(
    ack,
    'MSH#$*@%#ME#HERE#APP#FAC#20240301020000+0000##ACK$A08$ACK#A1#P#2.3\rMSA#AE#X9#a@F@b\rERR###207$Application internal error$HL70357#E\r',
  );
});
