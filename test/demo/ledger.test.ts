/**
 * The demo ledger's files: written once with the CA's keys and ports derived from the demo's base port, reused
 * as they are on later starts, refused when the CA no longer holds the keys they name or one file is missing.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { identityPaths, initCa, issueIdentity } from '../../src/ca/index.ts';
import { DEMO_HOSPITALS } from '../../src/demo/consortium.ts';
import {
  DEMO_CHAIN_ID,
  DEMO_LEDGER_HOST,
  demoLedgerDocuments,
  demoValidatorArgs,
  ensureDemoLedger,
} from '../../src/demo/ledger.ts';
import { isMeridianError } from '../../src/errors/registry.ts';
import { genesisHash, parseGenesis } from '../../src/ledger/contracts/index.ts';
import { parseLedgerConfig } from '../../src/ledger/host/index.ts';
import { publicKeyHex } from '../../src/ledger/signing.ts';

const INSTITUTIONS = [
  { name: 'hub', role: 'hub' as const },
  ...DEMO_HOSPITALS.map((h) => ({ name: h.name, role: 'hospital' as const })),
];

test('first start writes ledger.json and genesis.json from the CA; later starts reuse them unchanged', async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'demo-ledger-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const caDir = join(home, 'pki');
  await initCa({ dir: caDir });
  for (const i of INSTITUTIONS)
    await issueIdentity({ dir: caDir, name: i.name, role: i.role === 'hub' ? 'hub' : 'node' });
  const dir = join(home, 'ledger');
  const first = ensureDemoLedger({
    dir,
    caDir,
    institutions: INSTITUTIONS,
    basePort: 9_541,
    now: () => new Date(1_000),
  });
  assert.equal(first.created, true);
  assert.equal(first.config.chainId, DEMO_CHAIN_ID);
  assert.deepEqual(
    first.config.validators.map((v) => [v.name, v.host, v.p2pPort, v.apiPort]),
    INSTITUTIONS.map((inst, i) => [inst.name, DEMO_LEDGER_HOST, 9_541 + 2 * i, 9_542 + 2 * i]),
  );
  for (const inst of INSTITUTIONS) {
    const key = publicKeyHex(readFileSync(identityPaths(caDir, inst.name).signingPub, 'utf8'));
    assert.equal(first.config.validators.find((v) => v.name === inst.name)?.publicKey, key);
    assert.deepEqual(
      first.genesis.institutions.find((g) => g.name === inst.name),
      { name: inst.name, role: inst.role, publicKey: key },
    );
  }
  assert.equal(first.genesis.genesisTime, 1_000);
  assert.deepEqual(demoValidatorArgs(first, caDir, 'hub').slice(0, 10), [
    'ledger',
    'validator',
    'start',
    '--name',
    'hub',
    '--config',
    first.configFile,
    '--genesis',
    first.genesisFile,
    '--ca-dir',
  ]);

  const files = [first.configFile, first.genesisFile].map((f) => readFileSync(f, 'utf8'));
  const again = ensureDemoLedger({
    dir,
    caDir,
    institutions: INSTITUTIONS,
    basePort: 7_000,
    now: () => new Date(9_999),
  });
  assert.equal(again.created, false);
  assert.deepEqual(
    [again.configFile, again.genesisFile].map((f) => readFileSync(f, 'utf8')),
    files,
    'a restart rewrites nothing',
  );
  assert.equal(genesisHash(again.genesis), genesisHash(first.genesis));
  assert.deepEqual(again.config, first.config);

  // A re-created CA no longer holds the keys the chain was founded with.
  rmSync(caDir, { recursive: true });
  await initCa({ dir: caDir });
  for (const i of INSTITUTIONS)
    await issueIdentity({ dir: caDir, name: i.name, role: i.role === 'hub' ? 'hub' : 'node' });
  assert.throws(
    () => ensureDemoLedger({ dir, caDir, institutions: INSTITUTIONS, basePort: 9_541, now: () => new Date() }),
    (e) => isMeridianError(e, 'MER_LEDGER_CONFIG') && /for hub, but the CA/.test(e.message) && /remove/.test(e.message),
  );
  unlinkSync(first.genesisFile);
  assert.throws(
    () => ensureDemoLedger({ dir, caDir, institutions: INSTITUTIONS, basePort: 9_541, now: () => new Date() }),
    (e) => isMeridianError(e, 'MER_LEDGER_CONFIG') && e.message.includes('genesis.json is missing'),
  );
});

test('property: any base port that fits gives distinct ports, a valid config and a genesis of the same chain', () => {
  const key = (i: number) => (i + 1).toString(16).padStart(64, 'a');
  const institutions = INSTITUTIONS.map((inst, i) => ({ ...inst, publicKey: key(i) }));
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 65_535 }), fc.nat(), (basePort, time) => {
      const fits = basePort + 2 * institutions.length - 1 <= 65_535;
      if (!fits) {
        assert.throws(
          () => demoLedgerDocuments({ institutions, basePort, genesisTime: time }),
          (e) => isMeridianError(e, 'MER_CLI_USAGE') && e.message.includes(String(basePort)),
        );
        return;
      }
      const { config, genesis } = demoLedgerDocuments({ institutions, basePort, genesisTime: time });
      const ports = config.validators.flatMap((v) => [v.p2pPort, v.apiPort]);
      assert.equal(new Set(ports).size, 8);
      assert.ok(ports.every((p) => p >= basePort && p <= 65_535));
      assert.deepEqual(parseLedgerConfig(config), config);
      const g = parseGenesis(genesis);
      assert.equal(g.chainId, config.chainId);
      assert.deepEqual(
        g.validators,
        [...config.validators]
          .sort((a, b) => (a.name < b.name ? -1 : 1))
          .map((v) => ({ name: v.name, publicKey: v.publicKey })),
      );
    }),
    { numRuns: 300 },
  );
});
