/** The `meridian` command line: CA, servers, demo and status. Each command's --help explains every option. */
import { Command, CommanderError } from 'commander';
import { isMeridianError, MeridianError } from '../errors/registry.ts';
import { MERIDIAN_VERSION } from '../version.ts';
import { registerAnalyzeCommand } from './analyze-command.ts';
import { registerCaCommands } from './ca-commands.ts';
import { registerDemoCommand, registerDemoGenerateCommand, registerDemoLoadCommand } from './demo-command.ts';
import { registerIngestCommands } from './ingest-commands.ts';
import { registerLedgerCommands } from './ledger-commands.ts';
import { registerServerCommands } from './server-commands.ts';
import { registerStatusCommand } from './status-command.ts';
import { registerVerifyDataCommand } from './verify-data-command.ts';

const program = new Command()
  .name('meridian')
  .description('Meridian: share clinical data across hospitals without handing it over (可用不可见).')
  .version(MERIDIAN_VERSION)
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

registerCaCommands(program);
registerServerCommands(program);
registerDemoCommand(program);
registerDemoGenerateCommand(program);
registerDemoLoadCommand(program);
registerStatusCommand(program);
registerLedgerCommands(program);
registerIngestCommands(program);
registerVerifyDataCommand(program);
registerAnalyzeCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode);
  if (isMeridianError(e)) {
    process.stderr.write(`meridian: ${e.message} [${e.code}]\n`);
    process.exit(e instanceof MeridianError && e.code === 'MER_CLI_USAGE' ? 2 : 1);
  }
  process.stderr.write(`meridian: unexpected error: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
}
