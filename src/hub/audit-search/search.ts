/**
 * The audit search: the hub's audit trail (every operation, ok, refused or failed) and the access records the
 * hub wrote on the ledger for clinicians' views, as one list newest first. Given a patient token, the ledger's
 * own `access` view is read as well, so a view recorded by another institution shows too (marked as found on
 * the ledger only). Every access record carries its transaction hash, for its receipt.
 */
import type { Kysely } from 'kysely';
import type { AccessLedger } from '../../panorama/access.ts';
import type { HubDatabase } from '../schema.ts';

/** Most records one search answers. */
export const AUDIT_SEARCH_LIMIT_MAX = 500;

/** Filters of one search; every one optional. */
export interface AuditQuery {
  user?: string;
  patientToken?: string;
  hospital?: string;
  type?: 'access' | 'operation';
  /** Action prefix of operation records (e.g. `panorama.`). */
  action?: string;
  from?: Date;
  to?: Date;
  limit: number;
}

/** One record of the search: an operation of the hub's audit trail or an access record on the ledger. */
export interface AuditRecord {
  id: string;
  type: 'access' | 'operation';
  at: string;
  user: string;
  role: string | null;
  action: string;
  target: string | null;
  outcome: 'ok' | 'refused' | 'failed';
  hospital: string | null;
  patientToken: string | null;
  breakGlass: boolean | null;
  reasonCode: string | null;
  reason: string | null;
  txHash: string | null;
  height: number | null;
  /** Where the record was found: the hub's own tables, or only on the ledger. */
  source: 'hub' | 'ledger';
  detail: Record<string, unknown>;
}

/** Searches the hub's audit trail and access records. */
export class AuditSearch {
  readonly #db: Kysely<HubDatabase>;
  readonly #ledger: AccessLedger | undefined;

  constructor(opts: { db: Kysely<HubDatabase>; ledger: AccessLedger | undefined }) {
    this.#db = opts.db;
    this.#ledger = opts.ledger;
  }

  /** The records matching `q`, newest first, at most `q.limit` (bounded by {@link AUDIT_SEARCH_LIMIT_MAX}). */
  async search(q: AuditQuery): Promise<{ records: AuditRecord[]; ledgerChecked: boolean }> {
    const limit = Math.min(Math.max(1, q.limit), AUDIT_SEARCH_LIMIT_MAX);
    const out: AuditRecord[] = [];
    if (q.type !== 'operation' && q.action === undefined) out.push(...(await this.#access(q, limit)));
    let ledgerChecked = false;
    if (q.type !== 'operation' && q.action === undefined && q.patientToken !== undefined && this.#ledger) {
      const seen = new Set(out.map((r) => r.id));
      for (const r of await this.#ledger.records(q.patientToken)) {
        const at = new Date(r.recorded.at);
        if (seen.has(r.contentHash)) continue;
        if (q.user !== undefined && r.user.id !== q.user) continue;
        if (q.hospital !== undefined && r.hospital !== q.hospital) continue;
        if ((q.from && at < q.from) || (q.to && at > q.to)) continue;
        out.push({
          id: r.contentHash,
          type: 'access',
          at: at.toISOString(),
          user: r.user.id,
          role: r.user.role,
          action: r.breakGlass ? 'access.break-glass' : 'access',
          target: r.patientToken,
          outcome: 'ok',
          hospital: r.hospital,
          patientToken: r.patientToken,
          breakGlass: r.breakGlass,
          reasonCode: r.reasonCode ?? null,
          reason: null,
          txHash: null,
          height: r.recorded.height,
          source: 'ledger',
          detail: { institution: r.institution },
        });
      }
      ledgerChecked = true;
    }
    if (q.type !== 'access' && q.patientToken === undefined) out.push(...(await this.#operations(q, limit)));
    out.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : a.id < b.id ? -1 : 1));
    return { records: out.slice(0, limit), ledgerChecked };
  }

  async #access(q: AuditQuery, limit: number): Promise<AuditRecord[]> {
    let s = this.#db.selectFrom('hub_panorama_access').selectAll();
    if (q.user !== undefined) s = s.where('username', '=', q.user);
    if (q.patientToken !== undefined) s = s.where('patient_token', '=', q.patientToken);
    if (q.hospital !== undefined) {
      const h = q.hospital;
      s = s.where((eb) => eb.or([eb('hospital', '=', h), eb('user_hospital', '=', h)]));
    }
    if (q.from) s = s.where('at', '>=', q.from);
    if (q.to) s = s.where('at', '<=', q.to);
    const rows = await s.orderBy('at', 'desc').limit(limit).execute();
    return rows.map((r) => ({
      id: r.content_hash,
      type: 'access',
      at: new Date(r.at).toISOString(),
      user: r.username,
      role: r.user_role,
      action: r.break_glass ? 'access.break-glass' : 'access',
      target: r.global_id,
      outcome: 'ok',
      hospital: r.hospital,
      patientToken: r.patient_token,
      breakGlass: r.break_glass,
      reasonCode: r.reason_code,
      reason: r.reason,
      txHash: r.tx_hash,
      height: r.height,
      source: 'hub',
      detail: { userHospital: r.user_hospital },
    }));
  }

  async #operations(q: AuditQuery, limit: number): Promise<AuditRecord[]> {
    let s = this.#db.selectFrom('hub_audit').selectAll();
    if (q.user !== undefined) s = s.where('actor', '=', q.user);
    if (q.hospital !== undefined) s = s.where('target', '=', q.hospital);
    if (q.action !== undefined) s = s.where('action', 'like', `${q.action.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    if (q.from) s = s.where('at', '>=', q.from);
    if (q.to) s = s.where('at', '<=', q.to);
    const rows = await s.orderBy('at', 'desc').limit(limit).execute();
    return rows.map((r) => ({
      id: r.id,
      type: 'operation',
      at: new Date(r.at).toISOString(),
      user: r.actor,
      role: r.actor_role,
      action: r.action,
      target: r.target,
      outcome: r.outcome,
      hospital: null,
      patientToken: null,
      breakGlass: null,
      reasonCode: null,
      reason: null,
      txHash: null,
      height: null,
      source: 'hub',
      detail: (typeof r.detail === 'string' ? JSON.parse(r.detail) : r.detail) as Record<string, unknown>,
    }));
  }
}
