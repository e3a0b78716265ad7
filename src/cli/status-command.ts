/** `meridian status`: the consortium as the hub sees it (nodes up or down, last seen, versions, data). */
import type { Command } from 'commander';
import { httpsRequestJson, loadTlsMaterial } from '../ca/index.ts';
import { MeridianError } from '../errors/registry.ts';
import type { NodeView } from '../hub/nodes/node-tracker.ts';
import { homeLayout, homeOption, readConsortiumFile } from './home.ts';

/** Registers `status`. */
export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description(
      "Show the consortium as the hub sees it; asks the hub's institution port with a consortium certificate",
    )
    .addOption(homeOption())
    .option(
      '--hub-url <url>',
      'hub institution port (default: from <home>/consortium.json, else https://127.0.0.1:8443)',
    )
    .option('--ca-dir <dir>', 'consortium CA directory holding the identity (default <home>/pki)')
    .option('--identity <name>', 'identity to authenticate with (default: the hub identity)')
    .option('--timeout-ms <ms>', 'give up after this long', '5000')
    .option('--json', 'print {"nodes":[{"name","state",…}],…} as JSON')
    .action(
      async (o: {
        home?: string;
        hubUrl?: string;
        caDir?: string;
        identity?: string;
        timeoutMs: string;
        json?: boolean;
      }) => {
        const home = homeLayout(o.home);
        const consortium = readConsortiumFile(home);
        const hubUrl = o.hubUrl ?? consortium?.hubPeerUrl ?? 'https://127.0.0.1:8443';
        const tls = loadTlsMaterial({
          dir: o.caDir ?? home.caDir,
          name: o.identity ?? consortium?.hubIdentity ?? 'hub',
        });
        let res: { status: number; body: unknown };
        try {
          res = await httpsRequestJson({
            url: new URL('/peer/v1/consortium', hubUrl).toString(),
            method: 'GET',
            tls,
            timeoutMs: Number(o.timeoutMs),
          });
        } catch (e) {
          throw new MeridianError('MER_HUB_UNREACHABLE', `hub not reachable at ${hubUrl}: ${(e as Error).message}`);
        }
        if (res.status !== 200) {
          throw new MeridianError(
            'MER_HUB_UNREACHABLE',
            `hub at ${hubUrl} answered ${res.status}: ${JSON.stringify(res.body)}`,
          );
        }
        const view = res.body as { generatedAt: string; hub: { name: string; version: string }; nodes: NodeView[] };
        if (o.json) {
          process.stdout.write(`${JSON.stringify(view)}\n`);
          return;
        }
        process.stdout.write(`hub ${view.hub.name} ${view.hub.version} at ${hubUrl} — ${view.generatedAt}\n`);
        const rows = view.nodes.map((n) => ({
          node: n.name,
          state: n.state,
          'last seen': n.lastSeen
            ? `${Math.round((Date.parse(view.generatedAt) - Date.parse(n.lastSeen)) / 1000)} s ago`
            : 'never',
          version: n.versions?.meridian ?? '',
          rows: n.dataVolume.rows,
          address: n.address ?? '',
        }));
        if (rows.length === 0) process.stdout.write('no node has announced itself yet\n');
        else console.table(rows);
      },
    );
}
