/**
 * LedgerNotarizer against four real validator processes running the production contracts (`--genesis`): batches
 * are committed and every entry's receipt verifies offline with only the validators' keys; without a quorum, or
 * with the ledger stopped, a notarization fails with MER_PIPELINE_NOTARY_UNREACHABLE within its bound, and the
 * held batch is committed exactly once by the next call.
 */
import assert from 'node:assert/strict';
import { createPrivateKey, generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Command } from 'commander';
import { registerLedgerCommands } from '../../src/cli/ledger-commands.ts';
import { isMeridianError } from '../../src/errors/registry.ts';
import { LedgerClient, validatorSetOf } from '../../src/ledger/host/index.ts';
import { makeValidatorSet, publicKeyHex, type Receipt, verifyReceipt } from '../../src/ledger/index.ts';
import { LedgerNotarizer, PENDING_FILE } from '../../src/pipeline/ledger-notarizer.ts';
import { listSourceFiles, runLoad } from '../../src/pipeline/loader.ts';
import { LocalNotaryLog, type NotarizationEntry } from '../../src/pipeline/notary.ts';
import { latestSpecs, saveProfile, saveSpec } from '../../src/pipeline/specs-store.ts';
import { type Proc, runMeridian } from '../integration/processes.ts';
import { type ClusterFiles, makeClusterFiles, startValidatorProcess } from '../ledger/host/cluster.ts';
import { GLUCOSE_SPEC, openTestPipeline } from './load-helpers.ts';

let files: ClusterFiles;
let genesisPath: string;
const procs = new Map<string, Proc>();

const names = (): string[] => files.config.validators.map((v) => v.name);

function entry(label: string): NotarizationEntry {
  return {
    type: 'ods-file',
    sha256: randomBytes(32).toString('hex'),
    sizeBytes: 1_000 + label.length,
    source: 'his',
    name: `${label}.csv`,
    version: 1,
    receivedAt: new Date().toISOString(),
    location: `ods/${label}`,
  };
}

async function startValidator(name: string): Promise<void> {
  procs.set(name, await startValidatorProcess(files, name, { genesis: genesisPath }));
}

async function stopValidator(name: string): Promise<void> {
  const p = procs.get(name) as Proc;
  p.child.kill('SIGTERM');
  await p.exited;
  procs.delete(name);
}

function notarizer(timeoutMs: number, signingKey: KeyObject = createPrivateKey(files.clientKey)): LedgerNotarizer {
  return new LedgerNotarizer({
    log: LocalNotaryLog.open({ file: join(files.root, 'notary.log'), now: () => new Date() }),
    pendingFile: join(files.root, PENDING_FILE),
    config: files.config,
    institution: files.clientName,
    signingKey,
    tls: files.clientTls,
    prefer: names()[1],
    timeoutMs,
    now: () => new Date(),
  });
}

/** Checks an entry's stored receipt offline: validators' keys and the institution's key only. */
function verifyEntry(n: LedgerNotarizer, e: NotarizationEntry): { height: number; txHash: string; root: string } {
  const p = n.proofFor(e.sha256);
  assert.ok(p?.ledger, `entry ${e.name} has a ledger receipt`);
  const clientKey = files.config.institutions.find((i) => i.name === files.clientName)?.publicKey as string;
  const r = verifyReceipt(p.ledger.receipt, [validatorSetOf(files.config)], {
    institutionKeys: { [files.clientName]: clientKey },
  });
  assert.ok(r.ok, JSON.stringify(r));
  assert.equal(r.txSignatureChecked, true);
  assert.equal(r.entry?.index, p.proof.index);
  assert.equal(r.entry?.batch.root, p.commitment.root);
  assert.equal(r.height, p.ledger.height);
  assert.equal(r.txHash, p.ledger.txHash);
  return { height: r.height, txHash: r.txHash, root: p.commitment.root };
}

/**
 * `meridian verify-data` as a user runs it, in its own process beside the node's data: the landed file verifies
 * and its receipt passes `meridian ledger verify`; a changed copy and an untrusted validator set do not.
 */
