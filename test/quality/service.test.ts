/**
 * The quality service on a real operational database (PGlite, or PostgreSQL when MERIDIAN_TEST_DATABASE_URL is
 * set) and a real lake: runs store raw counts with the rule-set version, thresholds are re-applied to stored
 * counts without re-running any SQL, steward rules are validated and versioned, quarantine counts are grouped by
 * reason, trends follow runs, reports render as JSON (schema-checked) and self-contained HTML, and the hub task
 * handlers answer.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { isMeridianError } from '../../src/errors/registry.ts';
import { type DwdTable, lakeColumns } from '../../src/model/dwd.ts';
import { QUARANTINE_COLUMNS } from '../../src/pipeline/loader.ts';
import {
  BUILTIN_RULES,
  QUALITY_MIGRATIONS,
  type QualityDatabase,
  QualityReportSchema,
  type QualityRuleInput,
  QualityService,
  qualityTaskHandlers,
  ruleSetVersion,
} from '../../src/quality/index.ts';
import { type Database, type Lake, openDatabase, openLake } from '../../src/store/index.ts';
import { freshDatabase } from '../store/targets.ts';

let dir: string;
let lake: Lake;
let store: Database<QualityDatabase>;
let cleanup: () => Promise<void>;
let service: QualityService;
let clock = Date.parse('2026-05-01T08:00:00Z');
/** A clock one minute ahead at each reading, so runs have distinct, ordered start times. */
function now(): Date {
  clock += 60_000;
  return new Date(clock);
}

const STEWARD_RULE: QualityRuleInput = {
  id: 'steward.potassium.range',
  category: 'plausibility',
  subcategory: 'atemporal',
  table: 'measurement',
  severity: 'warning',
  threshold: 0,
  where: { measurement_code: ['2823-3'] },
  check: { kind: 'range', field: 'value', min: 1, max: 10 },
  description: { zh: '血钾 <script>alert(1)</script>', en: 'potassium & <b>friends</b>' },
};

async function write(table: DwdTable | 'quarantine', batchId: string, rows: Record<string, unknown>[]): Promise<void> {
  const columns = table === 'quarantine' ? QUARANTINE_COLUMNS : lakeColumns(table);
  await lake.writeBatch({ table, batchId, columns, rows });
}

function lineage(load: string, n: number) {
  return { source_sha256: 'a'.repeat(64), source_position: `lab.csv:${n}`, mapping_version: 'lab@1', load_id: load };
}

/** Loads: L1 has 10 glucose results, 1 negative; L2 has 4, 2 negative; plus 3 quarantined records. */
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'quality-service-'));
  lake = await openLake({ dir });
  const fresh = freshDatabase();
  store = await openDatabase<QualityDatabase>({ ...fresh.options, migrations: QUALITY_MIGRATIONS });
  cleanup = fresh.cleanup;
  service = new QualityService({ db: store.db, lake, node: 'hospital-t', now });
  await write('person', 'p', [{ person_id: 'P1', gender: 'F', birth_date: '1960-02-03', ...lineage('L1', 1) }]);
  const glucose = (load: string, n: number, value: number) => ({
    person_id: 'P1',
    measurement_code: '14749-6',
    value,
    unit: 'mmol/L',
    measured_at: '2024-01-01T08:00:00Z',
    source_value: String(n),
    ...lineage(load, n),
  });
  await write('measurement', 'm1', [
    ...Array.from({ length: 9 }, (_, i) => glucose('L1', i + 2, 5 + i / 10)),
    glucose('L1', 11, -3),
  ]);
  await write('quarantine', 'q1', [
    ...[1, 2].map((n) => ({
      load_id: 'L1',
      source: 'hospital-t',
      source_name: 'lab.csv',
      source_sha256: 'a'.repeat(64),
      source_position: `lab.csv:${100 + n}`,
      code: 'MAP_RANGE',
      message: 'measurement.value: 900 is above the plausible maximum 300',
      field: 'value',
      mapping_version: 'lab@1',
    })),
    {
      load_id: 'L1',
      source: 'hospital-t',
      source_name: 'lab.csv',
      source_sha256: 'a'.repeat(64),
      source_position: 'lab.csv:200',
      code: 'MAP_UNIT',
      message: 'measurement.value: unknown unit "" for glucose',
      field: 'value',
      mapping_version: 'lab@1',
    },
  ]);
});

after(async () => {
  await lake.close();
  await store.close();
  await cleanup();
  rmSync(dir, { recursive: true, force: true });
});

function result(r: Awaited<ReturnType<QualityService['results']>>, ruleId: string) {
  const found = r.results.find((x) => x.ruleId === ruleId);
  assert.ok(found, ruleId);
  return found;
}

