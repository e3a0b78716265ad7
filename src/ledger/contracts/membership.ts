/**
 * Membership and validator-set governance. `membership.add`, `membership.suspend` and `validators.update` open a
 * proposal (its id is the proposing transaction's content hash) that counts the proposer's approval; other
 * members add theirs with `proposal.approve`. A proposal executes in the transaction that brings its approvals
 * from active members to ⌊2n/3⌋ + 1 of the n active members, after its action is checked again against the state
 * of that moment; it expires `proposalTtlMs` after it was made.
 *
 *   propose ──► open ──approve…(quorum)──► executed
 *                 └──(block time > expiresAt)──► expired (derived, never written)
 */

import type { TxEvent } from '../abci.ts';
import { quorumSize, type Validator } from '../validator-set.ts';
import { event, type Handler, iso, memberOf, refuse, type TxContext } from './context.ts';
import type { PayloadOf } from './schemas.ts';
import {
  MEMBERS_KEY,
  type MemberRecord,
  memberKey,
  type ProposalAction,
  type ProposalRecord,
  proposalKey,
  VALIDATORS_KEY,
  type WriteLayer,
} from './state.ts';

/** The sorted member names as the transaction sees them. */
export function memberNames(state: WriteLayer): readonly string[] {
  return (state.get(MEMBERS_KEY) as readonly string[] | undefined) ?? [];
}

function activeMembers(ctx: TxContext): MemberRecord[] {
  const out: MemberRecord[] = [];
  for (const name of memberNames(ctx.state)) {
    const m = memberOf(ctx, name);
    if (m?.status === 'active') out.push(m);
  }
  return out;
}

/** The effective status of a proposal at block time `at`. */
export function proposalStatus(p: ProposalRecord, at: number): 'open' | 'executed' | 'expired' {
  if (p.status === 'open' && at > p.expiresAt) return 'expired';
  return p.status;
}

function checkAction(ctx: TxContext, action: ProposalAction): void {
  switch (action.kind) {
    case 'membership.add': {
      if (memberOf(ctx, action.name) !== undefined) {
        refuse('MER_CONTRACT_EXISTS', `payload.name: institution ${action.name} is already a member`);
      }
      for (const name of memberNames(ctx.state)) {
        if (memberOf(ctx, name)?.publicKey === action.publicKey) {
          refuse('MER_CONTRACT_EXISTS', `payload.publicKey: the key is already ${name}'s`);
        }
      }
      return;
    }
    case 'membership.suspend': {
      const m = memberOf(ctx, action.name);
      if (m === undefined) refuse('MER_CONTRACT_NOT_FOUND', `payload.name: ${action.name} is not a member`);
      if (m.status !== 'active')
        refuse('MER_CONTRACT_WRONG_STATE', `payload.name: ${action.name} is already suspended`);
      if (activeMembers(ctx).length <= 1) {
        refuse('MER_CONTRACT_WRONG_STATE', `payload.name: ${action.name} is the last active member`);
      }
      return;
    }
    case 'validators.update': {
      action.validators.forEach((v, i) => {
        const m = memberOf(ctx, v.name);
        if (m === undefined)
          refuse('MER_CONTRACT_NOT_FOUND', `payload.validators.${i}.name: ${v.name} is not a member`);
        if (m.status !== 'active') {
          refuse('MER_CONTRACT_MEMBER_SUSPENDED', `payload.validators.${i}.name: ${v.name} is suspended`);
        }
      });
      return;
    }
  }
}

function execute(ctx: TxContext, p: ProposalRecord): TxEvent {
  const action = p.action;
  switch (action.kind) {
    case 'membership.add': {
      const record: MemberRecord = {
        name: action.name,
        role: action.role,
        publicKey: action.publicKey,
        status: 'active',
        since: ctx.stamp,
      };
      ctx.state.put(memberKey(action.name), record);
      ctx.state.put(MEMBERS_KEY, [...memberNames(ctx.state), action.name].sort());
      return event('member.added', { name: action.name, role: action.role, proposalId: p.id });
    }
    case 'membership.suspend': {
      const m = memberOf(ctx, action.name) as MemberRecord;
      const record: MemberRecord = {
        ...m,
        status: 'suspended',
        suspended: { ...ctx.stamp, reasonCode: action.reasonCode, proposalId: p.id },
      };
      ctx.state.put(memberKey(action.name), record);
      return event('member.suspended', { name: action.name, reasonCode: action.reasonCode, proposalId: p.id });
    }
    case 'validators.update': {
      const validators: Validator[] = action.validators.map((v) => ({ name: v.name, publicKey: v.publicKey }));
      ctx.state.put(VALIDATORS_KEY, validators);
      ctx.setValidatorUpdate(validators);
      return event('validators.updated', { count: validators.length, proposalId: p.id });
    }
  }
}

