import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openLake } from '../../src/store/index.ts';

const CHILD = join(import.meta.dirname, 'ingest-child.ts');
const ROWS = 120_000;

function runChild(dir: string, input: string, loadId: string, killAtRecords?: number) {
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir, input, loadId], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stderr.on('data', (b: Buffer) => {
      err += b.toString();
    });
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /progress (\d+)\n[^\n]*$/.exec(out);
      if (killAtRecords !== undefined && m && Number(m[1]) >= killAtRecords && child.exitCode === null)
        child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => resolve({ code, signal, out: out + err }));
  });
}

async function lakeCount(dir: string): Promise<number> {
  const lake = await openLake({ dir: join(dir, 'lake') });
  try {
    if (!(await lake.tables()).includes('measurement')) return 0;
    const [r] = await lake.query<{ n: number }>('select count(*)::integer as n from measurement');
    return Number(r?.n ?? 0);
  } finally {
    await lake.close();
  }
}

test('a load killed with SIGKILL half-way leaves nothing visible; the re-run loads every row once; a third run adds nothing', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ingest-crash-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const input = join(dir, 'glucose.csv');
  const lines = ['pid,glu,at'];
  for (let i = 0; i < ROWS; i++)
    lines.push(`P${i},${(4 + (i % 50) / 10).toFixed(1)},2024-01-${String(1 + (i % 28)).padStart(2, '0')} 08:00`);
  writeFileSync(input, `${lines.join('\n')}\n`);

  const killed = await runChild(dir, input, 'L1', 60_000);
  assert.equal(killed.signal, 'SIGKILL', `the child should have been killed mid-load:\n${killed.out.slice(-2000)}`);
  assert.ok(!killed.out.includes('summary'), 'the load must not have finished before the kill');
  const staged = readdirSync(join(dir, 'lake'), { withFileTypes: true }).some((e) => e.name === '.staging');
  assert.ok(staged, 'batches were staged before the kill (the test must kill after the first batch)');
  assert.equal(await lakeCount(dir), 0, 'no row of the unfinished load is visible after the crash');

  const rerun = await runChild(dir, input, 'L2');
  assert.equal(rerun.code, 0, rerun.out.slice(-2000));
  assert.match(rerun.out, /"loaded":1/);
  assert.equal(await lakeCount(dir), ROWS, 'the re-run completes the load with every row exactly once');

  const again = await runChild(dir, input, 'L3');
  assert.equal(again.code, 0, again.out.slice(-2000));
  assert.match(again.out, /"unchanged":1/);
  assert.equal(await lakeCount(dir), ROWS, 'loading the same file again adds nothing');
});
