/** `meridian hub start` and `meridian node start`: run one server in the foreground until SIGINT/SIGTERM. */
import type { Command } from 'commander';
import { loadConfig } from '../config/load.ts';
import { DEMO_ACCOUNTS } from '../demo/consortium.ts';
import { runHub } from '../hub/server.ts';
import { runNode } from '../node/server.ts';
import { positiveInt } from './ca-commands.ts';
import { homeLayout, homeOption } from './home.ts';

interface CommonFlags {
  config?: string;
  home?: string;
  dataDir?: string;
  caDir?: string;
  identity?: string;
  logLevel?: string;
}

const ENV_NOTE =
  '\nEvery setting can also come from the config file or a MERIDIAN_* variable (see README, "Configuration").';

function commonOverrides(o: CommonFlags, defaults: { dataDir: string; identity: string }) {
  const home = homeLayout(o.home);
  const fromFile = o.config !== undefined;
  return {
    dataDir: o.dataDir ?? (fromFile || process.env.MERIDIAN_DATA ? undefined : defaults.dataDir),
    logLevel: o.logLevel,
    pki: {
      caDir: o.caDir ?? (fromFile || process.env.MERIDIAN_CA_DIR ? undefined : home.caDir),
      identity: o.identity ?? (fromFile || process.env.MERIDIAN_IDENTITY ? undefined : defaults.identity),
    },
  };
}

function addCommon(cmd: Command): Command {
  return cmd
    .option('--config <file>', 'JSON config file (keys as in README "Configuration"; unknown keys are refused)')
    .addOption(homeOption())
    .option('--data-dir <dir>', 'data directory (database, lake, keys); default <home>/hub or <home>/nodes/<name>')
    .option('--ca-dir <dir>', 'consortium CA directory; default <home>/pki')
    .option('--identity <name>', 'identity name in the CA (certificate CN); default hub, or the node name')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent');
}

/** Registers `hub start` and `node start`. */
export function registerServerCommands(program: Command): void {
  const hub = program.command('hub').description('The regional hub: portal, API, workflow, orchestration');
  addCommon(
    hub
      .command('start')
      .description(
        `Start the hub: portal + user API on --port, institution port (mutual TLS) on --peer-port.${ENV_NOTE}`,
      ),
  )
    .option('--host <host>', 'address to listen on (default 127.0.0.1)')
    .option('--port <port>', 'portal and user API port (default 8080)')
    .option('--peer-port <port>', 'institution port for nodes, HTTPS with mutual TLS 1.3 (default 8443)')
    .option('--portal-dir <dir>', 'built portal directory (default ./web/dist)')
    .option('--seed-demo-accounts', 'create the demo accounts (one per role) if missing')
    .action(
      async (
        o: CommonFlags & {
          host?: string;
          port?: string;
          peerPort?: string;
          portalDir?: string;
          seedDemoAccounts?: boolean;
        },
      ) => {
        const config = loadConfig({
          role: 'hub',
          file: o.config,
          overrides: {
            ...commonOverrides(o, { dataDir: homeLayout(o.home).hubDir, identity: 'hub' }),
            hub: { host: o.host, port: o.port, peerPort: o.peerPort, portalDir: o.portalDir },
          },
        });
        await runHub(config, { seedAccounts: o.seedDemoAccounts ? DEMO_ACCOUNTS : [] });
      },
    );

  const node = program
    .command('node')
    .description('A hospital node: keeps the data at home, answers approved questions');
  addCommon(
    node
      .command('start')
      .description(`Start a hospital node; it connects out to the hub (no inbound port needed for tasks).${ENV_NOTE}`),
  )
    .option('--name <name>', 'node name (must equal its certificate name)')
    .option('--display-name <text>', 'hospital name shown in the portal')
    .option('--host <host>', 'address of the peer listener (default 127.0.0.1)')
    .option('--port <port>', 'peer port, HTTPS with mutual TLS 1.3 (default 9443)')
    .option('--hub-url <url>', "the hub's institution port, e.g. https://127.0.0.1:8443")
    .option('--heartbeat-ms <ms>', 'how often the node reports to the hub (default 2000)')
    .option('--mllp <port>', 'listen for a live HL7 v2 feed (MLLP) on this port; messages are ACKed once on disk')
    .option('--mllp-source <name>', "source profile the feed is loaded under (default: the node's only one)")
    .action(
      async (
        o: CommonFlags & {
          name?: string;
          displayName?: string;
          host?: string;
          port?: string;
          hubUrl?: string;
          heartbeatMs?: string;
          mllp?: string;
          mllpSource?: string;
        },
      ) => {
        const name = o.name ?? process.env.MERIDIAN_NODE_NAME ?? '';
        const config = loadConfig({
          role: 'node',
          file: o.config,
          overrides: {
            ...commonOverrides(o, { dataDir: homeLayout(o.home).nodeDir(name || 'node'), identity: name || 'node' }),
            node: {
              name: o.name,
              displayName: o.displayName,
              host: o.host,
              port: o.port,
              hubUrl: o.hubUrl,
              heartbeatMs: o.heartbeatMs === undefined ? undefined : positiveInt(o.heartbeatMs, '--heartbeat-ms'),
              mllpPort: o.mllp,
              mllpSource: o.mllpSource,
            },
          },
        });
        await runNode(config);
      },
    );
}
