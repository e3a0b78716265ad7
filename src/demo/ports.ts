/**
 * The ports the demo consortium listens on, checked before anything starts: a port another program holds would
 * otherwise surface minutes later as one child's crash (a validator that cannot bind), after the CA, the ledger
 * and the data load. The check names the port and what needed it.
 */
import { createServer } from 'node:net';
import { MeridianError } from '../errors/registry.ts';

/** One port a demo server will listen on, and which server. */
export interface PortUse {
  readonly host: string;
  readonly port: number;
  readonly use: string;
}

/** Every port of the demo: hub (portal and peer), each node, each ledger validator (peer and API); pure. */
export function demoPortUses(o: {
  host: string;
  hubPort: number;
  hubPeerPort: number;
  nodes: readonly { name: string; port: number }[];
  validators: readonly { name: string; host: string; p2pPort: number; apiPort: number }[];
}): PortUse[] {
  return [
    { host: o.host, port: o.hubPort, use: 'the hub (portal)' },
    { host: o.host, port: o.hubPeerPort, use: 'the hub (node peer port)' },
    ...o.nodes.map((n) => ({ host: o.host, port: n.port, use: `node ${n.name}` })),
    ...o.validators.flatMap((v) => [
      { host: v.host, port: v.p2pPort, use: `ledger validator ${v.name} (peer port)` },
      { host: v.host, port: v.apiPort, use: `ledger validator ${v.name} (API port)` },
    ]),
  ];
}

/** Resolves true when `port` can be bound on `host` now (and releases it at once). */
export function portIsFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Throws MER_DEMO_PORT_IN_USE naming every port of `uses` that is listed twice or already taken. */
export async function requireFreePorts(uses: readonly PortUse[]): Promise<void> {
  const seen = new Map<number, string>();
  const problems: string[] = [];
  for (const u of uses) {
    const other = seen.get(u.port);
    if (other !== undefined) problems.push(`port ${u.port} is given to both ${other} and ${u.use}`);
    seen.set(u.port, u.use);
  }
  const free = await Promise.all(uses.map((u) => portIsFree(u.host, u.port)));
  uses.forEach((u, i) => {
    if (!free[i]) problems.push(`port ${u.port} on ${u.host}, needed by ${u.use}, is in use by another program`);
  });
  if (problems.length > 0) {
    throw new MeridianError(
      'MER_DEMO_PORT_IN_USE',
      `the demo cannot start: ${problems.join('; ')}. Stop the program that holds it (is another demo running?) or choose other ports with --hub-port, --hub-peer-port and --node-base-port (a new --home for other ledger ports)`,
      { ports: problems.length },
    );
  }
}
