/**
 * Data-use requests with multi-party approval. The hub submits a researcher's request (the researcher is the
 * signed body's `user`); its required approvers are the ethics committee (deciding through the hub with a user of
 * role `ethics`) and every data-owning hospital (deciding as itself). One refusal refuses the request; the last
 * approval approves it and grants the project the ε the ethics committee allowed (at most what was asked).
 *
 *   submit ──► pending ──all approve──► approved
 *                 ├──any refuses──► refused
 *                 └──block time > expiresAt (submitted + requestTtlMs, or period end if earlier)──► expired
 *
 * Expiry is derived from the block time, never written: views and transitions compute the effective status.
 */
import {
  event,
  type Handler,
  iso,
  memberOf,
  refuse,
  requireInstitutionRole,
  requireUserRole,
  type TxContext,
} from './context.ts';
import { ETHICS_APPROVER, FEASIBILITY_REQUEST_ID, type PayloadOf, RESEARCHER_ROLE } from './schemas.ts';
import {
  type BudgetRecord,
  budgetKey,
  type DecisionRecord,
  type RequestRecord,
  requestKey,
  type StateReader,
} from './state.ts';

/** A request's status as of block time `at`: the stored one, or `expired` for a pending request past expiry. */
export type EffectiveRequestStatus = RequestRecord['status'] | 'expired';

/** The effective status of a request at block time `at`. */
export function requestStatus(r: RequestRecord, at: number): EffectiveRequestStatus {
  return r.status === 'pending' && at > r.expiresAt ? 'expired' : r.status;
}

/** The approvers that have not decided yet, in their required order. */
export function awaitingApprovers(r: RequestRecord): string[] {
  return r.requiredApprovers.filter((a) => !Object.hasOwn(r.decisions, a));
}

/** The request `id` or a MER_CONTRACT_NOT_FOUND refusal naming `field`. */
export function requestOrRefuse(state: StateReader, id: string, field: string): RequestRecord {
  const r = state.get(requestKey(id)) as RequestRecord | undefined;
  if (r === undefined) refuse('MER_CONTRACT_NOT_FOUND', `${field}: no request ${JSON.stringify(id)}`);
  return r;
}

/** `request.submit`: by the hub, for a user of role `researcher`. */
export const requestSubmit: Handler<PayloadOf<'request.submit'>> = {
  authorize: (ctx) => {
    requireInstitutionRole(ctx, 'hub', 'request.submit');
    requireUserRole(ctx, RESEARCHER_ROLE, 'request.submit');
  },
  apply: (ctx, p) => {
    const key = requestKey(p.requestId);
    if (p.requestId === FEASIBILITY_REQUEST_ID) {
      refuse('MER_CONTRACT_INVALID_PAYLOAD', `payload.requestId: ${p.requestId} is reserved for feasibility counts`);
    }
    if (ctx.state.get(key) !== undefined) refuse('MER_CONTRACT_EXISTS', `payload.requestId: ${p.requestId} exists`);
    p.hospitals.forEach((h, i) => {
      const m = memberOf(ctx, h);
      if (m === undefined || m.role !== 'hospital') {
        refuse('MER_CONTRACT_NOT_FOUND', `payload.hospitals.${i}: ${h} is not a hospital of the consortium`);
      }
      if (m.status !== 'active') refuse('MER_CONTRACT_MEMBER_SUSPENDED', `payload.hospitals.${i}: ${h} is suspended`);
    });
    const periodEndMs = Date.parse(p.periodEnd);
    if (periodEndMs <= ctx.stamp.at) {
      refuse('MER_CONTRACT_INVALID_PAYLOAD', `payload.periodEnd ${p.periodEnd} is not after the block time`);
    }
    const user = ctx.body.user as { id: string; role: string };
    const record: RequestRecord = {
      requestId: p.requestId,
      projectId: p.projectId,
      purpose: p.purpose,
      cohortHash: p.cohortHash,
      analysisKinds: p.analysisKinds,
      hospitals: p.hospitals,
      periodStart: p.periodStart,
      periodEnd: p.periodEnd,
      epsilonMicros: p.epsilonMicros,
      requester: { id: user.id, role: user.role },
      submittedBy: ctx.body.institution,
      submitted: ctx.stamp,
      expiresAt: Math.min(ctx.stamp.at + ctx.params.requestTtlMs, periodEndMs),
      requiredApprovers: [ETHICS_APPROVER, ...[...p.hospitals].sort()],
      decisions: {},
      status: 'pending',
    };
    ctx.state.put(key, record);
    return [event('request.submitted', { requestId: p.requestId, projectId: p.projectId })];
  },
};

