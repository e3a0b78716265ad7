/**
 * Pure helpers of the stewards' pages (sources & loads, mappings): status colours, reject rates, chart rows,
 * load durations, and turning the codes a steward typed or picked into code-map edits, one per spec and code
 * map. No React and no I/O here, so they are unit-tested in test/web.
 */
import type { CodesBody, UnmappedRow } from '../api-types.ts';

/** The antd tag colour of a load or file status. */
export function statusColor(status: string): 'success' | 'processing' | 'error' | 'default' {
  switch (status) {
    case 'completed':
    case 'loaded':
      return 'success';
    case 'running':
      return 'processing';
    case 'failed':
      return 'error';
    default:
      return 'default';
  }
}

/** The share of records rejected, in [0, 1]; 0 when nothing was read. */
export function rejectRate(rejected: number, recordsRead: number): number {
  if (!(recordsRead > 0) || !(rejected > 0)) return 0;
  return Math.min(1, rejected / recordsRead);
}

/** Counts by key as rows, largest first, ties by key (for charts and small tables). */
export function countsDescending(counts: Readonly<Record<string, number>>): { key: string; count: number }[] {
  return Object.entries(counts)
    .filter(([, count]) => count > 0)
    .map(([key, count]) => ({ key, count }))
    .sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Milliseconds between two ISO timestamps, or null when either is missing, unparseable or they run backwards. */
export function durationMs(startedAt: string | null, finishedAt: string | null): number | null {
  if (!startedAt || !finishedAt) return null;
  const ms = Date.parse(finishedAt) - Date.parse(startedAt);
  return Number.isFinite(ms) && ms >= 0 ? ms : null;
}

/** A duration in the largest two fitting units, e.g. 83_000 → { m: 1, s: 23 }; under a second → { s: 0 }. */
export function splitDuration(ms: number): { h?: number; m?: number; s: number } {
  const seconds = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h > 0) return { h, m, s };
  if (m > 0) return { m, s };
  return { s };
}

/** The key of an unmapped code: the same local code may be missing from several specs or code maps. */
export function unmappedKey(row: Pick<UnmappedRow, 'source' | 'spec' | 'codeMap' | 'code'>): string {
  return [row.source, row.spec, row.codeMap, row.code].join('\u0000');
}

/** Most entries the node accepts in one edit (the hub's CODE_ENTRIES_MAX). */
export const CODE_EDIT_ENTRIES_MAX = 1000;

/**
 * Code-map edits from what the steward chose: one body per spec and code map, codes trimmed, blanks left
 * out, each body at most {@link CODE_EDIT_ENTRIES_MAX} entries, in a stable order.
 */
export function codeEdits(rows: readonly UnmappedRow[], chosen: ReadonlyMap<string, string>): CodesBody[] {
  const groups = new Map<string, CodesBody>();
  for (const row of rows) {
    const to = chosen.get(unmappedKey(row))?.trim();
    if (!to) continue;
    const groupKey = `${row.spec}\u0000${row.codeMap}`;
    const group = groups.get(groupKey) ?? { spec: row.spec, codeMap: row.codeMap, entries: [] };
    if (!group.entries.some((e) => e.code === row.code)) group.entries.push({ code: row.code, to });
    groups.set(groupKey, group);
  }
  const out: CodesBody[] = [];
  for (const group of [...groups.values()].sort((a, b) =>
    a.spec === b.spec ? (a.codeMap < b.codeMap ? -1 : 1) : a.spec < b.spec ? -1 : 1,
  )) {
    for (let i = 0; i < group.entries.length; i += CODE_EDIT_ENTRIES_MAX) {
      out.push({ ...group, entries: group.entries.slice(i, i + CODE_EDIT_ENTRIES_MAX) });
    }
  }
  return out;
}

/** A standard code as a steward may type it: letters, digits and `.-_:`, 1–100 characters. */
export function isPlausibleCode(code: string): boolean {
  return /^[\w.:-]{1,100}$/u.test(code.trim());
}
