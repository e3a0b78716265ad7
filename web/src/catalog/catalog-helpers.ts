/**
 * The catalog page's pure helpers: level colours, the search over tables and fields, and the chart option of a
 * field's value distribution at each hospital (categories as horizontal bars, a histogram or years as columns).
 * Withheld counts (under the minimum cell) are drawn as nothing and named in the tooltip.
 */
import type { EChartOption } from '../components/echart.tsx';
import type { Distribution } from '../dashboard/types.ts';
import type { Translate } from '../i18n/i18n-context.tsx';

/** Tag colours of the sensitivity levels L1–L5 (as the de-identification page shows them). */
export const LEVEL_COLORS = ['', 'default', 'blue', 'gold', 'orange', 'red'] as const;

/** A sensitivity level. */
export type Level = 1 | 2 | 3 | 4 | 5;

/** Whether a table or field matches a search: its name, Chinese or English text contains it (any case). */
export function matchesQuery(x: { name: string; zh: string; en: string }, query: string): boolean {
  const q = query.trim().toLowerCase();
  if (q === '') return true;
  return [x.name, x.zh, x.en].some((s) => s.toLowerCase().includes(q));
}

/** A bin's label: [from, to), with open ends as < to and ≥ from. */
export function binLabel(from: number | null, to: number | null): string {
  if (from === null) return `< ${to}`;
  if (to === null) return `≥ ${from}`;
  return `${from}–${to}`;
}

/** One hospital's distribution as a chart. */
export function distributionOption(t: Translate, d: Distribution): EChartOption {
  const suppressed = t('catalog.suppressed');
  if (d.kind === 'histogram') {
    return {
      color: ['#1668dc'],
      grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
      tooltip: {
        trigger: 'axis',
        axisPointer: { type: 'shadow' },
        valueFormatter: (v) => (v === null || v === undefined || v === '-' ? suppressed : String(v)),
      },
      xAxis: { type: 'category', data: d.bins.map((b) => binLabel(b.from, b.to)) },
      yAxis: { type: 'value', minInterval: 1 },
      series: [{ type: 'bar', barCategoryGap: '8%', name: t('catalog.rows'), data: d.bins.map((b) => b.count) }],
    };
  }
  if (d.kind === 'years') {
    return {
      color: ['#13a8a8'],
      grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      xAxis: { type: 'category', data: d.categories.map((c) => c.value) },
      yAxis: { type: 'value', minInterval: 1 },
      series: [{ type: 'bar', name: t('catalog.rows'), data: d.categories.map((c) => c.count) }],
    };
  }
  const shown = [...d.categories].reverse();
  return {
    color: ['#722ed1'],
    grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    xAxis: { type: 'value', minInterval: 1 },
    yAxis: { type: 'category', data: shown.map((c) => c.value), axisLabel: { width: 160, overflow: 'truncate' } },
    series: [{ type: 'bar', name: t('catalog.rows'), data: shown.map((c) => c.count) }],
  };
}

/** Height of a distribution chart: categories get one row each, the others a fixed height. */
export function distributionHeight(d: Distribution): number {
  return d.kind === 'categories' ? Math.max(120, 40 + 26 * d.categories.length) : 220;
}
