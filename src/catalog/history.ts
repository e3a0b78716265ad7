/** A node's load history by day, as a pure function of its load rows (what the dashboard's trend draws). */
import type { LoadRow } from '../pipeline/service.ts';
import type { LoadDay } from './schemas.ts';

/** Days of load history a node reports. */
export const LOAD_HISTORY_DAYS = 90;

/**
 * Loads per UTC day over the `days` days up to `now` (oldest first, days without loads left out): how many
 * ran, how many failed, the records they read and the rows they loaded (running loads count once finished).
 */
export function loadDays(loads: readonly LoadRow[], opts: { now: Date; days: number }): LoadDay[] {
  const since = opts.now.getTime() - opts.days * 86_400_000;
  const byDay = new Map<string, LoadDay>();
  for (const load of loads) {
    const at = Date.parse(load.startedAt);
    if (!Number.isFinite(at) || at < since || load.status === 'running') continue;
    const day = new Date(at).toISOString().slice(0, 10);
    const line = byDay.get(day) ?? { day, loads: 0, failed: 0, records: 0, rows: 0 };
    line.loads += 1;
    if (load.status === 'failed') line.failed += 1;
    else {
      line.records += load.recordsRead;
      line.rows += load.rowsLoaded;
    }
    byDay.set(day, line);
  }
  return [...byDay.values()].sort((a, b) => a.day.localeCompare(b.day));
}