function approverOf(ctx: { body: { institution: string }; member: { role: string } }): string {
  return ctx.member.role === 'hub' ? ETHICS_APPROVER : ctx.body.institution;
}

function grantBudget(ctx: TxContext, r: RequestRecord, micros: number): void {
  const key = budgetKey(r.projectId);
  const b = (ctx.state.get(key) as BudgetRecord | undefined) ?? {
    projectId: r.projectId,
    totalMicros: 0,
    spentMicros: 0,
    grants: [],
  };
  if (b.totalMicros + micros > Number.MAX_SAFE_INTEGER) {
    refuse(
      'MER_CONTRACT_WRONG_STATE',
      `project ${r.projectId}'s budget would exceed ${Number.MAX_SAFE_INTEGER} micro-ε`,
    );
  }
  const next: BudgetRecord = {
    ...b,
    totalMicros: b.totalMicros + micros,
    grants: [...b.grants, { requestId: r.requestId, micros, granted: ctx.stamp }],
  };
  ctx.state.put(key, next);
}

/** `request.decide`: the ethics committee (hub, user role `ethics`) or a data-owning hospital as itself. */
export const requestDecide: Handler<PayloadOf<'request.decide'>> = {
  authorize: (ctx, p) => {
    if (ctx.member.role === 'hub') requireUserRole(ctx, ETHICS_APPROVER, 'request.decide by the hub');
    if (ctx.member.role !== 'hub' && p.epsilonMicros !== undefined) {
      refuse(
        'MER_CONTRACT_FORBIDDEN',
        `payload.epsilonMicros: only the ethics committee grants ε, not ${ctx.body.institution}`,
      );
    }
  },
  apply: (ctx, p) => {
    const r = requestOrRefuse(ctx.state, p.requestId, 'payload.requestId');
    const status = requestStatus(r, ctx.stamp.at);
    if (status === 'expired') refuse('MER_CONTRACT_EXPIRED', `request ${r.requestId} expired at ${iso(r.expiresAt)}`);
    if (status !== 'pending') refuse('MER_CONTRACT_WRONG_STATE', `request ${r.requestId} is already ${status}`);
    const approver = approverOf(ctx);
    if (!r.requiredApprovers.includes(approver)) {
      refuse(
        'MER_CONTRACT_FORBIDDEN',
        `${approver} is not a required approver of request ${r.requestId} (${r.requiredApprovers.join(', ')})`,
      );
    }
    if (Object.hasOwn(r.decisions, approver)) {
      refuse('MER_CONTRACT_EXISTS', `${approver} already decided on request ${r.requestId}`);
    }
    if (p.epsilonMicros !== undefined && p.epsilonMicros > r.epsilonMicros) {
      refuse(
        'MER_CONTRACT_INVALID_PAYLOAD',
        `payload.epsilonMicros ${p.epsilonMicros} exceeds the ${r.epsilonMicros} micro-ε request ${r.requestId} asked for`,
      );
    }
    const user = ctx.body.user;
    const decision: DecisionRecord = {
      decision: p.decision,
      commentHash: p.commentHash,
      institution: ctx.body.institution,
      ...(user === undefined ? {} : { user: { id: user.id, role: user.role } }),
      ...(p.epsilonMicros === undefined ? {} : { epsilonMicros: p.epsilonMicros }),
      decided: ctx.stamp,
    };
    const decisions = { ...r.decisions, [approver]: decision };
    const events = [event('request.decided', { requestId: r.requestId, approver, decision: p.decision })];
    let next: RequestRecord = { ...r, decisions };
    if (p.decision === 'refuse') {
      next = { ...next, status: 'refused', closed: ctx.stamp };
      events.push(event('request.refused', { requestId: r.requestId, by: approver }));
    } else if (r.requiredApprovers.every((a) => decisions[a]?.decision === 'approve')) {
      const granted = decisions[ETHICS_APPROVER]?.epsilonMicros ?? r.epsilonMicros;
      next = { ...next, status: 'approved', grantedEpsilonMicros: granted, closed: ctx.stamp };
      grantBudget(ctx, r, granted);
      events.push(
        event('request.approved', { requestId: r.requestId, projectId: r.projectId, epsilonMicros: granted }),
      );
    }
    ctx.state.put(requestKey(r.requestId), next);
    return events;
  },
};
