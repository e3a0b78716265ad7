/** The host's write-ahead log and block store: torn tails are repaired, damage before the end stops the validator, restarts keep every promise. */
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isMeridianError } from '../../../src/errors/registry.ts';
import { FramedLog, frame, ReplicaWal } from '../../../src/ledger/host/index.ts';
import { createReplica, persistedOf, replicaConfig, restoreReplica, step } from '../../../src/ledger/pbft/replica.ts';
import type { ReplicaEnv } from '../../../src/ledger/pbft/types.ts';

function dir(): string {
  return mkdtempSync(join(tmpdir(), 'meridian-wal-'));
}

test('a torn last record is truncated and the log stays usable', () => {
  const d = dir();
  try {
    const path = join(d, 'x.log');
    const { log } = FramedLog.open(path);
    log.append(Buffer.from('one'));
    log.append(Buffer.from('two'));
    log.flush();
    log.close();
    const full = frame(Buffer.from('three-is-longer'));
    appendFileSync(path, full.subarray(0, full.length - 4));
    const opened = FramedLog.open(path);
    assert.deepEqual(opened.records.map(String), ['one', 'two']);
    assert.equal(opened.repairedBytes, full.length - 4);
    opened.log.append(Buffer.from('four'));
    opened.log.flush();
    opened.log.close();
    assert.deepEqual(FramedLog.open(path).records.map(String), ['one', 'two', 'four']);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test('a torn header and a last record with a bad checksum are repaired too', () => {
  const d = dir();
  try {
    const path = join(d, 'x.log');
    writeFileSync(path, Buffer.concat([frame(Buffer.from('a')), Buffer.from([0, 0, 0])]));
    assert.deepEqual(FramedLog.open(path).records.map(String), ['a']);
    const last = frame(Buffer.from('bbbb'));
    last.writeUInt8((last.at(-1) ?? 0) ^ 0xff, last.length - 1);
    writeFileSync(path, Buffer.concat([frame(Buffer.from('a')), last]));
    const o = FramedLog.open(path);
    assert.deepEqual(o.records.map(String), ['a']);
    assert.equal(statSync(path).size, frame(Buffer.from('a')).length);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test('corruption in the middle of the log halts with MER_LEDGER_WAL_CORRUPT', () => {
  const d = dir();
  try {
    const path = join(d, 'x.log');
    const a = frame(Buffer.from('first'));
    const b = frame(Buffer.from('second'));
    const c = frame(Buffer.from('third'));
    b.writeUInt8((b.at(-2) ?? 0) ^ 0x01, b.length - 2);
    writeFileSync(path, Buffer.concat([a, b, c]));
    assert.throws(
      () => FramedLog.open(path),
      (e) => isMeridianError(e, 'MER_LEDGER_WAL_CORRUPT'),
    );
    assert.equal(readFileSync(path).length, a.length + b.length + c.length, 'nothing is truncated');
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

const env: ReplicaEnv = {
  digestBatch: (b) => `d${b.height}-${b.requests.map((r) => r.digest).join(',')}-${b.proposerTimeMs}`,
  signCommit: (v) => `sig:${v.height}:${v.view}:${v.digest}`,
  verifyCommit: () => true,
  verifyBlock: () => true,
  validRequest: () => true,
  reconfigOf: () => undefined,
};

test('S5 a restart from the WAL never double-signs: the restored replica keeps its accepted proposal and refuses a conflicting one', () => {
  const d = dir();
  try {
    const path = join(d, 'replica.wal');
    const config = replicaConfig({ self: 'b', genesis: ['a', 'b', 'c', 'd'] });
    let s = createReplica(config);
    const batch = { height: 1, requests: [{ digest: 'r1', bytes: Buffer.from('{"x":1}') }], proposerTimeMs: 5 };
    const digest = env.digestBatch(batch);
    const r = step(
      s,
      { type: 'message', from: 'a', message: { kind: 'pre-prepare', view: 0, seq: 1, digest, batch } },
      { nowMs: 10, env },
    );
    s = r.state;
    assert.ok(
      r.outputs.some((o) => o.type === 'send' && o.message.kind === 'prepare'),
      'b prepared',
    );
    const { wal } = ReplicaWal.open(path);
    wal.record(s);
    wal.flush();
    wal.close();
    const reopened = ReplicaWal.open(path);
    assert.ok(reopened.persisted);
    assert.deepEqual(
      [...reopened.persisted.slots.values()].map((x) => x.accepted?.digest),
      [...persistedOf(s).slots.values()].map((x) => x.accepted?.digest),
    );
    let t = restoreReplica(config, reopened.persisted);
    const other = { ...batch, requests: [{ digest: 'r2', bytes: Buffer.from('{"x":2}') }] };
    const out = step(
      t,
      {
        type: 'message',
        from: 'a',
        message: { kind: 'pre-prepare', view: 0, seq: 1, digest: env.digestBatch(other), batch: other },
      },
      { nowMs: 20, env },
    );
    t = out.state;
    const prepares = out.outputs.filter((o) => o.type === 'send' && o.message.kind === 'prepare');
    assert.equal(prepares.length, 0, 'no second prepare for (view 0, seq 1)');
    assert.equal(t.slots.get(1)?.accepted?.digest, digest);
    reopened.wal.close();
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test('compaction rewrites the log as one snapshot that restores the same state', () => {
  const d = dir();
  try {
    const path = join(d, 'replica.wal');
    const config = replicaConfig({ self: 'b', genesis: ['a', 'b', 'c', 'd'] });
    let s = createReplica(config);
    const batch = { height: 1, requests: [{ digest: 'r1', bytes: Buffer.from('{"x":1}') }], proposerTimeMs: 5 };
    const digest = env.digestBatch(batch);
    s = step(
      s,
      { type: 'message', from: 'a', message: { kind: 'pre-prepare', view: 0, seq: 1, digest, batch } },
      { nowMs: 10, env },
    ).state;
    const { wal } = ReplicaWal.open(path, { compactBytes: 1 });
    wal.record(s);
    wal.flush();
    const moved = { ...s, stable: { seq: 0, digest: 'genesis' } };
    assert.equal(wal.compactIfDue(moved), false, 'no compaction before the stable checkpoint moves');
    wal.close();
    const before = ReplicaWal.open(path, { compactBytes: 1 });
    assert.equal(before.persisted?.slots.get(1)?.accepted?.digest, digest);
    before.wal.close();
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});