test('a load run stores raw counts, the rule-set version and quarantine counts per reason', async () => {
  const summary = await service.run({ loadId: 'L1' });
  assert.equal(summary.ruleSetVersion, ruleSetVersion(BUILTIN_RULES));
  assert.equal(summary.rules, BUILTIN_RULES.length);
  assert.equal(summary.errors, 0);
  assert.equal(summary.quarantined, 3);
  const r = await service.results(summary.runId);
  assert.equal(r.run.loadId, 'L1');
  assert.equal(r.run.status, 'completed');
  assert.equal(r.run.ruleSetVersion, summary.ruleSetVersion);
  const negative = result(r, 'measurement.glucose.nonnegative');
  assert.deepEqual([negative.failing, negative.denominator, negative.pct, negative.passed], [1, 10, 10, false]);
  assert.deepEqual(negative.sample, [
    { source_sha256: 'a'.repeat(64), source_position: 'lab.csv:11', mapping_version: 'lab@1', load_id: 'L1' },
  ]);
  assert.equal(result(r, 'note.note_text.required').status, 'not_applicable');
  assert.equal(result(r, 'note.note_text.required').passed, null);
  assert.deepEqual(r.quarantine, [
    { code: 'MAP_RANGE', table: 'measurement', field: 'value', bound: 'max', mappingVersion: 'lab@1', count: 2 },
    { code: 'MAP_UNIT', table: 'measurement', field: 'value', bound: null, mappingVersion: 'lab@1', count: 1 },
  ]);
  assert.equal((await service.runs()).at(0)?.runId, summary.runId);
});

test('thresholds are re-applied to stored counts without re-running the SQL, and trends follow the runs', async () => {
  const first = await service.run({ loadId: 'L1' });
  // Change the lake under the stored run: a re-run would count differently, a re-evaluation must not.
  await write('measurement', 'm1-more', [
    {
      person_id: 'P1',
      measurement_code: '14749-6',
      value: -1,
      unit: 'mmol/L',
      measured_at: '2024-01-02T08:00:00Z',
      ...lineage('L1', 50),
    },
  ]);
  const changed = await service.setThreshold('measurement.glucose.nonnegative', 15, 'steward-li');
  assert.equal(changed.thresholdPct, 15);
  const after = result(await service.results(first.runId), 'measurement.glucose.nonnegative');
  assert.deepEqual([after.failing, after.denominator, after.thresholdPct, after.passed], [1, 10, 15, true]);
  const second = await service.run({ loadId: 'L1' });
  const again = result(await service.results(second.runId), 'measurement.glucose.nonnegative');
  assert.deepEqual([again.failing, again.denominator, again.passed], [2, 11, false], '18.2% > 15%');
  const trend = await service.trend('measurement.glucose.nonnegative');
  assert.deepEqual(
    trend.slice(-2).map((p) => [p.runId, p.failing, p.denominator, p.thresholdPct, p.passed]),
    [
      [first.runId, 1, 10, 15, true],
      [second.runId, 2, 11, 15, false],
    ],
  );
  await service.setThreshold('measurement.glucose.nonnegative', 0);
  assert.equal(result(await service.results(first.runId), 'measurement.glucose.nonnegative').passed, false);
});

test('bad thresholds, unknown rules and unknown runs are refused with clear errors', async () => {
  await assert.rejects(service.setThreshold('measurement.glucose.nonnegative', 101), (e: unknown) =>
    isMeridianError(e, 'MER_HTTP_VALIDATION'),
  );
  await assert.rejects(service.setThreshold('no.such.rule', 5), (e: unknown) =>
    isMeridianError(e, 'MER_QUALITY_RULE_UNKNOWN'),
  );
  await assert.rejects(service.trend('no.such.rule'), (e: unknown) => isMeridianError(e, 'MER_QUALITY_RULE_UNKNOWN'));
  await assert.rejects(service.results('qr-missing'), (e: unknown) => isMeridianError(e, 'MER_QUALITY_RUN_UNKNOWN'));
  await assert.rejects(service.run({ loadId: '../etc' }), (e: unknown) => isMeridianError(e, 'MER_HTTP_VALIDATION'));
});

