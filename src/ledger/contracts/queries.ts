/**
 * Read views over the committed state for the portal, nodes and auditors. A path names a view (`requests/<id>`),
 * parameters narrow it (from `params` or a `?a=b` suffix of the path); lists are paged (`limit` ≤ 1,000, `offset`)
 * and newest first unless `order=asc`. Effective statuses (expired requests and proposals) are computed from the
 * committed block time. Unknown views or parameters are MER_CONTRACT_UNKNOWN_QUERY, unknown ids
 * MER_CONTRACT_NOT_FOUND.
 */
import { MeridianError } from '../../errors/registry.ts';
import type { JsonValue } from '../canonical-json.ts';
import type { Indexes } from './indexes.ts';
import { proposalStatus } from './membership.ts';
import { awaitingApprovers, requestStatus } from './requests.ts';
import {
  type BudgetRecord,
  budgetKey,
  consentKey,
  MEMBERS_KEY,
  memberKey,
  notaryKey,
  type ProposalRecord,
  proposalKey,
  type RequestRecord,
  requestKey,
  type StateReader,
  type TaskRecord,
  taskKey,
  VALIDATORS_KEY,
} from './state.ts';
import { awaitingReceipts } from './tasks.ts';

/** The largest page a list view returns. */
export const QUERY_PAGE_SIZE_MAX = 1_000;

/** The page size when `limit` is not given. */
export const QUERY_PAGE_SIZE_DEFAULT = 100;

/** What the views read: committed records, indexes, height, root and block time. */
export interface QuerySource {
  readonly state: StateReader;
  readonly indexes: Indexes;
  readonly chainId: string;
  readonly height: number;
  readonly appHash: string;
  readonly blockTime: number;
}

type Params = Readonly<Record<string, string>>;

function unknownQuery(message: string): MeridianError {
  return new MeridianError('MER_CONTRACT_UNKNOWN_QUERY', message);
}

function notFound(what: string, id: string): MeridianError {
  return new MeridianError('MER_CONTRACT_NOT_FOUND', `no ${what} ${JSON.stringify(id)}`, { what, id });
}

function allowOnly(params: Params, allowed: readonly string[], view: string): void {
  for (const k of Object.keys(params)) {
    if (!allowed.includes(k)) {
      throw unknownQuery(`view ${view} takes ${allowed.length ? allowed.join(', ') : 'no parameters'}, not ${k}`);
    }
  }
}

function intParam(params: Params, name: string, fallback: number, max: number): number {
  const raw = params[name];
  if (raw === undefined) return fallback;
  if (!/^\d{1,9}$/.test(raw) || Number(raw) > max) {
    throw unknownQuery(`parameter ${name}=${JSON.stringify(raw)} is not an integer in 0..${max}`);
  }
  return Number(raw);
}

const PAGE_PARAMS = ['limit', 'offset', 'order'] as const;

function page<T>(keys: readonly string[], params: Params, read: (key: string) => T | undefined): JsonValue {
  const limit = intParam(params, 'limit', QUERY_PAGE_SIZE_DEFAULT, QUERY_PAGE_SIZE_MAX);
  const offset = intParam(params, 'offset', 0, 1_000_000_000);
  const order = params.order ?? 'desc';
  if (order !== 'asc' && order !== 'desc') throw unknownQuery(`parameter order is asc or desc, not ${order}`);
  const items: T[] = [];
  for (let i = offset; i < keys.length && items.length < limit; i += 1) {
    const key = order === 'asc' ? keys[i] : keys[keys.length - 1 - i];
    const item = key === undefined ? undefined : read(key);
    if (item !== undefined) items.push(item);
  }
  return { total: keys.length, offset, limit, items } as unknown as JsonValue;
}

function filtered(keys: readonly string[], keep: (key: string) => boolean): string[] {
  return keys.filter(keep);
}

function requestView(src: QuerySource, r: RequestRecord, withTasks: boolean): JsonValue {
  const status = requestStatus(r, src.blockTime);
  const view: Record<string, unknown> = {
    ...r,
    status,
    awaiting: status === 'pending' ? awaitingApprovers(r) : [],
  };
  if (withTasks) {
    view.tasks = src.indexes.list('task.request', r.requestId).map((k) => k.slice('task/'.length));
  }
  return view as JsonValue;
}

function taskView(t: TaskRecord): JsonValue {
  return {
    ...t,
    status: t.release !== undefined ? 'released' : 'authorized',
    awaitingReceipts: awaitingReceipts(t),
  } as unknown as JsonValue;
}

function proposalView(src: QuerySource, p: ProposalRecord): JsonValue {
  return { ...p, status: proposalStatus(p, src.blockTime) } as unknown as JsonValue;
}

function parsePath(path: string, params: Params | undefined): { segments: string[]; params: Params } {
  const q = path.indexOf('?');
  const base = q < 0 ? path : path.slice(0, q);
  const merged: Record<string, string> = {};
  if (q >= 0) for (const [k, v] of new URLSearchParams(path.slice(q + 1))) merged[k] = v;
  Object.assign(merged, params ?? {});
  const segments = base.split('/').filter((s) => s !== '');
  return { segments, params: merged };
}

/** Answers a query over committed state (deep copies: callers may change what they get). */
export function runQuery(src: QuerySource, path: string, rawParams?: Params): JsonValue {
  return structuredClone(answer(src, path, rawParams));
}

