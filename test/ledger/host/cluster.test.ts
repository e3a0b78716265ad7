/**
 * Four validators as real processes on loopback with real certificates: load is submitted to all of them while
 * a random validator is killed with SIGKILL at random moments and restarted; no committed transaction may be
 * lost or reordered, and every validator ends with the same headers (PBFT S1, S3; host WAL duties).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { auditChain, LedgerClient } from '../../../src/ledger/host/index.ts';
import type { Receipt } from '../../../src/ledger/receipt.ts';
import { verifyReceipt } from '../../../src/ledger/receipt.ts';
import { type Proc, runMeridian, waitUntil } from '../../integration/processes.ts';
import { makeClusterFiles, notarizeTx, startValidatorProcess, TEST_APP } from './cluster.ts';
import { createApplication } from './test-app.ts';

test('S1/S3 4 validator processes under kill -9 and restart keep every committed tx, in order, with equal headers', {
  timeout: 90_000,
}, async () => {
  const files = await makeClusterFiles({
    n: 4,
    consensus: { viewChangeTimeoutMs: 1_000, retransmitIntervalMs: 200, syncIntervalMs: 500 },
  });
  const procs = new Map<string, Proc>();
  after(async () => {
    for (const p of procs.values()) p.child.kill('SIGKILL');
    await files.cleanup();
  });
  const names = files.config.validators.map((v) => v.name);
  await Promise.all(names.map(async (n) => procs.set(n, await startValidatorProcess(files, n))));
  const client = new LedgerClient({ config: files.config, tls: files.clientTls });
  try {
    const first = await client.submitAndWait(notarizeTx(files, { root: randomBytes(32).toString('hex'), size: 10 }), {
      timeoutMs: 20_000,
    });
    assert.ok(
      verifyReceipt(first.receipt, [
        { chainId: files.config.chainId, validators: first.receipt.validatorSet.validators },
      ]).ok,
    );

    const submitted: string[] = [];
    const seed = Number.parseInt(randomBytes(4).toString('hex'), 16);
    let rnd = seed;
    const rand = (k: number): number => {
      rnd = (rnd * 1103515245 + 12345) % 2 ** 31;
      return rnd % k;
    };
    const deadline = Date.now() + 20_000;
    let kills = 0;
    let nextKill = Date.now() + 1_000 + rand(2_000);
    while (Date.now() < deadline) {
      const txs = Array.from({ length: 20 }, () =>
        notarizeTx(files, { root: randomBytes(32).toString('hex'), size: 100 }),
      );
      await client.submitAll(txs);
      if (Date.now() >= nextKill && kills < 3) {
        const victim = names[rand(names.length)] as string;
        const p = procs.get(victim) as Proc;
        p.child.kill('SIGKILL');
        await p.exited;
        kills++;
        await new Promise((r) => setTimeout(r, rand(1_000)));
        procs.set(victim, await startValidatorProcess(files, victim));
        nextKill = Date.now() + 1_000 + rand(3_000);
      }
      for (const tx of txs) submitted.push(JSON.stringify(tx));
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(kills >= 1, `seed ${seed}: at least one validator was killed`);
    // Every validator reaches the same certified height and the same headers.
    const heights = async (): Promise<number[]> =>
      Promise.all(
        names.map(
          async (n) => ((await client.get(n, '/v1/status')).body as { certifiedHeight: number }).certifiedHeight,
        ),
      );
    const target = Math.max(...(await heights()));
    await waitUntil(`all validators certify height ${target}`, 30_000, async () =>
      (await heights()).every((h) => h >= target) ? true : undefined,
    );
    for (let h = 1; h <= target; h++) {
      const hs = await Promise.all(
        names.map(async (n) =>
          JSON.stringify(((await client.get(n, `/v1/blocks/${h}`)).body as { header: unknown }).header),
        ),
      );
      assert.equal(new Set(hs).size, 1, `seed ${seed}: headers differ at height ${h}`);
    }
    // Receipts of a sample of committed transactions verify offline and name the same height everywhere.
    const committed = new Map<string, number>();
    for (let h = 1; h <= target; h++) {
      const b = (await client.get(names[0] as string, `/v1/blocks/${h}`)).body as { txs: unknown[] };
      for (const tx of b.txs) committed.set(JSON.stringify(tx), h);
    }
    assert.ok(committed.size > 50, `seed ${seed}: ${committed.size} txs committed`);
    for (const n of names) {
      const { body } = await client.get(n, `/v1/txs/${first.txHash}/receipt`);
      const r = verifyReceipt(body as Receipt, [first.receipt.validatorSet]);
      assert.ok(r.ok && r.height === first.height, `seed ${seed}: receipt of the first tx on ${n}`);
    }
    // Offline: stop one validator, audit its chain, verify a receipt with the CLI.
    const receiptFile = join(files.root, 'receipt.json');
    await writeFile(receiptFile, JSON.stringify(first.receipt));
    const ok = await runMeridian(['ledger', 'verify', receiptFile]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /^OK height \d+ tx [0-9a-f]{64}/);
    const audit = auditChain({ dir: files.dataDir(names[0] as string), config: files.config, createApplication });
    assert.ok(audit.ok, JSON.stringify(audit));
    const cli = await runMeridian([
      'ledger',
      'audit',
      '--dir',
      files.dataDir(names[1] as string),
      '--config',
      files.configPath,
      '--app',
      TEST_APP,
    ]);
    assert.equal(cli.code, 0, cli.stdout + cli.stderr);
  } finally {
    client.close();
  }
});
