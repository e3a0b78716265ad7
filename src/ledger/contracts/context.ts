/**
 * What a contract handler sees: the state through the transaction's write layer, the signed body, the submitting
 * member, the block's height and time (never a clock), and the parameters. Handlers refuse by throwing a
 * {@link ContractRefusal}, which the application turns into a refused outcome with nothing written.
 */
import type { ErrorCode } from '../../errors/registry.ts';
import type { TxEvent } from '../abci.ts';
import type { TxBody } from '../transaction.ts';
import type { Validator } from '../validator-set.ts';
import type { ContractParams } from './genesis.ts';
import type { PayloadOf, TxKind } from './schemas.ts';
import { type MemberRecord, memberKey, type Stamp, type WriteLayer } from './state.ts';

/** A refusal raised inside a handler: a stable registry code and a message naming the field and value. */
export class ContractRefusal extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'ContractRefusal';
    this.code = code;
  }
}

/** Throws a {@link ContractRefusal}. */
export function refuse(code: ErrorCode, message: string): never {
  throw new ContractRefusal(code, message);
}

/** What the static authority check sees: the signed body and the submitting (active) member. */
export interface AuthContext {
  readonly body: TxBody;
  readonly member: MemberRecord;
}

/** What a handler applying a transaction sees. */
export interface TxContext extends AuthContext {
  readonly state: WriteLayer;
  /** {@link txContentHash} of the body: unique per applied transaction (replays are refused). */
  readonly contentHash: string;
  /** Block height, the transaction's index in the block and the block time (ms). */
  readonly stamp: Stamp;
  readonly params: ContractParams;
  /** Records the validator set this transaction ordered (the last one in a block wins). */
  setValidatorUpdate(validators: readonly Validator[]): void;
}

/** One contract action: a static authority check (checkTx runs it too) and the state transition. */
export interface Handler<P> {
  /** Refuses when the institution's or user's role may never perform this action; reads no state. */
  authorize(ctx: AuthContext, payload: P): void;
  /** Applies the action to `ctx.state` or refuses; returns the events it emits. */
  apply(ctx: TxContext, payload: P): TxEvent[];
}

/** Every kind's handler; the mapped type makes the compiler find a missing kind. */
export type HandlerTable = { readonly [K in TxKind]: Handler<PayloadOf<K>> };

/** An event with string attributes. */
export function event(type: string, attributes: Record<string, string | number | boolean>): TxEvent {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(attributes)) out[k] = String(v);
  return { type, attributes: out };
}

/** The member record of `name` as the transaction sees it, or undefined. */
export function memberOf(ctx: { readonly state: WriteLayer }, name: string): MemberRecord | undefined {
  return ctx.state.get(memberKey(name)) as MemberRecord | undefined;
}

/** Refuses unless the submitting institution has `role`. */
export function requireInstitutionRole(ctx: AuthContext, role: MemberRecord['role'], action: string): void {
  if (ctx.member.role !== role) {
    refuse(
      'MER_CONTRACT_FORBIDDEN',
      `${action} is submitted by the ${role}; institution ${ctx.body.institution} is a ${ctx.member.role}`,
    );
  }
}

/** Refuses unless the body carries a user with `role`. */
export function requireUserRole(ctx: AuthContext, role: string, action: string): void {
  const actual = ctx.body.user?.role;
  if (actual !== role) {
    refuse(
      'MER_CONTRACT_FORBIDDEN',
      `${action} needs user.role ${role} in the signed body; it is ${actual === undefined ? 'absent' : JSON.stringify(actual)}`,
    );
  }
}

/** A time in ms as ISO 8601 (for messages). */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
