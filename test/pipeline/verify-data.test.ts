/** verify-data's verdicts that need no ledger: content never notarized, and a file only in the local notary log. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LocalNotaryLog, type NotarizationEntry } from '../../src/pipeline/notary.ts';
import { verifyDataNotarization } from '../../src/pipeline/verify-data.ts';

const content = Buffer.from('pid,glu\np1,5.5\n');
const sha256 = createHash('sha256').update(content).digest('hex');
const entry: NotarizationEntry = {
  type: 'ods-file',
  sha256,
  sizeBytes: content.length,
  source: 'lab',
  name: 'glu.csv',
  version: 1,
  receivedAt: '2026-11-25T08:00:00.000Z',
  location: 'ods/lab/glu.csv/1',
};

test('a file in the local log only, never committed on the ledger, does not verify and says so', () => {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-verify-data-'));
  try {
    const log = LocalNotaryLog.open({ file: join(dir, 'notary.log'), now: () => new Date('2026-11-25T08:00:01Z') });
    log.append([entry]);
    const readOnly = LocalNotaryLog.open({ file: join(dir, 'notary.log'), now: () => new Date(), readOnly: true });
    assert.throws(() => readOnly.append([entry]), /opened read-only/);
    const v = verifyDataNotarization({
      sha256,
      sizeBytes: content.length,
      name: 'glu.csv',
      notarization: readOnly.proofFor(sha256),
      sameName: [],
      trusted: [],
    });
    assert.equal(v.ok, false);
    assert.equal(!v.ok && v.reason, 'local-only');
    assert.match(!v.ok ? v.message : '', /lab\/glu\.csv v1 is in the node's local notary log \(batch #1\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('content nobody notarized is named by its hash, with or without other versions of the name', () => {
  const other = 'ab'.repeat(32);
  const none = verifyDataNotarization({
    sha256: other,
    sizeBytes: 3,
    name: 'x.csv',
    notarization: undefined,
    sameName: [],
    trusted: [],
  });
  assert.equal(!none.ok && none.reason, 'not-notarized');
  assert.match(!none.ok ? none.message : '', new RegExp(`sha256 ${other}\\); no file named x\\.csv was notarized`));
  const versions = verifyDataNotarization({
    sha256: other,
    sizeBytes: 3,
    name: 'glu.csv',
    notarization: undefined,
    sameName: [entry],
    trusted: [],
  });
  assert.match(!versions.ok ? versions.message : '', /other contents under this name: lab\/glu\.csv v1 \(sha256 /);
});
