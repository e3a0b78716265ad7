/** `meridian ledger …`: run a consortium-ledger validator, verify a receipt offline, audit a validator's chain. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { MeridianError } from '../errors/registry.ts';
import type { LedgerApplication } from '../ledger/abci.ts';
import { createLedgerApplication, type Genesis, parseGenesis } from '../ledger/contracts/index.ts';
import { auditChain, type LedgerConfig, readLedgerConfig, runValidator, validatorSetOf } from '../ledger/host/index.ts';
import { verifyReceipt } from '../ledger/receipt.ts';
import { type ValidatorSet, ValidatorSetSchema } from '../ledger/validator-set.ts';
import { homeLayout, homeOption } from './home.ts';

/**
 * The application a validator runs: the production contracts from a genesis document (--genesis), or a module
 * exporting createApplication() (--app, for tests and the benchmark); exactly one of the two.
 */
async function loadApplication(
  o: { app?: string | undefined; genesis?: string | undefined },
  config: LedgerConfig,
): Promise<() => LedgerApplication> {
  if ((o.app === undefined) === (o.genesis === undefined)) {
    throw new MeridianError(
      'MER_CLI_USAGE',
      'give exactly one of --genesis <genesis.json> (the contracts) and --app <module> (exports createApplication())',
    );
  }
  if (o.genesis !== undefined) {
    const genesis = genesisFor(readJson(o.genesis, 'genesis'), config, o.genesis);
    return () => createLedgerApplication(genesis);
  }
  const app = o.app as string;
  const mod = (await import(pathToFileURL(resolve(app)).href)) as { createApplication?: () => LedgerApplication };
  if (typeof mod.createApplication !== 'function') {
    throw new MeridianError('MER_CLI_USAGE', `${app} does not export createApplication()`);
  }
  return mod.createApplication;
}

/** Parses a genesis document and checks it names the ledger config's chain and validators with the same keys. */
function genesisFor(raw: unknown, config: LedgerConfig, file: string): Genesis {
  const genesis = parseGenesis(raw);
  if (genesis.chainId !== config.chainId) {
    throw new MeridianError(
      'MER_LEDGER_CONFIG',
      `genesis ${file} is for chain ${genesis.chainId}, the ledger config for chain ${config.chainId}`,
    );
  }
  const fromConfig = validatorSetOf(config).validators;
  const same =
    fromConfig.length === genesis.validators.length &&
    fromConfig.every(
      (v, i) => v.name === genesis.validators[i]?.name && v.publicKey === genesis.validators[i]?.publicKey,
    );
  if (!same) {
    const describe = (vs: readonly { name: string; publicKey: string }[]) =>
      vs.map((v) => `${v.name}:${v.publicKey.slice(0, 8)}…`).join(', ');
    throw new MeridianError(
      'MER_LEDGER_CONFIG',
      `genesis ${file} names validators [${describe(genesis.validators)}], the ledger config [${describe(fromConfig)}]; both must list the same names and keys`,
    );
  }
  return genesis;
}

function readJson(path: string, what: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new MeridianError('MER_CLI_USAGE', `cannot read ${what} ${path}: ${(e as Error).message}`);
  }
}

/** Registers `ledger validator start`, `ledger verify` and `ledger audit`. */
export function registerLedgerCommands(program: Command): void {
  const ledger = program
    .command('ledger')
    .description('Consortium ledger: run a PBFT validator, verify receipts offline, audit a chain');

  ledger
    .command('validator')
    .description('Run a validator of the consortium ledger')
    .command('start')
    .description('Start a validator: PBFT over mutual TLS, write-ahead log, block store, client API (HTTPS)')
    .requiredOption('--name <identity>', 'this validator, as named in the consortium CA and the ledger config')
    .requiredOption(
      '--config <file>',
      'ledger config JSON: chainId, validators [{name,host,p2pPort,apiPort,publicKey}]',
    )
    .option('--ca-dir <dir>', 'consortium CA directory holding the identity (default <home>/pki)')
    .option('--data <dir>', 'data directory (default <home>/ledger/<name>)')
    .option('--genesis <file>', 'genesis JSON of the contracts: run the production application (or --app)')
    .option('--app <module>', 'module exporting createApplication(): LedgerApplication (tests, bench; or --genesis)')
    .addOption(homeOption())
    .action(
      async (o: {
        name: string;
        config: string;
        caDir?: string;
        data?: string;
        genesis?: string;
        app?: string;
        home?: string;
      }) => {
        const home = homeLayout(o.home);
        const config = readLedgerConfig(o.config);
        const createApplication = await loadApplication(o, config);
        const running = await runValidator({
          config,
          name: o.name,
          caDir: o.caDir ?? home.caDir,
          dataDir: o.data ?? resolve(home.root, 'ledger', o.name),
          createApplication,
          log: (line) => process.stdout.write(`${new Date().toISOString()} ${line}\n`),
        });
        process.stdout.write(`ready ${JSON.stringify({ name: o.name, height: running.validator.status().height })}\n`);
        let stopping = false;
        const stop = (): void => {
          // Ctrl-C reaches a launcher's children twice (the terminal's SIGINT, then the launcher's SIGTERM).
          if (stopping) return;
          stopping = true;
          void running.close().then(() => process.exit(0));
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        await new Promise<void>(() => undefined);
      },
    );

  ledger
    .command('verify <receipt>')
    .description('Verify a receipt offline (proofs, validator set, commit certificate); exit 1 if it fails')
    .option('--validators <set.json>', 'trusted validator set (default: the set the receipt carries)')
    .action((file: string, o: { validators?: string }) => {
      const receipt = readJson(file, 'receipt') as { validatorSet?: unknown };
      const raw = o.validators ? readJson(o.validators, 'validator set') : receipt?.validatorSet;
      const parsed = ValidatorSetSchema.safeParse(raw);
      if (!parsed.success)
        throw new MeridianError('MER_LEDGER_MALFORMED_VALIDATOR_SET', 'the trusted validator set is not valid');
      const trusted: ValidatorSet = parsed.data;
      const r = verifyReceipt(receipt, [trusted]);
      if (r.ok) {
        process.stdout.write(`OK height ${r.height} tx ${r.txHash}${r.entry ? ` entry ${r.entry.index}` : ''}\n`);
        return;
      }
      process.stdout.write(`FAILED ${r.check}: ${r.code}: ${r.message}\n`);
      process.exitCode = 1;
    });

  ledger
    .command('audit')
    .description("Re-verify a validator's whole chain: links, tx roots, signatures, certificates, state roots")
    .requiredOption('--dir <dir>', 'the validator data directory (holds blocks.log)')
    .requiredOption('--config <file>', 'ledger config JSON')
    .option('--genesis <file>', 'genesis JSON of the contracts, to re-execute blocks (or --app)')
    .option('--app <module>', 'module exporting createApplication(): LedgerApplication, to re-execute blocks')
    .action(async (o: { dir: string; config: string; genesis?: string; app?: string }) => {
      const config = readLedgerConfig(o.config);
      validatorSetOf(config);
      const result = auditChain({ dir: o.dir, config, createApplication: await loadApplication(o, config) });
      if (result.ok) {
        process.stdout.write(`OK ${result.height} blocks, ${result.txs} transactions\n`);
        return;
      }
      process.stdout.write(`FAILED at block ${result.height}: ${result.check}: ${result.message}\n`);
      process.exitCode = 1;
    });
}
