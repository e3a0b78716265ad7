/** `meridian demo`: start the demo consortium (what `npm start` runs). */
import type { Command } from 'commander';
import { runDemo } from '../demo/launcher.ts';
import { positiveInt } from './ca-commands.ts';
import { homeOption } from './home.ts';

/** Registers `demo`. */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'Start a demo consortium: one hub and three hospital nodes as separate processes, portal on --hub-port',
    )
    .addOption(homeOption())
    .option('--host <host>', 'address every server listens on', '127.0.0.1')
    .option('--hub-port <port>', 'portal and user API port', '8080')
    .option('--hub-peer-port <port>', 'hub institution port (mutual TLS)', '8443')
    .option('--node-base-port <port>', 'first node peer port; the others follow', '9441')
    .option('--start-timeout-ms <ms>', 'give up if the consortium is not up within this time', '120000')
    .action(
      async (o: {
        home?: string;
        host: string;
        hubPort: string;
        hubPeerPort: string;
        nodeBasePort: string;
        startTimeoutMs: string;
      }) => {
        await runDemo({
          home: o.home,
          host: o.host,
          hubPort: positiveInt(o.hubPort, '--hub-port'),
          hubPeerPort: positiveInt(o.hubPeerPort, '--hub-peer-port'),
          nodeBasePort: positiveInt(o.nodeBasePort, '--node-base-port'),
          startTimeoutMs: positiveInt(o.startTimeoutMs, '--start-timeout-ms'),
        });
      },
    );
}