async function verifyDataCli(o: { original: string; txHash: string; scratch: string }): Promise<void> {
  const nodeConfig = join(o.scratch, 'node.json');
  writeFileSync(
    nodeConfig,
    JSON.stringify({
      role: 'node',
      dataDir: files.root,
      node: {
        name: files.clientName,
        displayName: 'Test hospital',
        hubUrl: 'https://127.0.0.1:9',
        ledger: { configFile: files.configPath },
      },
    }),
  );
  const args = ['--node', files.clientName, '--config', nodeConfig];
  const receiptFile = join(o.scratch, 'glu.receipt.json');
  const ok = await runMeridian(['verify-data', o.original, ...args, '--receipt-out', receiptFile]);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /^OK .*glu\.csv\n/);
  assert.match(ok.stdout, /landed +lab\/glu\.csv v1/);
  assert.ok(ok.stdout.includes(`tx ${o.txHash}`), ok.stdout);
  const offline = await runMeridian(['ledger', 'verify', receiptFile]);
  assert.equal(offline.code, 0, offline.stdout + offline.stderr);
  assert.match(offline.stdout, new RegExp(`^OK height \\d+ tx ${o.txHash} entry 0`));

  const changedDir = join(o.scratch, 'changed');
  mkdirSync(changedDir, { recursive: true });
  const changed = join(changedDir, 'glu.csv');
  writeFileSync(changed, readFileSync(o.original, 'utf8').replace('5.5', '5.6'));
  const bad = await runMeridian(['verify-data', changed, ...args, '--json']);
  assert.equal(bad.code, 1, bad.stdout + bad.stderr);
  const verdict = JSON.parse(bad.stdout) as { ok: boolean; reason: string; message: string; sameName: unknown[] };
  assert.equal(verdict.ok, false);
  assert.equal(verdict.reason, 'not-notarized');
  assert.equal(verdict.sameName.length, 1);
  assert.match(verdict.message, /other contents under this name: lab\/glu\.csv v1/);

  const strangers = join(o.scratch, 'strangers.json');
  writeFileSync(
    strangers,
    JSON.stringify(
      makeValidatorSet({
        chainId: files.config.chainId,
        validators: files.config.validators.map((v) => ({
          ...v,
          publicKey: publicKeyHex(generateKeyPairSync('ed25519').publicKey),
        })),
      }),
    ),
  );
  const untrusted = await runMeridian(['verify-data', o.original, ...args, '--validators', strangers]);
  assert.equal(untrusted.code, 1, untrusted.stdout + untrusted.stderr);
  assert.match(untrusted.stdout, /^FAILED .*glu\.csv: receipt-invalid: the ledger receipt does not verify/);
}

before(async () => {
  files = await makeClusterFiles({
    n: 4,
    consensus: { viewChangeTimeoutMs: 1_000, retransmitIntervalMs: 200, syncIntervalMs: 500 },
  });
  genesisPath = join(files.root, 'genesis.json');
  await writeFile(
    genesisPath,
    JSON.stringify({
      chainId: files.config.chainId,
      genesisTime: Date.now(),
      institutions: [
        ...files.config.validators.map((v, i) => ({
          name: v.name,
          role: i === 0 ? 'hub' : 'hospital',
          publicKey: v.publicKey,
        })),
        ...files.config.institutions.map((i) => ({ name: i.name, role: 'hospital', publicKey: i.publicKey })),
      ],
      validators: files.config.validators.map((v) => ({ name: v.name, publicKey: v.publicKey })),
    }),
  );
  await Promise.all(names().map(startValidator));
});

after(async () => {
  for (const p of procs.values()) p.child.kill('SIGKILL');
  await files.cleanup();
});

test('validator start runs exactly one of --genesis and --app, and refuses a genesis that disagrees with the config', async () => {
  const run = async (args: string[]): Promise<void> => {
    const program = new Command().exitOverride();
    registerLedgerCommands(program);
    await program.parseAsync(
      ['ledger', 'validator', 'start', '--name', 'validator-a', '--config', files.configPath, ...args],
      {
        from: 'user',
      },
    );
  };
  for (const args of [['--genesis', genesisPath, '--app', 'x.ts'], []]) {
    await assert.rejects(
      run(args),
      (e) => isMeridianError(e, 'MER_CLI_USAGE') && /exactly one of --genesis .* and --app/.test(e.message),
    );
  }
  const other = join(files.root, 'other-genesis.json');
  const clientKey = files.config.institutions[0]?.publicKey as string;
  await writeFile(
    other,
    JSON.stringify({
      chainId: files.config.chainId,
      genesisTime: 0,
      institutions: [{ name: 'validator-a', role: 'hub', publicKey: clientKey }],
    }),
  );
  await assert.rejects(
    run(['--genesis', other]),
    (e) => isMeridianError(e, 'MER_LEDGER_CONFIG') && /same names and keys/.test(e.message),
  );
  await writeFile(other, JSON.stringify({ chainId: 'another-chain', genesisTime: 0, institutions: [] }));
  await assert.rejects(
    run(['--genesis', other]),
    (e) => isMeridianError(e, 'MER_LEDGER_MALFORMED_GENESIS') && /institutions/.test(e.message),
  );
});

