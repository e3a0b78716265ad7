/** The demo's port check: every port it will bind is named, and a taken or doubled port stops it before it starts. */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { demoPortUses, portIsFree, requireFreePorts } from '../../src/demo/ports.ts';
import { MeridianError } from '../../src/errors/registry.ts';

const validators = [
  { name: 'hub', host: '127.0.0.1', p2pPort: 0, apiPort: 0 },
  { name: 'hospital-a', host: '127.0.0.1', p2pPort: 0, apiPort: 0 },
];

test('the demo lists hub, node and validator ports with what needs each', () => {
  const uses = demoPortUses({
    host: '127.0.0.1',
    hubPort: 8080,
    hubPeerPort: 9440,
    nodes: [{ name: 'hospital-a', port: 9441 }],
    validators: validators.map((v, i) => ({ ...v, p2pPort: 9541 + 2 * i, apiPort: 9542 + 2 * i })),
  });
  assert.deepEqual(
    uses.map((u) => [u.port, u.use]),
    [
      [8080, 'the hub (portal)'],
      [9440, 'the hub (node peer port)'],
      [9441, 'node hospital-a'],
      [9541, 'ledger validator hub (peer port)'],
      [9542, 'ledger validator hub (API port)'],
      [9543, 'ledger validator hospital-a (peer port)'],
      [9544, 'ledger validator hospital-a (API port)'],
    ],
  );
});

test('a port held by another program stops the demo with the port and its use named', async () => {
  const holder = createServer();
  await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
  const port = (holder.address() as { port: number }).port;
  try {
    assert.equal(await portIsFree('127.0.0.1', port), false);
    await assert.rejects(
      requireFreePorts([{ host: '127.0.0.1', port, use: 'ledger validator hospital-a (peer port)' }]),
      (e: unknown) =>
        e instanceof MeridianError &&
        e.code === 'MER_DEMO_PORT_IN_USE' &&
        e.message.includes(`port ${port} on 127.0.0.1, needed by ledger validator hospital-a (peer port), is in use`),
    );
  } finally {
    await new Promise((r) => holder.close(r));
  }
  assert.equal(await portIsFree('127.0.0.1', port), true);
  await requireFreePorts([{ host: '127.0.0.1', port, use: 'node hospital-a' }]);
});

test('one port given to two servers is refused before anything binds', async () => {
  await assert.rejects(
    requireFreePorts([
      { host: '127.0.0.1', port: 1, use: 'node hospital-a' },
      { host: '127.0.0.1', port: 1, use: 'ledger validator hub (peer port)' },
    ]),
    /port 1 is given to both node hospital-a and ledger validator hub \(peer port\)/,
  );
});