test('steward rules are validated, versioned, change the rule-set version and run beside the built-in ones', async () => {
  await assert.rejects(service.saveRule({ ...STEWARD_RULE, table: 'labs' }), (e: unknown) => {
    assert.ok(isMeridianError(e, 'MER_QUALITY_RULE_INVALID'));
    assert.match(e.message, /steward\.potassium\.range.*table.*"labs"/);
    return true;
  });
  await assert.rejects(service.saveRule({ ...STEWARD_RULE, id: 'person.gender.required' }), /built-in rule/);
  const v1 = await service.saveRule(STEWARD_RULE, 'steward-li');
  assert.deepEqual([v1.version, v1.created], [1, true]);
  assert.notEqual(v1.ruleSetVersion, ruleSetVersion(BUILTIN_RULES));
  assert.deepEqual(
    [(await service.saveRule(STEWARD_RULE)).version, (await service.saveRule(STEWARD_RULE)).created],
    [1, false],
  );
  const v2 = await service.saveRule({ ...STEWARD_RULE, check: { kind: 'range', field: 'value', min: 2, max: 9 } });
  assert.equal(v2.version, 2);
  const rules = await service.rules();
  assert.deepEqual(rules.find((r) => r.id === STEWARD_RULE.id)?.check, {
    kind: 'range',
    field: 'value',
    min: 2,
    max: 9,
  });
  const run = await service.run();
  assert.equal(run.ruleSetVersion, v2.ruleSetVersion);
  assert.equal(run.loadId, null);
  const r = await service.results(run.runId);
  assert.equal(result(r, STEWARD_RULE.id).status, 'evaluated');
  assert.equal(result(r, STEWARD_RULE.id).passed, null, 'no potassium rows: nothing checked');
});

test('the JSON report matches its schema and the HTML report is self-contained, escaped and bilingual', async () => {
  const run = await service.run({ loadId: 'L1' });
  const json = await service.report(run.runId, 'json');
  assert.deepEqual(QualityReportSchema.parse(json), json);
  assert.equal(json.scope, 'load');
  assert.equal(json.node, 'hospital-t');
  assert.ok(json.worst.includes('measurement.glucose.nonnegative'));
  assert.ok(json.trends.some((t) => t.ruleId === 'measurement.glucose.nonnegative' && t.points.length >= 3));
  assert.equal(json.quarantine.total, 3);
  assert.deepEqual(
    json.categories.map((c) => c.category),
    ['completeness', 'conformance', 'plausibility'],
  );
  for (const lang of ['zh-CN', 'en'] as const) {
    const html = await service.report(run.runId, 'html', { lang });
    assert.match(html, new RegExp(`^<!DOCTYPE html>\\n<html lang="${lang}">`));
    for (const id of ['summary', 'categories', 'worst', 'trends', 'quarantine', 'rules']) {
      assert.match(html, new RegExp(`<section id="${id}"><h2>`), `${lang}: section ${id}`);
    }
    assert.ok((html.match(/<svg /g) ?? []).length >= 3, 'inline charts');
    assert.doesNotMatch(html, /<script|<link|<img|https?:|src=|@import/i, 'no scripts, no external assets');
    assert.ok(html.includes('measurement.glucose.nonnegative'));
    assert.ok(html.includes(run.ruleSetVersion.slice(0, 12)));
    assert.ok(html.includes('MAP_RANGE'));
  }
  assert.ok((await service.report(run.runId, 'html', { lang: 'zh-CN' })).includes('数据质量报告'));
  assert.ok((await service.report(run.runId, 'html', { lang: 'en' })).includes('Data quality report'));
  const withSteward = await service.report((await service.runs()).find((x) => x.loadId === null)?.runId ?? '', 'html');
  assert.ok(withSteward.includes('血钾 &lt;script&gt;alert(1)&lt;/script&gt;'), 'steward text is escaped');
});

test('the hub task handlers run, list, read, report, save rules and set thresholds', async () => {
  const h = qualityTaskHandlers(service);
  const call = (kind: string, payload: unknown) => {
    const handler = h[kind];
    assert.ok(handler, kind);
    return handler(payload, {} as never) as Promise<Record<string, unknown>>;
  };
  assert.deepEqual(Object.keys(h).sort(), [
    'quality.report',
    'quality.results',
    'quality.rules',
    'quality.run',
    'quality.runs',
    'quality.saveRule',
    'quality.threshold',
  ]);
  const run = (await call('quality.run', { loadId: 'L1' })) as { runId: string };
  assert.ok(((await call('quality.runs', { limit: 2 })).runs as unknown[]).length === 2);
  assert.ok(((await call('quality.results', { runId: run.runId })).results as unknown[]).length > 80);
  assert.equal((await call('quality.report', { runId: run.runId, format: 'html', lang: 'en' })).format, 'html');
  assert.equal(
    ((await call('quality.report', { runId: run.runId })).report as { schema: string }).schema,
    'meridian-quality-report/1',
  );
  const rules = await call('quality.rules', undefined);
  assert.match(String(rules.ruleSetVersion), /^[0-9a-f]{64}$/);
  assert.equal(
    (await call('quality.saveRule', { rule: { ...STEWARD_RULE, threshold: 3 }, by: 'steward-li' })).version,
    3,
  );
  assert.equal((await call('quality.threshold', { ruleId: STEWARD_RULE.id, thresholdPct: 7 })).thresholdPct, 7);
  await assert.rejects(call('quality.results', { runId: run.runId, extra: 1 }), /Unrecognized key/);
});
