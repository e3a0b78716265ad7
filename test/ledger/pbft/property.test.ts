import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  type Behavior,
  describeResult,
  type Fault,
  faultsTolerated,
  type SimulationOptions,
  simulate,
} from '../../../src/ledger/pbft/index.ts';

/** Runs per property; raise it for a soak: PBFT_RUNS=5000 node --import tsx --test test/ledger/pbft/property.test.ts */
const RUNS = Number(process.env.PBFT_RUNS ?? 200);

const FAULT_KINDS = [
  'crash',
  'restart',
  'wipe',
  'equivocating-primary',
  'twin',
  'view-change-spammer',
  'silent',
] as const;

const fraction = fc.double({ min: 0, max: 1, noNaN: true });

/** A random schedule: a lossy network until GST, partitions and one-way links, and at most f faulty validators. */
const schedules = fc
  .record({
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    n: fc.constantFrom(4, 7),
    gstMs: fc.integer({ min: 300, max: 3000 }),
    lossRate: fc.double({ min: 0, max: 0.3, noNaN: true }),
    duplicateRate: fc.double({ min: 0, max: 0.2, noNaN: true }),
    delayMaxMs: fc.integer({ min: 2, max: 200 }),
    requestCount: fc.integer({ min: 3, max: 30 }),
    requestIntervalMs: fc.integer({ min: 5, max: 80 }),
    faulty: fc.array(fc.record({ kind: fc.constantFrom(...FAULT_KINDS), at: fraction, down: fraction }), {
      maxLength: 2,
    }),
    links: fc.array(
      fc.record({
        kind: fc.constantFrom('partition', 'send-only', 'receive-only'),
        mask: fc.nat(),
        from: fraction,
        length: fraction,
      }),
      { maxLength: 2 },
    ),
  })
  .map((s): SimulationOptions => {
    const ids = Array.from({ length: s.n }, (_, i) => `r${i}`);
    const byzantine: Record<string, Behavior> = {};
    const faults: Fault[] = [];
    for (const [i, f] of s.faulty.slice(0, faultsTolerated(s.n)).entries()) {
      const node = ids[(s.seed + i) % s.n] as string;
      const atMs = Math.floor(f.at * s.gstMs);
      if (f.kind === 'crash') faults.push({ kind: 'crash', node, atMs });
      else if (f.kind === 'restart' || f.kind === 'wipe') {
        const restartAtMs = atMs + 10 + Math.floor(f.down * 2000);
        faults.push({ kind: 'crash', node, atMs, restartAtMs, wipe: f.kind === 'wipe' });
      } else byzantine[node] = f.kind;
    }
    for (const l of s.links) {
      const fromMs = Math.floor(l.from * s.gstMs);
      const untilMs = fromMs + Math.floor(l.length * (s.gstMs - fromMs));
      if (l.kind === 'partition') {
        const side = ids.filter((_, i) => (l.mask >> i) & 1);
        faults.push({ kind: 'partition', groups: [side, ids.filter((id) => !side.includes(id))], fromMs, untilMs });
      } else {
        faults.push({ kind: 'one-way', node: ids[l.mask % s.n] as string, direction: l.kind, fromMs, untilMs });
      }
    }
    return {
      seed: s.seed,
      validators: s.n,
      requestCount: s.requestCount,
      requestIntervalMs: s.requestIntervalMs,
      gstMs: s.gstMs,
      network: { lossRate: s.lossRate, duplicateRate: s.duplicateRate, delayMinMs: 1, delayMaxMs: s.delayMaxMs },
      faults,
      byzantine,
      durationMs: s.gstMs + 60_000,
    };
  });

test('S1 S2 S3 L1 (property): with at most f faulty validators, correct replicas hold identical committed prefixes and progress resumes once the network heals (n = 4 and n = 7)', () => {
  fc.assert(
    fc.property(schedules, (options) => {
      const r = simulate(options);
      assert.ok(r.ok, `replay: simulate(${JSON.stringify({ ...options })})\n${describeResult(r)}`);
      const chains = r.honest.map((m) => r.chains.get(m) ?? []);
      const longest = chains.reduce((a, b) => (b.length > a.length ? b : a), []);
      for (const c of chains) assert.deepEqual(c, longest.slice(0, c.length), `seed ${options.seed}`);
    }),
    { numRuns: RUNS },
  );
});
