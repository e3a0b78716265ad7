import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isMeridianError } from '../../src/errors/registry.ts';
import { landFile, verifyStoredFile } from '../../src/pipeline/ods.ts';
import { PIPELINE_MIGRATIONS, type PipelineDatabase } from '../../src/pipeline/schema.ts';
import { openDatabase } from '../../src/store/index.ts';
import { freshDatabase } from '../store/targets.ts';

test('a landed file is stored read-only under its SHA-256; the same bytes twice add nothing; a change is a new version', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ods-'));
  const fresh = freshDatabase();
  const store = await openDatabase<PipelineDatabase>({ ...fresh.options, migrations: PIPELINE_MIGRATIONS });
  t.after(async () => {
    await store.close();
    await fresh.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });
  const src = join(dir, '检验结果.csv');
  writeFileSync(src, '患者ID,结果\n1,5.6\n');
  const now = new Date('2026-05-01T00:00:00Z');
  const a = await landFile({ db: store.db, odsDir: join(dir, 'ods'), file: src, source: 'his', now });
  assert.match(a.sha256, /^[0-9a-f]{64}$/);
  assert.deepEqual([a.version, a.unchanged, a.sizeBytes], [1, false, statSync(src).size]);
  assert.equal(statSync(a.storedPath).mode & 0o777, 0o444);
  assert.equal(await verifyStoredFile(a.storedPath), true);

  const again = await landFile({ db: store.db, odsDir: join(dir, 'ods'), file: src, source: 'his', now });
  assert.deepEqual([again.version, again.unchanged, again.sha256], [1, true, a.sha256]);

  writeFileSync(src, '患者ID,结果\n1,5.7\n');
  const changed = await landFile({ db: store.db, odsDir: join(dir, 'ods'), file: src, source: 'his', now });
  assert.deepEqual([changed.version, changed.unchanged], [2, false]);
  assert.notEqual(changed.sha256, a.sha256);
  const files = await store.db.selectFrom('ods_files').select('sha256').execute();
  assert.equal(files.length, 2);

  await assert.rejects(
    landFile({ db: store.db, odsDir: join(dir, 'ods'), file: join(dir, 'missing.csv'), source: 'his', now }),
    (e) => isMeridianError(e, 'MER_SOURCE_UNREADABLE') && e.message.includes('missing.csv'),
  );
});