test('an institution the ledger does not list, or a preferred validator it does not run, is refused at open', () => {
  const opts = {
    log: LocalNotaryLog.open({ file: join(files.root, 'unused.log'), now: () => new Date() }),
    pendingFile: join(files.root, 'unused.pending.json'),
    config: files.config,
    signingKey: createPrivateKey(files.clientKey),
    tls: files.clientTls,
    now: () => new Date(),
  };
  assert.throws(
    () => new LedgerNotarizer({ ...opts, institution: 'hospital-z' }),
    (e) => isMeridianError(e, 'MER_CONFIG_INVALID') && /hospital-z/.test(e.message),
  );
  assert.throws(
    () => new LedgerNotarizer({ ...opts, institution: files.clientName, prefer: 'validator-z' }),
    (e) => isMeridianError(e, 'MER_CONFIG_INVALID') && /node\.ledger\.prefer = "validator-z"/.test(e.message),
  );
});

test('two batches are committed on the ledger; every entry receipt verifies offline and survives a reopen', {
  timeout: 60_000,
}, async () => {
  const n = notarizer(20_000);
  try {
    const first = [entry('a1'), entry('a2'), entry('a3')];
    const second = [entry('b1'), entry('b2')];
    const a = await n.notarize(first);
    const b = await n.notarize(second);
    assert.deepEqual([a.seq, b.seq, a.commitment.size, b.commitment.size], [1, 2, 3, 2]);
    assert.ok(a.ledger && b.ledger);
    assert.ok(b.ledger.height >= a.ledger.height && a.ledger.height >= 1);
    assert.notEqual(a.ledger.txHash, b.ledger.txHash);
    for (const e of [...first, ...second]) assert.equal(n.isNotarized(e.sha256), true);
    assert.equal(n.isNotarized(entry('never').sha256), false);
    for (const e of first) assert.equal(verifyEntry(n, e).txHash, a.ledger.txHash);
    for (const e of second) assert.equal(verifyEntry(n, e).txHash, b.ledger.txHash);
    assert.equal(existsSync(join(files.root, PENDING_FILE)), false);

    // A changed entry no longer proves against the batch the ledger committed.
    const p = n.proofFor(first[1]?.sha256 as string);
    const forged = structuredClone(p?.ledger?.receipt) as Receipt;
    (forged.entry as { value: NotarizationEntry }).value.sizeBytes += 1;
    const r = verifyReceipt(forged, [validatorSetOf(files.config)]);
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.check, 'entry-proof');

    // The receipts live in the node's notary log: a reopened log gives them without the ledger.
    const reopened = LocalNotaryLog.open({ file: join(files.root, 'notary.log'), now: () => new Date() });
    assert.deepEqual(
      reopened.records().map((rec) => rec.ledger?.txHash),
      [a.ledger.txHash, b.ledger.txHash],
    );
    assert.deepEqual(reopened.proofFor(second[0]?.sha256 as string), n.proofFor(second[0]?.sha256 as string));
  } finally {
    n.close();
  }
});

test('a transaction the validators refuse fails at once with MER_PIPELINE_NOTARY_REFUSED and is held, named', {
  timeout: 30_000,
}, async () => {
  const wrongKey = notarizer(20_000, generateKeyPairSync('ed25519').privateKey);
  const t0 = Date.now();
  await assert.rejects(
    wrongKey.notarize([entry('x1')]),
    (e) => isMeridianError(e, 'MER_PIPELINE_NOTARY_REFUSED') && /MER_LEDGER_BAD_SIGNATURE/.test(e.message),
  );
  assert.ok(Date.now() - t0 < 5_000, 'refused without waiting for the bound');
  wrongKey.close();
  const n = notarizer(20_000);
  try {
    await assert.rejects(
      n.notarize([entry('x2')]),
      (e) =>
        isMeridianError(e, 'MER_PIPELINE_NOTARY_REFUSED') &&
        e.message.includes(PENDING_FILE) &&
        /no notarization can pass it/.test(e.message),
    );
    rmSync(join(files.root, PENDING_FILE));
    assert.ok((await n.notarize([entry('x3')])).ledger);
  } finally {
    n.close();
  }
});

