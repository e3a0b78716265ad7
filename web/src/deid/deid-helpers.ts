/**
 * Pure helpers of the de-identification preview page: who may open it (the hub's role list, mirrored), the
 * canonical tables, what kind of rule a field gets, the request path, chart rows of the smallest classes and
 * the figures derived from a preview. No React and no I/O, so they are unit-tested in test/web.
 */
import type { FieldRule, PrivacyPreview, Role } from '../api-types.ts';

/** Roles the page serves (the hub's PRIVACY_PREVIEW_ROLES; a steward for their own hospital only). */
export const DEID_PAGE_ROLES: ReadonlySet<Role> = new Set<Role>(['admin', 'steward']);

/** The canonical tables a preview can read, in the model's order (a test keeps them equal to DWD_TABLES). */
export const DEID_TABLES = [
  'person',
  'visit_occurrence',
  'condition_occurrence',
  'drug_exposure',
  'measurement',
  'procedure_occurrence',
  'observation',
  'note',
  'imaging_study',
  'death',
] as const;
/** A canonical table. */
export type DeidTable = (typeof DEID_TABLES)[number];

/** The target k the page starts with, and the range it offers (the hub's). */
export const DEID_K_DEFAULT = 5;
/** Smallest target k. */
export const DEID_K_MIN = 2;
/** Largest target k. */
export const DEID_K_MAX = 100;
/** Sample rows the page asks for. */
export const DEID_SAMPLE_ROWS = 20;

/** What happens to a field, as one word. */
export type RuleKind = 'keep' | 'drop' | 'pseudonymize' | 'shift' | 'scrub' | 'generalize';

/** Every rule kind, in the order the page lists them. */
export const RULE_KINDS: readonly RuleKind[] = ['keep', 'generalize', 'pseudonymize', 'shift', 'scrub', 'drop'];

/** One generalization step of a rule. */
export type GeneralizeStep = Exclude<FieldRule, string | readonly unknown[]>;

/** The kind of a field rule. */
export function ruleKind(rule: FieldRule): RuleKind {
  return typeof rule === 'string' ? rule : 'generalize';
}

/** The generalization steps of a rule, in order (none for a plain action). */
export function ruleSteps(rule: FieldRule): GeneralizeStep[] {
  if (typeof rule === 'string') return [];
  return Array.isArray(rule) ? [...rule] : [rule as GeneralizeStep];
}

/** How many fields get each kind of rule. */
export function ruleCounts(
  fields: readonly Pick<PrivacyPreview['fields'][number], 'rule'>[],
): Record<RuleKind, number> {
  const counts: Record<RuleKind, number> = { keep: 0, drop: 0, pseudonymize: 0, shift: 0, scrub: 0, generalize: 0 };
  for (const f of fields) counts[ruleKind(f.rule)]++;
  return counts;
}

/** The columns a release would carry (every rule but drop), in the extract's order. */
export function releasedColumns(preview: Pick<PrivacyPreview, 'fields'>): string[] {
  return preview.fields.filter((f) => f.rule !== 'drop').map((f) => f.column);
}

/** The hub path of a preview request. */
export function previewPath(
  node: string,
  q: { table: DeidTable; k: number; quasiIdentifiers?: readonly string[]; sample: number },
): string {
  const params = new URLSearchParams({ table: q.table, k: String(q.k), sample: String(q.sample) });
  if (q.quasiIdentifiers && q.quasiIdentifiers.length > 0) params.set('qi', q.quasiIdentifiers.join(','));
  return `/api/privacy/${encodeURIComponent(node)}/preview?${params.toString()}`;
}

/** A released value as text (null as ∅). */
export function cellText(value: string | number | boolean | null | undefined): string {
  return value === null || value === undefined ? '∅' : String(value);
}

/** An equivalence class as one line of its quasi-identifier values, e.g. `1960 · F · 3101`. */
export function classLabel(
  values: Readonly<Record<string, string | number | boolean | null>>,
  qis: readonly string[],
): string {
  return qis.map((q) => cellText(values[q])).join(' · ');
}

/** Chart rows of the smallest classes, smallest at the top: label, size, and whether it is below the target. */
export function smallestClassRows(
  preview: Pick<PrivacyPreview, 'k' | 'quasiIdentifiers'>,
): { label: string; size: number; below: boolean }[] {
  return preview.k.smallest.map((c) => ({
    label: classLabel(c.values, preview.quasiIdentifiers),
    size: c.size,
    below: c.size < preview.k.target,
  }));
}

/** The share of examined records suppression would remove, in percent (null when nothing was examined). */
export function suppressionPct(preview: Pick<PrivacyPreview, 'examined' | 'suppression'>): number | null {
  return preview.examined > 0 ? (100 * preview.suppression.rows) / preview.examined : null;
}

/** Whether the extract as examined meets the target k (an empty extract releases nothing, so it does not). */
export function meetsTarget(preview: Pick<PrivacyPreview, 'k' | 'examined'>): boolean {
  return preview.examined > 0 && preview.k.achieved >= preview.k.target;
}
