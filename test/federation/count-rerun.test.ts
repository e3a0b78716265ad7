/**
 * Re-running a partial count (docs/decisions/0010): the pure merge of a count's hospital lines, and the hub's
 * FederationService over simulated hospitals that sign their answers with their own Ed25519 keys. A hospital that
 * was down is asked again under the same authorization; the others are not asked twice; the result is released
 * only once every hospital has filed its receipt.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { test } from 'node:test';
import { MeridianError } from '../../src/errors/registry.ts';
import { CLOSE_ROUND } from '../../src/federation/node.ts';
import { type FederationRun, signNodeAnswer } from '../../src/federation/protocol.ts';
import { countLines, countTotals, mergeCountLines } from '../../src/hub/federation/count-merge.ts';
import type { NodeOutcome } from '../../src/hub/federation/rounds.ts';
import { FederationService } from '../../src/hub/federation/service.ts';

const answered = (node: string, count: unknown, unknownCodes: string[] = []): NodeOutcome => ({
  node,
  status: 'answered',
  result: { count, disclosure: 'suppression', minCell: 5, unknownCodes },
  signed: null,
});
const missing = (node: string): NodeOutcome => ({
  node,
  status: 'missing',
  code: 'MER_NODE_UNAVAILABLE',
  message: 'down',
});

test('count lines: a missing hospital makes the count partial; a suppressed one is a lower bound', () => {
  const totals = countTotals(countLines([answered('a', 12), answered('b', { suppressed: true }), missing('c')]));
  assert.equal(totals.total, 12);
  assert.deepEqual(totals.suppressed, ['b']);
  assert.deepEqual(totals.missing, ['c']);
  assert.equal(totals.partial, true);
  assert.equal(totals.minCell, 5);
});

test('count lines: an answer of the wrong shape is missing, never summed', () => {
  const bad: NodeOutcome = { node: 'a', status: 'answered', result: { count: -3 }, signed: null };
  const totals = countTotals(countLines([bad, answered('b', 7)]));
  assert.equal(totals.total, 7);
  assert.deepEqual(totals.missing, ['a']);
  assert.equal(totals.byHospital[0]?.status, 'missing');
});

test('merging a re-run replaces only the hospitals asked again, keeps order, and unions unknown codes', () => {
  const first = countLines([answered('a', 10, ['ICD-10:X99']), missing('b'), missing('c')]);
  const again = countLines([answered('b', 20, ['ICD-10:Y98']), missing('c')]);
  const merged = countTotals(mergeCountLines(first, again));
  assert.deepEqual(
    merged.byHospital.map((l) => l.hospital),
    ['a', 'b', 'c'],
  );
  assert.equal(merged.total, 30);
  assert.deepEqual(merged.missing, ['c']);
  assert.deepEqual(merged.unknownCodes, ['ICD-10:X99', 'ICD-10:Y98']);
  const complete = countTotals(mergeCountLines(merged, countLines([answered('c', 5)])));
  assert.equal(complete.partial, false);
  assert.equal(complete.total, 35);
});

/** Three simulated hospitals: each signs its answers with its own key; `down` ones are unreachable. */
function consortium(counts: Record<string, number>) {
  const keys = new Map<string, { privateKey: KeyObject; publicKey: KeyObject }>();
  for (const h of Object.keys(counts)) keys.set(h, generateKeyPairSync('ed25519'));
  const down = new Set<string>();
  /** Hospitals that answer but cannot file their receipt. */
  const noLedger = new Set<string>();
  const asked: string[] = [];
  const released: string[] = [];
  let height = 0;
  const service = new FederationService({
    nodeKey: async (node) => keys.get(node)?.publicKey,
    call: async (node, payload: FederationRun) => {
      asked.push(`${node}@${payload.round}${payload.closeAfter ? '+close' : ''}`);
      if (down.has(node)) throw new MeridianError('MER_NODE_UNAVAILABLE', `hospital node ${node} is down`);
      const privateKey = keys.get(node)?.privateKey as KeyObject;
      const result = { count: counts[node], disclosure: 'suppression', minCell: 5, unknownCodes: [] };
      const signed = signNodeAnswer({ task: payload.task, node, round: payload.round, result, privateKey });
      if (noLedger.has(node)) {
        return {
          signed,
          closeError: { code: 'MER_FED_LEDGER_UNAVAILABLE', message: `${node} cannot reach the ledger` },
        };
      }
      const receipt = {
        resultHash: 'f'.repeat(64),
        answers: 1,
        receipt: { txHash: `receipt-${node}`, height: ++height },
      };
      const close = signNodeAnswer({ task: payload.task, node, round: CLOSE_ROUND, result: receipt, privateKey });
      return { signed, close };
    },
    authorize: async () => ({ txHash: 'authorize', height: ++height }),
    release: async (taskId) => {
      released.push(taskId);
      return { txHash: 'release', height: ++height };
    },
  });
  return { service, down, noLedger, asked, released };
}

