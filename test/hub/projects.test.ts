/**
 * Research projects through the hub, in-process and without a ledger: a researcher creates a project, adds a
 * colleague, saves cohorts (an invalid one is refused naming the path), uploads a document kept with its SHA-256;
 * other researchers neither see nor change it, oversight roles read it, a clinician is refused; the timeline lists
 * what happened; everything that needs the ledger (feasibility counts, requests, decisions, analyses) answers 503
 * MER_LEDGER_UNAVAILABLE instead of pretending. The ledger path runs across real processes in
 * test/integration/federation.test.ts.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { HubApps } from '../../src/hub/app.ts';
import { contractHash } from '../../src/ledger/contracts/index.ts';
import { signInUsers, startTestHub } from './test-hub.ts';

let hub: HubApps;
let dispose: () => Promise<void>;
let tokens: Record<string, string>;

const COHORT = { index: { event: { kind: 'diagnosis', codes: ['E11'], descendants: true } }, criteria: [] };

async function call(user: string, method: 'GET' | 'POST', url: string, payload?: unknown) {
  const res = await hub.userApp.inject({
    method,
    url,
    headers: { authorization: `Bearer ${tokens[user]}` },
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  });
  return {
    status: res.statusCode,
    body: res.json() as Record<string, unknown> & { error?: { code: string; message: string } },
  };
}

before(async () => {
  const t = await startTestHub();
  hub = t.hub;
  dispose = t.dispose;
  tokens = await signInUsers(hub, [
    ['wang', 'researcher', null],
    ['zhao', 'researcher', null],
    ['outsider', 'researcher', null],
    ['ethics', 'ethics', null],
    ['auditor', 'auditor', null],
    ['doctor', 'clinician', 'hospital-a'],
    ['steward', 'steward', 'hospital-a'],
  ]);
});

after(async () => dispose());

test('a researcher creates a project, adds a colleague, saves cohorts and uploads a document; the timeline lists it', async () => {
  const created = await call('wang', 'POST', '/api/projects', {
    title: '糖尿病并发症',
    description: 'HbA1c and complications',
  });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  const project = created.body.project as { projectId: string; myRole: string };
  assert.equal(project.myRole, 'owner');
  const id = project.projectId;

  assert.equal((await call('wang', 'POST', `/api/projects/${id}/members`, { username: 'zhao' })).status, 200);
  const notResearcher = await call('wang', 'POST', `/api/projects/${id}/members`, { username: 'doctor' });
  assert.equal(notResearcher.status, 400);
  assert.match(notResearcher.body.error?.message ?? '', /doctor is not a researcher/);

  const saved = await call('zhao', 'POST', `/api/projects/${id}/cohorts`, { name: 'T2DM', definition: COHORT });
  assert.equal(saved.status, 200, JSON.stringify(saved.body));
  assert.equal((saved.body.cohort as { hash: string }).hash, contractHash('cohort', COHORT));
  const invalid = await call('zhao', 'POST', `/api/projects/${id}/cohorts`, {
    name: 'bad',
    definition: { criteria: [{ kind: 'age', range: { min: 'old' } }] },
  });
  assert.equal(invalid.body.error?.code, 'MER_COHORT_INVALID', JSON.stringify(invalid.body));
  assert.match(invalid.body.error?.message ?? '', /criteria\[0\]\.range\.min: "old" is not a number/);

  const bytes = Buffer.from('研究方案 v1.0 — protocol', 'utf8');
  const doc = await call('wang', 'POST', `/api/projects/${id}/documents`, {
    kind: 'protocol',
    name: '研究方案.pdf',
    mediaType: 'application/pdf',
    contentBase64: bytes.toString('base64'),
  });
  assert.equal(doc.status, 200, JSON.stringify(doc.body));
  const document = doc.body.document as { documentId: string; sha256: string; notarized: unknown };
  assert.equal(document.sha256, createHash('sha256').update(bytes).digest('hex'));
  assert.equal(document.notarized, null, 'no ledger, no notarization claimed');
  const download = await hub.userApp.inject({
    method: 'GET',
    url: `/api/projects/${id}/documents/${document.documentId}`,
    headers: { authorization: `Bearer ${tokens.auditor}` },
  });
  assert.equal(download.statusCode, 200);
  assert.deepEqual(download.rawPayload, bytes);
  const notBase64 = await call('wang', 'POST', `/api/projects/${id}/documents`, {
    kind: 'other',
    name: 'x',
    contentBase64: 'not base64!',
  });
  assert.equal(notBase64.body.error?.code, 'MER_PROJECT_DOCUMENT_INVALID');

  const full = await call('wang', 'GET', `/api/projects/${id}`);
  assert.equal(full.status, 200);
  const timeline = (full.body.timeline as { type: string; subject: string }[]).map((e) => `${e.type}:${e.subject}`);
  for (const entry of ['project:糖尿病并发症', 'member:zhao', 'cohort:T2DM', 'document:研究方案.pdf']) {
    assert.ok(timeline.includes(entry), `${entry} in ${timeline.join(', ')}`);
  }
  assert.deepEqual(
    (full.body.members as { username: string; role: string }[]).map((m) => `${m.username}:${m.role}`),
    ['wang:owner', 'zhao:member'],
  );
});

test('who reads and who changes a project: members change it, oversight reads it, others see nothing', async () => {
  const id = (
    (await call('wang', 'POST', '/api/projects', { title: 'Private study' })).body.project as { projectId: string }
  ).projectId;
  const outsiderList = (await call('outsider', 'GET', '/api/projects')).body.projects as { projectId: string }[];
  assert.ok(!outsiderList.some((p) => p.projectId === id), 'a researcher lists only their projects');
  assert.equal((await call('outsider', 'GET', `/api/projects/${id}`)).body.error?.code, 'MER_PROJECT_NOT_FOUND');
  const change = await call('outsider', 'POST', `/api/projects/${id}/cohorts`, { name: 'x', definition: COHORT });
  assert.equal(change.status, 403);
  assert.equal(change.body.error?.code, 'MER_PROJECT_NOT_MEMBER');
  for (const reader of ['ethics', 'auditor']) {
    const res = await call(reader, 'GET', `/api/projects/${id}`);
    assert.equal(res.status, 200, `${reader} reads every project`);
    assert.equal((res.body.project as { myRole: unknown }).myRole, null);
    assert.equal(
      (await call(reader, 'POST', '/api/projects', { title: 'nope' })).status,
      403,
      `${reader} creates none`,
    );
  }
  assert.equal((await call('doctor', 'GET', '/api/projects')).status, 403);
  assert.equal((await call('steward', 'GET', `/api/projects/${id}`)).status, 403);
  assert.equal((await call('wang', 'GET', '/api/projects/no-such-project')).body.error?.code, 'MER_PROJECT_NOT_FOUND');
  const audit = await hub.audit.recent(200);
  assert.ok(
    audit.some((a) => a.action === 'project.read' && a.target === id && a.actor === 'ethics'),
    'reads are audited',
  );
});

test('without a ledger, feasibility counts, requests, decisions and analyses answer 503 and nothing is recorded', async () => {
  const id = (
    (await call('wang', 'POST', '/api/projects', { title: 'Ledgerless' })).body.project as { projectId: string }
  ).projectId;
  const cohortId = (
    (await call('wang', 'POST', `/api/projects/${id}/cohorts`, { name: 'c', definition: COHORT })).body.cohort as {
      cohortId: string;
    }
  ).cohortId;
  const feasibility = await call('wang', 'POST', '/api/cohorts/count', { projectId: id, cohort: COHORT });
  assert.equal(feasibility.status, 503);
  assert.equal(feasibility.body.error?.code, 'MER_LEDGER_UNAVAILABLE');
  const submit = await call('wang', 'POST', `/api/projects/${id}/requests`, {
    cohortId,
    purpose: 'research',
    statement: 'A statement long enough',
    analysisKinds: ['count'],
    hospitals: ['hospital-a'],
    periodStart: new Date().toISOString(),
    periodEnd: new Date(Date.now() + 86_400_000).toISOString(),
  });
  assert.equal(submit.body.error?.code, 'MER_LEDGER_UNAVAILABLE', JSON.stringify(submit.body));
  assert.deepEqual((await call('wang', 'GET', '/api/requests')).body.requests, []);
  const decide = await call('ethics', 'POST', '/api/requests/req-x/decision', { decision: 'approve', comment: 'ok' });
  assert.equal(decide.body.error?.code, 'MER_LEDGER_UNAVAILABLE');
  const analysis = await call('wang', 'POST', `/api/projects/${id}/analyses`, {
    kind: 'glm',
    requestId: 'req-x',
    cohortId,
    hospitals: ['hospital-a', 'hospital-b'],
  });
  assert.equal(analysis.body.error?.code, 'MER_LEDGER_UNAVAILABLE');
  assert.equal(((await call('wang', 'GET', `/api/projects/${id}`)).body.analyses as unknown[]).length, 0);
});
