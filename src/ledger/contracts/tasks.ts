/**
 * Task authorization, execution receipts and result release. The hub authorizes a task (recording its content
 * hash) only under an approved request and within its scope: the analysis kind and every hospital must be in the
 * request, the block time within its period, and no listed patient token may have withdrawn consent for the
 * request's purpose. Each hospital of the task files one receipt with its result hash; the hub releases the
 * result once every hospital's receipt succeeded, and only once.
 *
 *   authorize ──► authorized ──receipts (one per hospital)──► all succeeded ──release──► released
 *
 * A feasibility count (`task.feasibility`) needs no request: the hub authorizes a `count` for a researcher over
 * active hospitals, and the record names {@link FEASIBILITY_REQUEST_ID}; receipts and release work as above.
 */
import { withdrawnPurpose } from './consent.ts';
import { event, type Handler, iso, memberOf, refuse, requireInstitutionRole, requireUserRole } from './context.ts';
import { requestOrRefuse, requestStatus } from './requests.ts';
import { FEASIBILITY_ANALYSIS_KIND, FEASIBILITY_REQUEST_ID, type PayloadOf, RESEARCHER_ROLE } from './schemas.ts';
import { type StateReader, type TaskRecord, taskKey } from './state.ts';

/** The task `id` or a MER_CONTRACT_NOT_FOUND refusal. */
export function taskOrRefuse(state: StateReader, id: string): TaskRecord {
  const t = state.get(taskKey(id)) as TaskRecord | undefined;
  if (t === undefined) refuse('MER_CONTRACT_NOT_FOUND', `payload.taskId: no task ${JSON.stringify(id)}`);
  return t;
}

/** The hospitals of a task that have not filed a receipt yet. */
export function awaitingReceipts(t: TaskRecord): string[] {
  return t.hospitals.filter((h) => !Object.hasOwn(t.receipts, h));
}

/** `task.authorize`: by the hub, under an approved request, within its scope. */
export const taskAuthorize: Handler<PayloadOf<'task.authorize'>> = {
  authorize: (ctx) => requireInstitutionRole(ctx, 'hub', 'task.authorize'),
  apply: (ctx, p) => {
    const key = taskKey(p.taskId);
    if (ctx.state.get(key) !== undefined) refuse('MER_CONTRACT_EXISTS', `payload.taskId: ${p.taskId} exists`);
    const r = requestOrRefuse(ctx.state, p.requestId, 'payload.requestId');
    const at = ctx.stamp.at;
    const status = requestStatus(r, at);
    if (status === 'expired') refuse('MER_CONTRACT_EXPIRED', `request ${r.requestId} expired at ${iso(r.expiresAt)}`);
    if (status !== 'approved') refuse('MER_CONTRACT_WRONG_STATE', `request ${r.requestId} is ${status}, not approved`);
    if (at < Date.parse(r.periodStart) || at > Date.parse(r.periodEnd)) {
      refuse(
        'MER_CONTRACT_OUT_OF_SCOPE',
        `block time ${iso(at)} is outside request ${r.requestId}'s period ${r.periodStart} – ${r.periodEnd}`,
      );
    }
    if (!r.analysisKinds.includes(p.analysisKind)) {
      refuse(
        'MER_CONTRACT_OUT_OF_SCOPE',
        `payload.analysisKind ${p.analysisKind} is not among request ${r.requestId}'s (${r.analysisKinds.join(', ')})`,
      );
    }
    p.hospitals.forEach((h, i) => {
      if (!r.hospitals.includes(h)) {
        refuse(
          'MER_CONTRACT_OUT_OF_SCOPE',
          `payload.hospitals.${i} ${h} is not among request ${r.requestId}'s (${r.hospitals.join(', ')})`,
        );
      }
    });
    const tokens = p.patientTokens ?? [];
    tokens.forEach((token, i) => {
      const purpose = withdrawnPurpose(ctx.state, token, r.purpose);
      if (purpose !== undefined) {
        refuse(
          'MER_CONTRACT_CONSENT_WITHDRAWN',
          `payload.patientTokens.${i} ${token} withdrew consent for ${purpose === r.purpose ? `purpose ${purpose}` : 'all purposes'}`,
        );
      }
    });
    const record: TaskRecord = {
      taskId: p.taskId,
      requestId: r.requestId,
      projectId: r.projectId,
      taskHash: p.taskHash,
      analysisKind: p.analysisKind,
      hospitals: p.hospitals,
      patientTokenCount: tokens.length,
      authorizedBy: ctx.body.institution,
      authorized: ctx.stamp,
      receipts: {},
      epsilonChargedMicros: 0,
    };
    ctx.state.put(key, record);
    return [event('task.authorized', { taskId: p.taskId, requestId: r.requestId, taskHash: p.taskHash })];
  },
};