test('a re-run asks only the hospital that was down, files its receipt and releases the complete count', async () => {
  const c = consortium({ 'hospital-a': 11, 'hospital-b': 22, 'hospital-c': 33 });
  const task = c.service.task(
    {
      requestId: 'req-1',
      projectId: 'proj-1',
      kind: 'count',
      cohort: { criteria: [{ kind: 'diagnosis', codes: ['E11'], descendants: true }] },
      hospitals: ['hospital-a', 'hospital-b', 'hospital-c'],
    },
    { id: 'researcher', role: 'researcher' },
  );
  c.down.add('hospital-c');
  const first = await c.service.count(task);
  assert.equal(first.partial, true);
  assert.deepEqual(first.missing, ['hospital-c']);
  assert.equal(first.total, 33);
  assert.equal(first.ledger.release, null, 'a partial count is never released');
  assert.deepEqual(c.released, []);

  c.down.delete('hospital-c');
  c.asked.length = 0;
  const again = await c.service.rerunCount(task, first);
  assert.deepEqual(c.asked, ['hospital-c@0+close'], 'one exchange: the answer and the receipt together');
  assert.equal(again.partial, false);
  assert.equal(again.total, 66);
  assert.equal(again.taskId, task.taskId);
  assert.deepEqual(again.authorizedAt, first.authorizedAt, 'the same ledger authorization');
  assert.deepEqual(Object.keys(again.ledger.receipts).sort(), ['hospital-a', 'hospital-b', 'hospital-c']);
  assert.ok(again.ledger.release, JSON.stringify(again.ledger));
  assert.deepEqual(c.released, [task.taskId]);
});

test('a re-run while the hospital is still down stays partial and unreleased', async () => {
  const c = consortium({ 'hospital-a': 8, 'hospital-b': 9 });
  const task = c.service.task(
    {
      requestId: 'req-2',
      projectId: 'proj-2',
      kind: 'count',
      cohort: { criteria: [{ kind: 'sex', values: ['F'] }] },
      hospitals: ['hospital-a', 'hospital-b'],
    },
    { id: 'researcher', role: 'researcher' },
  );
  c.down.add('hospital-b');
  const first = await c.service.count(task);
  const again = await c.service.rerunCount(task, first);
  assert.equal(again.partial, true);
  assert.deepEqual(again.missing, ['hospital-b']);
  assert.equal(again.ledger.release, null);
  assert.match(again.ledger.unreleased ?? '', /hospital-b/);
  assert.deepEqual(c.released, []);
});

test('a hospital that answers but cannot file its receipt counts, leaves the result unreleased, and is asked again', async () => {
  const c = consortium({ 'hospital-a': 11, 'hospital-b': 22, 'hospital-c': 33 });
  const task = c.service.task(
    {
      requestId: 'req-1',
      projectId: 'proj-1',
      kind: 'count',
      cohort: { criteria: [{ kind: 'diagnosis', codes: ['E11'], descendants: true }] },
      hospitals: ['hospital-a', 'hospital-b', 'hospital-c'],
    },
    { id: 'rita', role: 'researcher' },
  );
  c.noLedger.add('hospital-b');
  const first = await c.service.count(task);
  assert.equal(first.total, 66, 'its count is used');
  assert.equal(first.partial, false);
  assert.deepEqual(Object.keys(first.ledger.receipts).sort(), ['hospital-a', 'hospital-c']);
  assert.equal(first.ledger.release, null);
  assert.match(first.ledger.unreleased ?? '', /hospital-b: hospital-b cannot reach the ledger/);
  assert.deepEqual(c.released, []);

  c.noLedger.delete('hospital-b');
  c.asked.length = 0;
  const again = await c.service.rerunCount(task, first);
  assert.deepEqual(c.asked, ['hospital-b@0+close']);
  assert.ok(again.ledger.release, JSON.stringify(again.ledger));
  assert.deepEqual(c.released, [task.taskId]);
});
