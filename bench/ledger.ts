/**
 * Consortium ledger throughput: 4 validators as separate processes on loopback (mutual TLS, WAL with fsync,
 * the test application), one client (this process) submitting pre-signed notarization transactions to every
 * validator, each committing to a batch of BENCH_ENTRIES entries by its Merkle root. Reports committed signed
 * tx/s, notarized entries/s, p99 submit→commit latency, and the Ed25519 verification ceiling measured in the
 * same run (verifications/s on one core × cores ÷ validators).
 *   npm run bench -- ledger        (BENCH_SECONDS, BENCH_ENTRIES, BENCH_RATE to change the load; BENCH_INFLIGHT
 *                                   overrides the pipelining depth; BENCH_CPU_PROF=<dir> writes each validator's
 *                                   V8 CPU profile there)
 */
import { generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { buildBatch } from '../src/ledger/batch.ts';
import { canonicalBytes } from '../src/ledger/canonical-json.ts';
import { LedgerClient, txHashOfBytes } from '../src/ledger/host/index.ts';
import type { SignedTransaction } from '../src/ledger/transaction.ts';
import type { Proc } from '../test/integration/processes.ts';
import { makeClusterFiles, notarizeTx, startValidatorProcess } from '../test/ledger/host/cluster.ts';
import { report } from './_report.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const ENTRIES = Number(process.env.BENCH_ENTRIES ?? 64);
const RATE = Number(process.env.BENCH_RATE ?? 0);
const CHUNK = 256;
const VALIDATORS = 4;

function verifyCeilingPerCore(): number {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const msg = randomBytes(400);
  const sig = sign(null, msg, privateKey);
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 1_000) {
    verify(null, msg, publicKey, sig);
    n++;
  }
  return n / ((performance.now() - t0) / 1_000);
}

