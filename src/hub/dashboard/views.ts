/**
 * The dashboard's answer as a pure function of the cached node snapshots and the ledger activity: per
 * hospital its patients, visits, ODS and DWD volume, loads by day and quality scores, with whether the
 * figures are fresh or last-known; consortium totals over the hospitals that reported. Aggregates only.
 */
import type { LoadDay } from '../../catalog/schemas.ts';
import type { NodeSnapshot } from '../catalog/aggregates-cache.ts';
import type { LedgerActivityView } from './ledger-activity.ts';

/** One hospital's line of the dashboard. */
export interface DashboardHospital {
  node: string;
  displayName: string;
  state: NodeSnapshot['state'];
  status: NodeSnapshot['status'];
  takenAt: string | null;
  error: NodeSnapshot['error'];
  /** Distinct patients and visits (null: under the minimum cell or not reported). */
  persons: number | null;
  visits: number | null;
  ods: { files: number; bytes: number; records: number } | null;
  dwd: { rows: number; bytes: number; tables: { table: string; rows: number | null }[] } | null;
  loads: LoadDay[];
  quality: {
    score: number | null;
    runAt: string | null;
    categories: { category: string; score: number | null }[];
  } | null;
}

/** Consortium totals over the hospitals that reported. */
export interface DashboardTotals {
  hospitals: number;
  reporting: number;
  stale: number;
  persons: number;
  visits: number;
  dwdRows: number;
  odsFiles: number;
  odsBytes: number;
  odsRecords: number;
}

/** Body of `GET /api/dashboard`. */
export interface DashboardResponse {
  generatedAt: string;
  totals: DashboardTotals;
  hospitals: DashboardHospital[];
  ledger: LedgerActivityView;
}

function hospitalLine(n: NodeSnapshot): DashboardHospital {
  const a = n.aggregates;
  const q = n.quality;
  return {
    node: n.node,
    displayName: n.displayName,
    state: n.state,
    status: n.status,
    takenAt: n.takenAt,
    error: n.error,
    persons: a?.persons ?? null,
    visits: a?.visits ?? null,
    ods: a?.ods ?? null,
    dwd: a
      ? {
          rows: a.dwd.rows,
          bytes: a.dwd.bytes,
          tables: Object.entries(a.dwd.tables).map(([table, t]) => ({ table, rows: t?.rows ?? null })),
        }
      : null,
    loads: a?.loads ?? [],
    quality:
      q && q.state === 'ok'
        ? {
            score: q.totals?.score ?? null,
            runAt: q.run?.startedAt ?? null,
            categories: q.categories.map((c) => ({ category: c.category, score: c.score })),
          }
        : null,
  };
}

/** The dashboard from the cache's snapshot, generated at `now`. */
export function dashboardView(
  nodes: readonly NodeSnapshot[],
  ledger: LedgerActivityView,
  now: Date,
): DashboardResponse {
  const hospitals = nodes.map(hospitalLine);
  const sum = (pick: (h: DashboardHospital) => number | null | undefined) =>
    hospitals.reduce((s, h) => s + (pick(h) ?? 0), 0);
  return {
    generatedAt: now.toISOString(),
    totals: {
      hospitals: hospitals.length,
      reporting: nodes.filter((n) => n.aggregates !== null).length,
      stale: nodes.filter((n) => n.status === 'stale').length,
      persons: sum((h) => h.persons),
      visits: sum((h) => h.visits),
      dwdRows: sum((h) => h.dwd?.rows),
      odsFiles: sum((h) => h.ods?.files),
      odsBytes: sum((h) => h.ods?.bytes),
      odsRecords: sum((h) => h.ods?.records),
    },
    hospitals,
    ledger,
  };
}
