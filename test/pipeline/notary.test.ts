import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { isMeridianError } from '../../src/errors/registry.ts';
import { buildBatch, buildReceipt, txHash, verifyEntryInBatch, verifyReceipt } from '../../src/ledger/index.ts';
import { type LedgerAnchor, LocalNotaryLog, type NotarizationEntry } from '../../src/pipeline/notary.ts';
import { block, fourValidators, tx } from '../ledger/fixtures.ts';

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

/** A certified receipt of a `notarize.batch` transaction over `batchEntries`, from the deterministic fixtures. */
function anchorFor(batchEntries: readonly NotarizationEntry[], label: string): LedgerAnchor {
  const vals = fourValidators();
  const t = tx({
    label,
    kind: 'notarize.batch',
    payload: { batch: buildBatch(batchEntries).commitment, source: 'his' },
  });
  const { header, certificate } = block({ vals, txs: [t] });
  const receipt = buildReceipt({ txs: [t], txIndex: 0, header, certificate, validatorSet: vals.set });
  return { txHash: txHash(t), height: header.height, receipt };
}

test('records with a ledger anchor chain after older records without one; each entry gets its own receipt', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'notary-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'notary.log');
  const now = () => new Date('2026-05-01T00:00:00Z');
  const before = LocalNotaryLog.open({ file, now });
  await before.notarize([entry(1)]);
  const onLedger = [entry(2), entry(3), entry(4)];
  const anchor = anchorFor(onLedger, 'a');
  const log = LocalNotaryLog.open({ file, now });
  const b = log.append(onLedger, anchor);
  assert.deepEqual(b.ledger, { txHash: anchor.txHash, height: anchor.height });
  const reopened = LocalNotaryLog.open({ file, now });
  assert.equal(reopened.proofFor(entry(1).sha256)?.ledger, undefined);
  const set = fourValidators().set;
  for (const e of onLedger) {
    const p = reopened.proofFor(e.sha256);
    assert.ok(p?.ledger);
    const r = verifyReceipt(p.ledger.receipt, [set]);
    assert.ok(r.ok && r.entry?.index === p.proof.index && r.txHash === anchor.txHash, JSON.stringify(r));
  }
  assert.throws(() => log.append([entry(5)], anchor), /commits to another batch/);

  const lines = readFileSync(file, 'utf8').split('\n');
  writeFileSync(
    file,
    [lines[0], (lines[1] as string).replace(`"height":${anchor.height}`, '"height":8'), ''].join('\n'),
  );
  assert.throws(
    () => LocalNotaryLog.open({ file, now }),
    (e) => isMeridianError(e, 'MER_PIPELINE_NOTARY_CORRUPT') && /line 2/.test(e.message),
  );
});

test('property: every entry receipt of a ledger-anchored batch verifies, and fails once its entry changes', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'notary-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const set = fourValidators().set;
  let run = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 40 }),
      fc.nat(),
      fc.integer({ min: 1, max: 1_000 }),
      async (n, pick, delta) => {
        const log = LocalNotaryLog.open({ file: join(dir, `p${run++}.log`), now: () => new Date(0) });
        const batchEntries = Array.from({ length: n }, (_, i) => entry(1_000 * run + i));
        log.append(batchEntries, anchorFor(batchEntries, `p${run}`));
        const target = batchEntries[pick % n] as NotarizationEntry;
        const p = log.proofFor(target.sha256);
        assert.ok(p?.ledger);
        assert.equal(verifyReceipt(p.ledger.receipt, [set]).ok, true);
        const forged = structuredClone(p.ledger.receipt);
        (forged.entry as { value: NotarizationEntry }).value.sizeBytes += delta;
        const r = verifyReceipt(forged, [set]);
        assert.equal(!r.ok && r.check, 'entry-proof');
      },
    ),
    { numRuns: 40 },
  );
});
