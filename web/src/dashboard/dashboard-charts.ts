/**
 * The dashboard's chart options, as pure functions of its answer: volume per hospital and layer, DWD rows per
 * table, rows loaded per day, quality scores per category, and ledger activity by day. Drawn by the quality
 * module's chart component (which registers line charts and the legend on the portal's ECharts wrapper).
 */

import type { Translate } from '../i18n/i18n-context.tsx';
import type { QualityChartOption } from '../quality/quality-chart.tsx';
import type { ActivityDay, DashboardHospital } from './types.ts';

/** Series colours: ODS amber, DWD blue; the rest of the palette for per-hospital and per-table series. */
const LAYER_COLORS = { ods: '#fa8c16', dwd: '#1668dc' } as const;
const PALETTE = [
  '#1668dc',
  '#13a8a8',
  '#722ed1',
  '#fa8c16',
  '#eb2f96',
  '#52c41a',
  '#faad14',
  '#2f54eb',
  '#a0d911',
  '#8c8c8c',
];

const grid = { left: 8, right: 16, top: 40, bottom: 8, containLabel: true };
/** Hospital names on a category axis: every one shown, cut to a width (the tooltip has the full name). */
const hospitalLabels = { interval: 0, width: 150, overflow: 'truncate' as const };
/** Up to this many days the load trend is drawn as columns (a line needs more points to read). */
const TREND_COLUMNS_DAYS_MAX = 3;
const legend = { top: 0, type: 'scroll' as const };

/** ODS records read and DWD rows per hospital, side by side. */
export function layersOption(t: Translate, hospitals: readonly DashboardHospital[]): QualityChartOption {
  return {
    color: [LAYER_COLORS.ods, LAYER_COLORS.dwd],
    grid,
    legend,
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    xAxis: { type: 'category', data: hospitals.map((h) => h.displayName), axisLabel: hospitalLabels },
    yAxis: { type: 'value' },
    series: [
      { type: 'bar', name: t('dashboard.layer.ods'), data: hospitals.map((h) => h.ods?.records ?? 0) },
      { type: 'bar', name: t('dashboard.layer.dwd'), data: hospitals.map((h) => h.dwd?.rows ?? 0) },
    ],
  };
}

/** DWD rows per table, stacked per hospital (a table under the minimum cell counts as 0 here). */
export function tablesOption(hospitals: readonly DashboardHospital[]): QualityChartOption {
  const tables = [...new Set(hospitals.flatMap((h) => h.dwd?.tables.map((x) => x.table) ?? []))].sort();
  return {
    color: PALETTE,
    grid,
    legend,
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    xAxis: { type: 'value' },
    yAxis: { type: 'category', data: hospitals.map((h) => h.displayName), axisLabel: hospitalLabels },
    series: tables.map((table) => ({
      type: 'bar' as const,
      name: table,
      stack: 'rows',
      data: hospitals.map((h) => h.dwd?.tables.find((x) => x.table === table)?.rows ?? 0),
    })),
  };
}

/** Rows loaded per day, one line per hospital, over the days any hospital loaded (columns for a few days). */
export function loadTrendOption(hospitals: readonly DashboardHospital[]): QualityChartOption {
  const days = [...new Set(hospitals.flatMap((h) => h.loads.map((d) => d.day)))].sort();
  return {
    color: PALETTE,
    grid,
    legend,
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'category', data: days, boundaryGap: days.length <= TREND_COLUMNS_DAYS_MAX },
    yAxis: { type: 'value' },
    series: hospitals.map((h) => {
      const data = days.map((day) => h.loads.find((d) => d.day === day)?.rows ?? 0);
      return days.length <= TREND_COLUMNS_DAYS_MAX
        ? { type: 'bar' as const, name: h.displayName, data }
        : { type: 'line' as const, name: h.displayName, smooth: true, symbolSize: 6, data };
    }),
  };
}

/** The quality score (share of passing rules) overall and per Kahn category, per hospital. */
export function qualityOption(
  t: Translate,
  hospitals: readonly DashboardHospital[],
  categories: readonly ('completeness' | 'conformance' | 'plausibility')[],
): QualityChartOption {
  const scored = hospitals.filter((h) => h.quality !== null);
  const score = (h: DashboardHospital, c: string) => h.quality?.categories.find((x) => x.category === c)?.score ?? null;
  return {
    color: ['#262626', '#1668dc', '#722ed1', '#13a8a8'],
    grid,
    legend,
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: (v) => (v === null ? '—' : `${v}%`) },
    xAxis: { type: 'category', data: scored.map((h) => h.displayName), axisLabel: hospitalLabels },
    yAxis: { type: 'value', min: 0, max: 100, axisLabel: { formatter: '{value}%' } },
    series: [
      { type: 'bar', name: t('dashboard.quality.overall'), data: scored.map((h) => h.quality?.score ?? null) },
      ...categories.map((c) => ({
        type: 'bar' as const,
        name: t(`quality.category.${c}`),
        data: scored.map((h) => score(h, c)),
      })),
    ],
  };
}

/** Requests, decisions, authorized tasks, receipts and releases per day (from the ledger). */
export function requestsOption(t: Translate, days: readonly ActivityDay[]): QualityChartOption {
  const line = (key: 'requests' | 'decisions' | 'tasks' | 'receipts' | 'releases') => ({
    type: 'bar' as const,
    name: t(`dashboard.activity.${key}`),
    stack: key === 'requests' || key === 'decisions' ? 'requests' : 'tasks',
    data: days.map((d) => d[key]),
  });
  return {
    color: ['#1668dc', '#69b1ff', '#722ed1', '#b37feb', '#13a8a8'],
    grid,
    legend,
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    xAxis: { type: 'category', data: days.map((d) => d.day) },
    yAxis: { type: 'value', minInterval: 1 },
    series: [line('requests'), line('decisions'), line('tasks'), line('receipts'), line('releases')],
  };
}

/** Blocks (bars) and transactions (line) per day. */
export function ledgerOption(t: Translate, days: readonly ActivityDay[]): QualityChartOption {
  return {
    color: ['#8c8c8c', '#fa8c16'],
    grid,
    legend,
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'category', data: days.map((d) => d.day) },
    yAxis: [
      { type: 'value', minInterval: 1 },
      { type: 'value', minInterval: 1, splitLine: { show: false } },
    ],
    series: [
      { type: 'bar', name: t('dashboard.activity.blocks'), data: days.map((d) => d.blocks) },
      { type: 'line', name: t('dashboard.activity.txs'), yAxisIndex: 1, smooth: true, data: days.map((d) => d.txs) },
    ],
  };
}