test('without a quorum notarize fails within its bound; the next call commits the held batch exactly once', {
  timeout: 60_000,
}, async () => {
  const [, , c, d] = names() as [string, string, string, string];
  await Promise.all([stopValidator(c), stopValidator(d)]);
  const held = [entry('c1'), entry('c2')];
  const short = notarizer(3_000);
  const t0 = Date.now();
  await assert.rejects(
    short.notarize(held),
    (e) =>
      isMeridianError(e, 'MER_PIPELINE_NOTARY_UNREACHABLE') &&
      /did not commit .* within 3000 ms/.test(e.message) &&
      /run it again/.test(e.message),
  );
  const elapsed = Date.now() - t0;
  assert.ok(elapsed >= 2_900 && elapsed < 5_000, `failed after ${elapsed} ms (bound 3000 ms)`);
  assert.equal(short.proofFor(held[0]?.sha256 as string), undefined);
  assert.equal(short.isNotarized(held[0]?.sha256 as string), false, 'a re-run of the load must notarize it');
  assert.equal(existsSync(join(files.root, PENDING_FILE)), true);
  short.close();

  await Promise.all([startValidator(c), startValidator(d)]);
  const n = notarizer(30_000);
  try {
    const next = [entry('d1')];
    const batch = await n.notarize(next);
    assert.equal(n.isNotarized(held[0]?.sha256 as string), true);
    const heldAt = held.map((e) => verifyEntry(n, e));
    const nextAt = verifyEntry(n, next[0] as NotarizationEntry);
    assert.equal(batch.ledger?.txHash, nextAt.txHash);
    assert.equal(new Set(heldAt.map((h) => h.txHash)).size, 1, 'the held entries stay one batch');
    assert.notEqual(heldAt[0]?.txHash, nextAt.txHash);
    assert.equal(existsSync(join(files.root, PENDING_FILE)), false);

    // On chain, the held batch's root appears in exactly one transaction.
    const client = new LedgerClient({ config: files.config, tls: files.clientTls });
    try {
      const top = ((await client.get(names()[0] as string, '/v1/status')).body as { height: number }).height;
      let count = 0;
      for (let h = 1; h <= top; h++) {
        const blk = (await client.get(names()[0] as string, `/v1/blocks/${h}`)).body as {
          txs: { body: { payload: { batch?: { root: string } } } }[];
        };
        count += blk.txs.filter((t) => t.body.payload.batch?.root === heldAt[0]?.root).length;
      }
      assert.equal(count, 1);
    } finally {
      client.close();
    }
  } finally {
    n.close();
  }
});

test('a load whose notarization failed is notarized by its re-run, before anything of it is mapped; verify-data proves the file', {
  timeout: 240_000,
}, async () => {
  const p = await openTestPipeline();
  const held = notarizer(2_000);
  try {
    await saveSpec(p.ctx.db, GLUCOSE_SPEC, 'test', p.ctx.now());
    const profile = await saveProfile(
      p.ctx.db,
      { source: 'lab', rules: [{ match: '*.csv', specs: ['glu'] }] },
      p.ctx.now(),
    );
    const dir = join(p.dir, 'in');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'glu.csv'), 'pid,glu,at\np1,5.5,2024-01-01 08:00\np2,6.1,2024-01-02 08:00\n');
    const load = (loadId: string) =>
      latestSpecs(p.ctx.db).then((specs) => runLoad(p.ctx, { loadId, profile, specs, files: listSourceFiles(dir) }));
    const [, , c, d] = names() as [string, string, string, string];
    await Promise.all([stopValidator(c), stopValidator(d)]);
    p.ctx.notarizer = held;
    await assert.rejects(load('L1'), (e) => isMeridianError(e, 'MER_PIPELINE_NOTARY_UNREACHABLE'));
    assert.equal((await p.lake.tables()).includes('measurement'), false, 'nothing was mapped');
    held.close();

    await Promise.all([startValidator(c), startValidator(d)]);
    const n = notarizer(30_000);
    p.ctx.notarizer = n;
    try {
      const summary = await load('L2');
      assert.equal(summary.totals.rowsLoaded, 2);
      assert.equal(summary.notarized?.entries, 1);
      const sha = summary.files[0]?.sha256 as string;
      assert.equal(n.isNotarized(sha), true);
      const { txHash } = verifyEntry(n, n.proofFor(sha)?.entry as NotarizationEntry);
      assert.equal(existsSync(join(files.root, PENDING_FILE)), false);
      await verifyDataCli({ original: join(dir, 'glu.csv'), txHash, scratch: p.dir });
      const again = await load('L3');
      assert.equal(again.notarized, null, 'a notarized unchanged file is not notarized again');
    } finally {
      n.close();
    }
  } finally {
    await p.close();
  }
});

test('with the ledger stopped notarize fails with MER_PIPELINE_NOTARY_UNREACHABLE within its bound', {
  timeout: 30_000,
}, async () => {
  await Promise.all(names().map(stopValidator));
  const n = notarizer(2_000);
  try {
    const t0 = Date.now();
    await assert.rejects(n.notarize([entry('e1')]), (e) => isMeridianError(e, 'MER_PIPELINE_NOTARY_UNREACHABLE'));
    const elapsed = Date.now() - t0;
    assert.ok(elapsed < 4_000, `failed after ${elapsed} ms (bound 2000 ms)`);
  } finally {
    n.close();
  }
});