/** `task.feasibility`: by the hub, for a researcher, a count over active hospitals without a data-use request. */
export const taskFeasibility: Handler<PayloadOf<'task.feasibility'>> = {
  authorize: (ctx) => {
    requireInstitutionRole(ctx, 'hub', 'task.feasibility');
    requireUserRole(ctx, RESEARCHER_ROLE, 'task.feasibility');
  },
  apply: (ctx, p) => {
    const key = taskKey(p.taskId);
    if (ctx.state.get(key) !== undefined) refuse('MER_CONTRACT_EXISTS', `payload.taskId: ${p.taskId} exists`);
    p.hospitals.forEach((h, i) => {
      const m = memberOf(ctx, h);
      if (m === undefined || m.role !== 'hospital') {
        refuse('MER_CONTRACT_NOT_FOUND', `payload.hospitals.${i}: ${h} is not a hospital of the consortium`);
      }
      if (m.status !== 'active') refuse('MER_CONTRACT_MEMBER_SUSPENDED', `payload.hospitals.${i}: ${h} is suspended`);
    });
    const record: TaskRecord = {
      taskId: p.taskId,
      requestId: FEASIBILITY_REQUEST_ID,
      projectId: p.projectId,
      taskHash: p.taskHash,
      analysisKind: FEASIBILITY_ANALYSIS_KIND,
      hospitals: p.hospitals,
      patientTokenCount: 0,
      authorizedBy: ctx.body.institution,
      authorized: ctx.stamp,
      receipts: {},
      epsilonChargedMicros: 0,
    };
    ctx.state.put(key, record);
    return [event('task.authorized', { taskId: p.taskId, requestId: FEASIBILITY_REQUEST_ID, taskHash: p.taskHash })];
  },
};

/** `task.receipt`: by each hospital of the task, once. */
export const taskReceipt: Handler<PayloadOf<'task.receipt'>> = {
  authorize: (ctx) => requireInstitutionRole(ctx, 'hospital', 'task.receipt'),
  apply: (ctx, p) => {
    const t = taskOrRefuse(ctx.state, p.taskId);
    const me = ctx.body.institution;
    if (!t.hospitals.includes(me)) {
      refuse('MER_CONTRACT_FORBIDDEN', `${me} is not a hospital of task ${t.taskId} (${t.hospitals.join(', ')})`);
    }
    if (Object.hasOwn(t.receipts, me)) refuse('MER_CONTRACT_EXISTS', `${me} already filed a receipt for ${t.taskId}`);
    if (t.release !== undefined) refuse('MER_CONTRACT_WRONG_STATE', `task ${t.taskId} was already released`);
    const next: TaskRecord = {
      ...t,
      receipts: { ...t.receipts, [me]: { resultHash: p.resultHash, status: p.status, recorded: ctx.stamp } },
    };
    ctx.state.put(taskKey(t.taskId), next);
    return [event('task.receipt', { taskId: t.taskId, hospital: me, status: p.status, resultHash: p.resultHash })];
  },
};

/** `result.release`: by the hub, once every hospital's receipt succeeded. */
export const resultRelease: Handler<PayloadOf<'result.release'>> = {
  authorize: (ctx) => requireInstitutionRole(ctx, 'hub', 'result.release'),
  apply: (ctx, p) => {
    const t = taskOrRefuse(ctx.state, p.taskId);
    if (t.release !== undefined) {
      refuse('MER_CONTRACT_EXISTS', `task ${t.taskId} was released at height ${t.release.released.height}`);
    }
    const missing = awaitingReceipts(t);
    if (missing.length > 0) {
      refuse('MER_CONTRACT_WRONG_STATE', `task ${t.taskId} still awaits receipts from ${missing.join(', ')}`);
    }
    const failed = t.hospitals.filter((h) => t.receipts[h]?.status !== 'succeeded');
    if (failed.length > 0) {
      refuse(
        'MER_CONTRACT_WRONG_STATE',
        `task ${t.taskId} failed at ${failed.join(', ')}; its result cannot be released`,
      );
    }
    const release = {
      resultHash: p.resultHash,
      ...(p.location === undefined ? {} : { location: p.location }),
      released: ctx.stamp,
    };
    ctx.state.put(taskKey(t.taskId), { ...t, release } satisfies TaskRecord);
    return [event('result.released', { taskId: t.taskId, resultHash: p.resultHash })];
  },
};