/** Counts approvals of active members and executes the proposal once they reach the quorum. */
function settle(ctx: TxContext, p: ProposalRecord, events: TxEvent[]): ProposalRecord {
  const active = activeMembers(ctx);
  const activeNames = new Set(active.map((m) => m.name));
  const approvals = p.approvals.filter((n) => activeNames.has(n)).length;
  const needed = quorumSize(active.length);
  if (approvals < needed) return p;
  checkAction(ctx, p.action);
  events.push(execute(ctx, p));
  return { ...p, status: 'executed', executed: ctx.stamp };
}

function propose(ctx: TxContext, action: ProposalAction): TxEvent[] {
  const id = ctx.contentHash;
  if (ctx.state.get(proposalKey(id)) !== undefined) refuse('MER_CONTRACT_EXISTS', `proposal ${id} exists`);
  checkAction(ctx, action);
  const proposal: ProposalRecord = {
    id,
    action,
    proposer: ctx.body.institution,
    proposed: ctx.stamp,
    expiresAt: ctx.stamp.at + ctx.params.proposalTtlMs,
    approvals: [ctx.body.institution],
    status: 'open',
  };
  const events = [event('proposal.opened', { proposalId: id, kind: action.kind, proposer: ctx.body.institution })];
  ctx.state.put(proposalKey(id), settle(ctx, proposal, events));
  return events;
}

const anyMember = (): void => {};

/** `membership.add`. */
export const membershipAdd: Handler<PayloadOf<'membership.add'>> = {
  authorize: anyMember,
  apply: (ctx, p) => propose(ctx, { kind: 'membership.add', name: p.name, role: p.role, publicKey: p.publicKey }),
};

/** `membership.suspend`. */
export const membershipSuspend: Handler<PayloadOf<'membership.suspend'>> = {
  authorize: anyMember,
  apply: (ctx, p) => propose(ctx, { kind: 'membership.suspend', name: p.name, reasonCode: p.reasonCode }),
};

/** `validators.update`. */
export const validatorsUpdate: Handler<PayloadOf<'validators.update'>> = {
  authorize: anyMember,
  apply: (ctx, p) => propose(ctx, { kind: 'validators.update', validators: p.validators }),
};

/** `proposal.approve`. */
export const proposalApprove: Handler<PayloadOf<'proposal.approve'>> = {
  authorize: anyMember,
  apply: (ctx, p) => {
    const found = ctx.state.get(proposalKey(p.proposalId)) as ProposalRecord | undefined;
    if (found === undefined) refuse('MER_CONTRACT_NOT_FOUND', `payload.proposalId: no proposal ${p.proposalId}`);
    const status = proposalStatus(found, ctx.stamp.at);
    if (status === 'expired') {
      refuse('MER_CONTRACT_EXPIRED', `payload.proposalId: proposal ${p.proposalId} expired at ${iso(found.expiresAt)}`);
    }
    if (status !== 'open')
      refuse('MER_CONTRACT_WRONG_STATE', `payload.proposalId: proposal ${p.proposalId} is ${status}`);
    const me = ctx.body.institution;
    if (found.approvals.includes(me)) {
      refuse('MER_CONTRACT_EXISTS', `payload.proposalId: ${me} already approved proposal ${p.proposalId}`);
    }
    const events = [event('proposal.approved', { proposalId: p.proposalId, by: me })];
    const approved: ProposalRecord = { ...found, approvals: [...found.approvals, me].sort() };
    ctx.state.put(proposalKey(p.proposalId), settle(ctx, approved, events));
    return events;
  },
};
