import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { pino } from 'pino';
import { startHl7Feed } from '../../src/pipeline/feed.ts';
import { IngestService } from '../../src/pipeline/service.ts';
import { openTestPipeline } from './load-helpers.ts';

const oru = (id: string, value: string) =>
  `MSH|^~\\&|LIS|JNUH|MERIDIAN|NODE|20240301100000||ORU^R01|${id}|P|2.5.1\rPID|1||P001^^^JNUH^MR||张^三\rOBR|1|O1|F1|GLU^血糖^L|||20240301093000\rOBX|1|NM|GLU^血糖^L||${value}|mg/dL|||||F|||20240301093000\r`;

/** Sends MLLP frames and returns the ACK texts, one per frame. */
async function send(port: number, messages: string[]): Promise<string[]> {
  const socket = connect(port, '127.0.0.1');
  const acks: string[] = [];
  let buf = Buffer.alloc(0);
  const done = new Promise<void>((resolve, reject) => {
    socket.on('error', reject);
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (let end = buf.indexOf(0x1c); end >= 0; end = buf.indexOf(0x1c)) {
        acks.push(buf.subarray(1, end).toString('utf8'));
        buf = buf.subarray(end + 2);
      }
      if (acks.length === messages.length) resolve();
    });
  });
  for (const m of messages)
    socket.write(Buffer.concat([Buffer.from([0x0b]), Buffer.from(m, 'utf8'), Buffer.from([0x1c, 0x0d])]));
  await done;
  socket.end();
  return acks;
}

test('the MLLP feed ACKs each message once it is on disk and loads feed files into the DWD', async (t) => {
  const p = await openTestPipeline();
  t.after(() => p.close());
  const spec = {
    id: 'feed-lab',
    version: 1,
    target: 'measurement',
    each: 'OBX',
    when: { 'MSH-9.1': ['ORU'] },
    fields: {
      person_id: { from: 'PID-3.1' },
      measurement_code: { from: 'OBX-3.1', codeMap: 'lab', nameFrom: 'OBX-3.2' },
      source_code: { from: 'OBX-3.1' },
      value: { from: 'OBX-5', as: 'number', convert: { analyteOfField: 'measurement_code', unitFrom: 'OBX-6' } },
      unit: { unitOf: 'value' },
      measured_at: { from: 'OBX-14', as: 'datetime' },
    },
    codeMaps: { lab: { entries: { GLU: '14749-6' } } },
  };
  const ingest = new IngestService({ ...p.ctx });
  await ingest.installMappings(
    { profile: { source: 'lis-feed', rules: [{ match: '*.hl7', specs: ['feed-lab'] }] }, specs: [spec] },
    'test',
  );
  const inboxDir = join(p.dir, 'inbox');
  const feed = await startHl7Feed({
    ingest,
    inboxDir,
    source: 'lis-feed',
    host: '127.0.0.1',
    port: 0,
    batchMessages: 2,
    flushMs: 200,
    log: pino({ level: 'silent' }),
  });
  const acks = await send(feed.address.port, [oru('M1', '90'), oru('M2', '108'), oru('M3', '126')]);
  assert.deepEqual(
    acks.map((a) => /MSA\|(\w+)\|(\w+)/.exec(a)?.slice(1, 3)),
    [
      ['AA', 'M1'],
      ['AA', 'M2'],
      ['AA', 'M3'],
    ],
  );
  await feed.close();
  assert.deepEqual(readdirSync(join(inboxDir, 'mllp')), [], 'loaded feed files leave the inbox');
  const rows = await p.lake.query<{ value: number; source_position: string }>(
    'select value, source_position from measurement order by value',
  );
  assert.deepEqual(
    rows.map((r) => Math.round(r.value * 10) / 10),
    [5, 6, 7],
  );
  assert.match(rows[0]?.source_position ?? '', /^mllp\/feed-.*\.hl7#1\/4\(OBX\)$|^feed-.*\.hl7#1\/4\(OBX\)$/);
  const loads = await ingest.loads();
  assert.equal(loads.length, 2, 'two feed files: a full batch of two messages, then the rest on close');
});