const cores = availableParallelism();
const perCore = verifyCeilingPerCore();
const ceiling = (perCore * cores) / VALIDATORS;
const target = RATE > 0 ? RATE : Math.ceil(ceiling * 1.1);
const CPU_PROF = process.env.BENCH_CPU_PROF;
const INFLIGHT = process.env.BENCH_INFLIGHT === undefined ? undefined : Number(process.env.BENCH_INFLIGHT);
const files = await makeClusterFiles({
  n: VALIDATORS,
  consensus: { viewChangeTimeoutMs: 5_000, ...(INFLIGHT === undefined ? {} : { inFlightMax: INFLIGHT }) },
});
const procs: Proc[] = [];
try {
  const nodeArgs = CPU_PROF === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF}`];
  for (const v of files.config.validators) procs.push(await startValidatorProcess(files, v.name, { nodeArgs }));
  const total = Math.ceil(target * SECONDS);
  process.stderr.write(`pre-signing ${total} transactions of ${ENTRIES} entries each…\n`);
  const txs: { tx: SignedTransaction; hash: string }[] = [];
  for (let i = 0; i < total; i++) {
    const batch = buildBatch(
      Array.from({ length: ENTRIES }, (_, j) => ({ file: `f${i}-${j}`, sha256: randomBytes(8).toString('hex') })),
    );
    const tx = notarizeTx(files, batch.commitment);
    txs.push({ tx, hash: txHashOfBytes(canonicalBytes(tx)) });
  }
  const client = new LedgerClient({ config: files.config, tls: files.clientTls });
  const watcher = files.config.validators[0]?.name as string;
  const submittedAt = new Map<string, number>();
  const latencies: number[] = [];
  let committed = 0;
  let height = 0;
  let stop = false;
  let stopAt = 0;
  const watch = (async () => {
    while (!stop || submittedAt.size > 0) {
      const s = ((await client.get(watcher, '/v1/status').catch(() => ({ body: { height } }))).body ?? { height }) as {
        height: number;
      };
      while (height < s.height) {
        const b = (await client.get(watcher, `/v1/blocks/${height + 1}/hashes`)).body as { txHashes: string[] };
        const now = performance.now();
        for (const h of b.txHashes) {
          const t = submittedAt.get(h);
          if (t !== undefined) {
            latencies.push(now - t);
            submittedAt.delete(h);
            committed++;
          }
        }
        height++;
      }
      if (stop && performance.now() - stopAt > 10_000) break;
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const t0 = performance.now();
  let sent = 0;
  let retried = 0;
  const inflight = new Set<Promise<unknown>>();
  // Transactions every validator turned away as busy (back-pressure) go out again, keeping their first submit time.
  const retry: { tx: SignedTransaction; hash: string }[] = [];
  const submitChunk = async (chunk: { tx: SignedTransaction; hash: string }[]): Promise<void> => {
    const answers = await Promise.allSettled(
      files.config.validators.map((v) =>
        client.submitTo(
          v.name,
          chunk.map((t) => t.tx),
        ),
      ),
    );
    const admitted = new Set<number>();
    for (const a of answers) {
      if (a.status !== 'fulfilled') continue;
      const results = (a.value as { results?: { ok: boolean }[] }).results ?? [];
      results.forEach((r, i) => {
        if (r.ok) admitted.add(i);
      });
    }
    chunk.forEach((t, i) => {
      if (!admitted.has(i)) retry.push(t);
    });
  };
  // A cluster that stops committing ends the run (reported as lost) instead of holding the submitter forever.
  const giveUpAt = t0 + (SECONDS + 30) * 1_000;
  while ((sent < total || retry.length > 0 || inflight.size > 0) && performance.now() < giveUpAt) {
    const due = Math.min(total, Math.floor(((performance.now() - t0) / 1_000) * target) + CHUNK);
    const fresh = sent < due && submittedAt.size <= 12_000;
    if (inflight.size >= 8 || (!fresh && retry.length === 0)) {
      await Promise.race([...inflight, new Promise((r) => setTimeout(r, 5))]);
      continue;
    }
    let chunk: { tx: SignedTransaction; hash: string }[];
    if (retry.length > 0) {
      await new Promise((r) => setTimeout(r, 20));
      chunk = retry.splice(0, CHUNK);
      retried += chunk.length;
    } else {
      chunk = txs.slice(sent, Math.min(due, sent + CHUNK));
      sent += chunk.length;
      const now = performance.now();
      for (const t of chunk) submittedAt.set(t.hash, now);
    }
    const p = submitChunk(chunk).finally(() => inflight.delete(p));
    inflight.add(p);
  }
  await Promise.all(inflight);
  const submitSeconds = (performance.now() - t0) / 1_000;
  stop = true;
  stopAt = performance.now();
  await watch;
  const elapsed = (performance.now() - t0) / 1_000;
  latencies.sort((a, b) => a - b);
  const p = (q: number): number =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
  const tps = committed / elapsed;
  const finalStatus = (await client.get(watcher, '/v1/status').catch(() => ({ body: {} }))).body as { view?: number };
  client.close();
  const summary = {
    bench: 'ledger',
    validators: VALIDATORS,
    cores,
    seconds: Number(elapsed.toFixed(1)),
    offered_tps: Math.round(sent / submitSeconds),
    tps: Math.round(tps),
    entries_per_s: Math.round(tps * ENTRIES),
    verify_ceiling_tps: Math.round(ceiling),
    ratio_to_ceiling: Number((tps / ceiling).toFixed(2)),
    p50_commit_ms: Math.round(p(0.5)),
    p99_commit_ms: Math.round(p(0.99)),
    committed,
    lost: submittedAt.size,
    retried,
    final_view: finalStatus.view ?? null,
  };
  report(
    `ledger: ${VALIDATORS} validator processes on loopback, ${ENTRIES} entries per tx, ${cores} cores`,
    [
      { figure: 'signed tx committed/s', value: summary.tps, target: `≥ ${Math.round(0.7 * ceiling)} (0.7 × ceiling)` },
      { figure: 'notarized entries/s', value: summary.entries_per_s, target: '≥ 50000' },
      {
        figure: 'Ed25519 verify ceiling tx/s',
        value: summary.verify_ceiling_tps,
        target: `${Math.round(perCore)}/s/core × ${cores} ÷ ${VALIDATORS}`,
      },
      { figure: 'commit p50 ms', value: summary.p50_commit_ms, target: '' },
      { figure: 'commit p99 ms', value: summary.p99_commit_ms, target: '< 1000' },
    ],
    summary,
  );
} finally {
  // A profiled validator must exit on its own to write its profile; the others are killed at once.
  for (const p of procs) p.child.kill(CPU_PROF === undefined ? 'SIGKILL' : 'SIGTERM');
  await Promise.all(procs.map((p) => p.exited));
  await files.cleanup();
}
