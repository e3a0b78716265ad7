/** `meridian ca …`: the consortium certificate authority. */
import type { Command } from 'commander';
import { initCa, issueIdentity, listIdentities, revokeIdentity } from '../ca/index.ts';
import { MeridianError } from '../errors/registry.ts';
import { homeLayout, homeOption } from './home.ts';

function caDir(opts: { dir?: string; home?: string }): string {
  return opts.dir ?? homeLayout(opts.home).caDir;
}

/** Registers `ca init`, `ca issue`, `ca revoke` and `ca list`. */
export function registerCaCommands(program: Command): void {
  const ca = program
    .command('ca')
    .description('Consortium CA: TLS certificates and Ed25519 signing keys for each institution');
  const dirHelp = 'CA directory (default <home>/pki)';

  ca.command('init')
    .description('Create the consortium CA (ECDSA P-256 key and self-signed certificate, empty CRL)')
    .option('--dir <dir>', dirHelp)
    .addOption(homeOption())
    .option('--name <cn>', 'CA common name', 'Meridian Consortium CA')
    .option('--days <n>', 'validity in days', '3650')
    .action(async (o: { dir?: string; home?: string; name: string; days: string }) => {
      const info = await initCa({ dir: caDir(o), commonName: o.name, validDays: positiveInt(o.days, '--days') });
      process.stdout.write(`CA created in ${caDir(o)}\n${JSON.stringify(info, null, 2)}\n`);
    });

  ca.command('issue <name>')
    .description('Issue an institution identity: TLS certificate (server+client) and Ed25519 signing key + certificate')
    .requiredOption('--role <role>', 'node (a hospital) or hub (the regional hub)')
    .option('--host <host...>', 'DNS names or IP addresses the institution serves on', [
      'localhost',
      '127.0.0.1',
      '::1',
    ])
    .option('--days <n>', 'validity in days', '825')
    .option('--dir <dir>', dirHelp)
    .addOption(homeOption())
    .action(async (name: string, o: { role: string; host: string[]; days: string; dir?: string; home?: string }) => {
      if (o.role !== 'node' && o.role !== 'hub') {
        throw new MeridianError('MER_CLI_USAGE', `--role "${o.role}" is not allowed; use node or hub`);
      }
      const info = await issueIdentity({
        dir: caDir(o),
        name,
        role: o.role,
        hosts: o.host,
        validDays: positiveInt(o.days, '--days'),
      });
      process.stdout.write(
        `issued ${o.role} identity "${name}" in ${caDir(o)}/identities/${name}\n${JSON.stringify(info, null, 2)}\n`,
      );
    });

  ca.command('revoke <name>')
    .description('Revoke an identity: its certificates go on the CRL, which running servers reload within seconds')
    .option('--dir <dir>', dirHelp)
    .addOption(homeOption())
    .action(async (name: string, o: { dir?: string; home?: string }) => {
      await revokeIdentity({ dir: caDir(o), name });
      process.stdout.write(`revoked "${name}"; CRL updated in ${caDir(o)}/crl.pem\n`);
    });

  ca.command('list')
    .description('List issued identities with role, validity and revocation')
    .option('--dir <dir>', dirHelp)
    .addOption(homeOption())
    .option('--json', 'print JSON')
    .action(async (o: { dir?: string; home?: string; json?: boolean }) => {
      const list = await listIdentities({ dir: caDir(o) });
      if (o.json) {
        process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
        return;
      }
      console.table(list);
    });
}

/** Parses a positive integer option or fails naming it. */
export function positiveInt(value: string, option: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new MeridianError('MER_CLI_USAGE', `${option} "${value}" must be a positive integer`);
  return n;
}
