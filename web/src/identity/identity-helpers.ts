/**
 * Pure helpers of the patient index page: who sees which part (the hub's role lists, mirrored here so the page
 * answers before it asks; a test keeps the two equal), what a comparison level means per field, record ids,
 * and the figures derived from the summary. No React and no I/O, so they are unit-tested in test/web.
 */
import type { IdentitySummary, ReviewItem, Role, SweepNodeResult } from '../api-types.ts';

/** Roles that see the index's figures (the hub's IDENTITY_SUMMARY_ROLES). */
export const IDENTITY_SUMMARY_ROLES: ReadonlySet<Role> = new Set<Role>(['admin', 'steward', 'manager', 'auditor']);
/** Roles that work the review queue and start a linkage run (the hub's IDENTITY_REVIEW_ROLES). */
export const IDENTITY_REVIEW_ROLES: ReadonlySet<Role> = new Set<Role>(['admin', 'steward']);
/** Roles that read the merge/split history (the hub's IDENTITY_HISTORY_ROLES). */
export const IDENTITY_HISTORY_ROLES: ReadonlySet<Role> = new Set<Role>(['admin', 'auditor']);

/** The compared fields, in the order the hub's model compares them. */
export const COMPARED_FIELDS = ['id', 'name', 'dob', 'sex', 'phone'] as const;
/** A compared field. */
export type ComparedField = (typeof COMPARED_FIELDS)[number];

/** The highest comparison level per field (full agreement); 0 is disagreement, null missing on either side. */
const FULL_LEVEL: Readonly<Record<ComparedField, number>> = { id: 1, name: 2, dob: 2, sex: 1, phone: 2 };

/** How two records compare on one field. */
export type Agreement = 'agree' | 'partial' | 'disagree' | 'missing';

/** The agreement a comparison level stands for (an unknown or out-of-range level reads as missing evidence). */
export function agreementOf(field: ComparedField, level: number | null | undefined): Agreement {
  if (level === null || level === undefined || !Number.isInteger(level) || level < 0) return 'missing';
  const full = FULL_LEVEL[field];
  if (level === 0) return 'disagree';
  if (level === full) return 'agree';
  return level < full ? 'partial' : 'missing';
}

/** The agreement of every compared field of a review item, in field order. */
export function comparisonRows(
  comparison: ReviewItem['comparison'],
): { field: ComparedField; level: number | null; agreement: Agreement }[] {
  return COMPARED_FIELDS.map((field) => {
    const level = comparison[field] ?? null;
    return { field, level, agreement: agreementOf(field, level) };
  });
}

/** The antd colour of an agreement. */
export function agreementColor(a: Agreement): string {
  return { agree: 'success', partial: 'warning', disagree: 'error', missing: 'default' }[a];
}

/** A record id `hospital:key` split into its hospital and the hospital's own record key (tokens' owner). */
export function splitRecordId(recordId: string): { hospital: string; key: string } {
  const at = recordId.indexOf(':');
  return at < 0 ? { hospital: '', key: recordId } : { hospital: recordId.slice(0, at), key: recordId.slice(at + 1) };
}

/** All records in the index. */
export function totalRecords(summary: Pick<IdentitySummary, 'recordsByHospital'>): number {
  return Object.values(summary.recordsByHospital).reduce((a, b) => a + b, 0);
}

/** The share of persons seen at two or more hospitals, in percent (null without persons). */
export function sharedPct(summary: Pick<IdentitySummary, 'persons' | 'sharedPersons'>): number | null {
  return summary.persons > 0 ? (100 * summary.sharedPersons) / summary.persons : null;
}

/** All events recorded, from the summary's counts by kind. */
export function totalEvents(summary: Pick<IdentitySummary, 'events'>): number {
  return Object.values(summary.events).reduce((a, b) => a + b, 0);
}

/** The `afterSeq` that reads the newest `pageSize` events of `total` (events are numbered from 1, in order). */
export function newestEventsAfter(total: number, pageSize: number): number {
  return Math.max(0, total - pageSize);
}

/** A sweep's totals over its nodes, and how many nodes failed. */
export function sweepTotals(nodes: readonly SweepNodeResult[]): {
  records: number;
  newGlobals: number;
  merges: number;
  reviewsQueued: number;
  failed: number;
} {
  const sum = (k: 'records' | 'newGlobals' | 'merges' | 'reviewsQueued') => nodes.reduce((a, n) => a + n[k], 0);
  return {
    records: sum('records'),
    newGlobals: sum('newGlobals'),
    merges: sum('merges'),
    reviewsQueued: sum('reviewsQueued'),
    failed: nodes.filter((n) => n.error !== undefined).length,
  };
}

/** A match probability as a percentage with one decimal, e.g. 0.8734 → "87.3%". */
export function probabilityText(p: number): string {
  return Number.isFinite(p) ? `${(Math.round(p * 1000) / 10).toFixed(1)}%` : '—';
}