function answer(src: QuerySource, path: string, rawParams?: Params): JsonValue {
  const { segments, params } = parsePath(path, rawParams);
  const [view, id, ...rest] = segments;
  if (rest.length > 0) throw unknownQuery(`path ${JSON.stringify(path)} has too many segments`);
  const get = (key: string) => src.state.get(key);
  switch (view) {
    case 'status':
      allowOnly(params, [], 'status');
      return { chainId: src.chainId, height: src.height, appHash: src.appHash, blockTime: src.blockTime };
    case 'members': {
      allowOnly(params, [], 'members');
      if (id !== undefined) return get(memberKey(id)) ?? throwIt(notFound('member', id));
      const names = (get(MEMBERS_KEY) as readonly string[] | undefined) ?? [];
      return names.map((n) => get(memberKey(n)) as JsonValue);
    }
    case 'validators':
      allowOnly(params, [], 'validators');
      if (id !== undefined) throw unknownQuery('view validators takes no id');
      return get(VALIDATORS_KEY) ?? [];
    case 'proposals': {
      if (id !== undefined) {
        allowOnly(params, [], 'proposals/<id>');
        const p = get(proposalKey(id)) as ProposalRecord | undefined;
        if (p === undefined) throw notFound('proposal', id);
        return proposalView(src, p);
      }
      allowOnly(params, ['status', ...PAGE_PARAMS], 'proposals');
      const status = params.status;
      const keys = filtered(src.indexes.list('proposal.all', ''), (k) =>
        status === undefined ? true : proposalStatus(get(k) as ProposalRecord, src.blockTime) === status,
      );
      return page(keys, params, (k) => proposalView(src, get(k) as ProposalRecord));
    }
    case 'requests': {
      if (id !== undefined) {
        allowOnly(params, [], 'requests/<id>');
        const r = get(requestKey(id)) as RequestRecord | undefined;
        if (r === undefined) throw notFound('request', id);
        return requestView(src, r, true);
      }
      allowOnly(params, ['status', 'projectId', 'hospital', 'awaiting', ...PAGE_PARAMS], 'requests');
      const base =
        params.projectId === undefined
          ? src.indexes.list('request.all', '')
          : src.indexes.list('request.project', params.projectId);
      const keys = filtered(base, (k) => {
        const r = get(k) as RequestRecord;
        if (params.status !== undefined && requestStatus(r, src.blockTime) !== params.status) return false;
        if (params.hospital !== undefined && !r.hospitals.includes(params.hospital)) return false;
        if (params.awaiting !== undefined) {
          if (requestStatus(r, src.blockTime) !== 'pending') return false;
          if (!awaitingApprovers(r).includes(params.awaiting)) return false;
        }
        return true;
      });
      return page(keys, params, (k) => requestView(src, get(k) as RequestRecord, false));
    }
    case 'tasks': {
      if (id === undefined) {
        allowOnly(params, ['requestId', ...PAGE_PARAMS], 'tasks');
        const requestId = params.requestId;
        if (requestId === undefined) throw unknownQuery('view tasks needs requestId (or use tasks/<id>)');
        return page(src.indexes.list('task.request', requestId), params, (k) => taskView(get(k) as TaskRecord));
      }
      allowOnly(params, [], 'tasks/<id>');
      const t = get(taskKey(id)) as TaskRecord | undefined;
      if (t === undefined) throw notFound('task', id);
      return taskView(t);
    }
    case 'budget': {
      allowOnly(params, [], 'budget/<project>');
      if (id === undefined) throw unknownQuery('view budget needs a project id: budget/<project>');
      const b = get(budgetKey(id)) as BudgetRecord | undefined;
      if (b === undefined) throw notFound('budget of project', id);
      return { ...b, remainingMicros: b.totalMicros - b.spentMicros } as unknown as JsonValue;
    }
    case 'notary': {
      if (id !== undefined) {
        allowOnly(params, [], 'notary/<root>');
        return get(notaryKey(id)) ?? throwIt(notFound('notarized batch', id));
      }
      allowOnly(params, ['institution', 'type', ...PAGE_PARAMS], 'notary');
      const { institution, type } = params;
      const base =
        institution !== undefined
          ? src.indexes.list('notary.institution', institution)
          : type !== undefined
            ? src.indexes.list('notary.type', type)
            : src.indexes.list('notary.all', '');
      const keys =
        institution !== undefined && type !== undefined
          ? filtered(base, (k) => (get(k) as { type: string }).type === type)
          : base;
      return page(keys, params, (k) => get(k));
    }
    case 'consent': {
      allowOnly(params, [], 'consent/<token>');
      if (id === undefined) throw unknownQuery('view consent needs a patient token: consent/<token>');
      return get(consentKey(id)) ?? { patientToken: id, purposes: {} };
    }
    case 'access': {
      allowOnly(params, ['patientToken', ...PAGE_PARAMS], 'access');
      if (id !== undefined) throw unknownQuery('view access takes ?patientToken=…, not an id');
      const token = params.patientToken;
      if (token === undefined) throw unknownQuery('view access needs patientToken');
      return page(src.indexes.list('access.patientToken', token), params, (k) => get(k));
    }
    default:
      throw unknownQuery(
        `no view ${JSON.stringify(view ?? '')}; views: status, members, validators, proposals, requests, tasks, budget, notary, consent, access`,
      );
  }
}

function throwIt(e: Error): never {
  throw e;
}
