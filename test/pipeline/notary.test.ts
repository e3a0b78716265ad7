import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isMeridianError } from '../../src/errors/registry.ts';
import { verifyEntryInBatch } from '../../src/ledger/index.ts';
import { LocalNotaryLog, type NotarizationEntry } from '../../src/pipeline/notary.ts';

const entry = (i: number): NotarizationEntry => ({
  type: 'ods-file',
  sha256: i.toString(16).padStart(64, '0'),
  sizeBytes: 100 + i,
  source: 'his',
  name: `file-${i}.csv`,
  version: 1,
  receivedAt: '2026-05-01T00:00:00.000Z',
  location: `ods/${i}`,
});

test('batches chain, survive reopen, and every entry proves its inclusion in its batch root', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'notary-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'notary.log');
  const now = () => new Date('2026-05-01T00:00:00Z');
  const log = LocalNotaryLog.open({ file, now });
  const a = await log.notarize([entry(1), entry(2), entry(3)]);
  const b = await log.notarize([entry(4)]);
  assert.deepEqual([a.seq, b.seq, a.commitment.size], [1, 2, 3]);
  const reopened = LocalNotaryLog.open({ file, now });
  const c = await reopened.notarize([entry(5), entry(6)]);
  assert.equal(c.seq, 3);
  for (const i of [1, 2, 3, 4, 5, 6]) {
    const p = reopened.proofFor(entry(i).sha256);
    assert.ok(p, `entry ${i}`);
    assert.equal(verifyEntryInBatch(entry(i), p.proof, p.commitment), true);
    assert.equal(verifyEntryInBatch({ ...entry(i), sizeBytes: 1 }, p.proof, p.commitment), false);
  }
});

test('a torn last line is repaired on open; damage before it stops the log naming the line', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'notary-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'notary.log');
  const now = () => new Date('2026-05-01T00:00:00Z');
  const log = LocalNotaryLog.open({ file, now });
  await log.notarize([entry(1)]);
  await log.notarize([entry(2)]);
  appendFileSync(file, '{"seq":3,"prevHash":"ab');
  const repaired = LocalNotaryLog.open({ file, now });
  assert.equal(repaired.records().length, 2);
  assert.equal((await repaired.notarize([entry(3)])).seq, 3);

  const lines = readFileSync(file, 'utf8').split('\n');
  writeFileSync(file, [lines[0], (lines[1] as string).replace('file-2.csv', 'file-X.csv'), lines[2], ''].join('\n'));
  assert.throws(
    () => LocalNotaryLog.open({ file, now }),
    (e) => isMeridianError(e, 'MER_PIPELINE_NOTARY_CORRUPT') && /line 2/.test(e.message),
  );
});
