/**
 * `meridian verify-data <file>`: proves that a file is exactly what a node landed in its ODS and notarized on the
 * consortium ledger on arrival — its SHA-256 is an entry of the node's notary log, and the entry's receipt verifies
 * offline against the validators' keys from the ledger configuration (or a validator set the user trusts). Reads
 * the node's data directory without writing to it, so it runs beside a running node. Exit 0: verified; 1: not.
 */
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { type Command, Option } from 'commander';
import { MeridianError } from '../errors/registry.ts';
import { readLedgerConfig, validatorSetOf } from '../ledger/host/index.ts';
import { type ValidatorSet, ValidatorSetSchema } from '../ledger/index.ts';
import { LocalNotaryLog } from '../pipeline/notary.ts';
import { type DataVerification, verifyDataNotarization } from '../pipeline/verify-data.ts';
import { writeFileAtomic } from '../store/index.ts';
import { homeOption } from './home.ts';
import { nodeConfigFor } from './ingest-commands.ts';

/** The SHA-256 (hex) and size of a file, read as a stream; MER_SOURCE_UNREADABLE naming the file otherwise. */
export async function hashFile(path: string): Promise<{ sha256: string; sizeBytes: number }> {
  try {
    if (!statSync(path).isFile()) throw new Error('it is not a regular file');
    const hash = createHash('sha256');
    let sizeBytes = 0;
    for await (const chunk of createReadStream(path)) {
      hash.update(chunk as Buffer);
      sizeBytes += (chunk as Buffer).length;
    }
    return { sha256: hash.digest('hex'), sizeBytes };
  } catch (e) {
    throw new MeridianError('MER_SOURCE_UNREADABLE', `cannot read ${path}: ${(e as Error).message}`, { file: path });
  }
}

function trustedSet(o: { validators?: string }, ledgerConfigFile: string | undefined): ValidatorSet[] {
  if (o.validators !== undefined) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(o.validators, 'utf8'));
    } catch (e) {
      throw new MeridianError(
        'MER_CLI_USAGE',
        `cannot read the validator set ${o.validators}: ${(e as Error).message}`,
      );
    }
    const parsed = ValidatorSetSchema.safeParse(raw);
    if (!parsed.success) {
      throw new MeridianError('MER_LEDGER_MALFORMED_VALIDATOR_SET', `${o.validators} is not a validator set`);
    }
    return [parsed.data];
  }
  if (ledgerConfigFile === undefined) return [];
  return [validatorSetOf(readLedgerConfig(ledgerConfigFile))];
}

function describe(v: DataVerification, file: string): string {
  if (!v.ok) return `FAILED ${file}: ${v.reason}: ${v.message}\n`;
  const e = v.entry;
  return [
    `OK ${file}`,
    `  content   sha256 ${v.sha256}, ${v.sizeBytes} bytes`,
    `  landed    ${e.source}/${e.name} v${e.version}, received ${e.receivedAt}, stored at ${e.location}`,
    `  batch     #${v.seq}, entry ${v.ledger.entryIndex} of ${v.ledger.batchSize}, root ${v.ledger.batchRoot}`,
    `  ledger    height ${v.ledger.height}, tx ${v.ledger.txHash}`,
    `  certified by ${v.ledger.signers.join(', ')} (validator set ${v.ledger.validatorSetHash.slice(0, 16)}…)`,
    '',
  ].join('\n');
}

/** Registers `verify-data`. */
export function registerVerifyDataCommand(program: Command): void {
  program
    .command('verify-data <file>')
    .description('Prove a file is exactly what a node notarized on the ledger when it arrived (exit 1 if not)')
    .addOption(homeOption())
    .requiredOption('--node <name>', 'the node whose ODS the file belongs to')
    .option('--config <file>', "the node's meridian.json (default <home>/nodes/<name>/meridian.json)")
    .option('--validators <set.json>', "trusted validator set (default: the validators of the node's ledger config)")
    .option('--receipt-out <file>', "write the file's entry receipt, for `meridian ledger verify`")
    .addOption(new Option('--json', 'print the verdict as JSON'))
    .action(
      async (
        file: string,
        o: { home?: string; node: string; config?: string; validators?: string; receiptOut?: string; json?: boolean },
      ) => {
        const config = nodeConfigFor(o.home, o.node, o.config);
        const trusted = trustedSet(o, config.node.ledger?.configFile);
        const { sha256, sizeBytes } = await hashFile(file);
        const log = LocalNotaryLog.open({
          file: join(config.dataDir, 'notary.log'),
          now: () => new Date(),
          readOnly: true,
        });
        const notarization = log.proofFor(sha256);
        const name = basename(file);
        const verdict =
          trusted.length === 0 && notarization?.ledger !== undefined
            ? ({
                ok: false,
                sha256,
                sizeBytes,
                reason: 'receipt-invalid',
                message: `${o.node} has no ledger configuration to take validator keys from; pass --validators`,
              } as const)
            : verifyDataNotarization({
                sha256,
                sizeBytes,
                name,
                notarization,
                sameName: log
                  .records()
                  .flatMap((r) => r.entries)
                  .filter((e) => basename(e.name) === name),
                trusted,
              });
        if (verdict.ok && o.receiptOut !== undefined && notarization?.ledger !== undefined) {
          writeFileAtomic(o.receiptOut, `${JSON.stringify(notarization.ledger.receipt, null, 2)}\n`);
        }
        process.stdout.write(o.json ? `${JSON.stringify(verdict)}\n` : describe(verdict, file));
        if (!verdict.ok) process.exitCode = 1;
      },
    );
}
