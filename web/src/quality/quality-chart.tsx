/**
 * The quality dashboard's charts on the portal's ECharts wrapper: this module registers the line and heatmap
 * charts and the legend, visual map and mark-line components they need (ECharts keeps one registry, and the
 * wrapper imports only bar charts), and builds their options.
 */
import { HeatmapChart, type HeatmapSeriesOption, LineChart, type LineSeriesOption } from 'echarts/charts';
import {
  LegendComponent,
  type LegendComponentOption,
  MarkLineComponent,
  type MarkLineComponentOption,
  VisualMapComponent,
  type VisualMapComponentOption,
} from 'echarts/components';
import { type ComposeOption, use } from 'echarts/core';
import type { CategoryTrendPoint, OverviewNode } from '../api-types.ts';
import { EChart, type EChartOption } from '../components/echart.tsx';
import { formatDateTime, parseTimestamp } from '../i18n/format.ts';
import type { Translate } from '../i18n/i18n-context.tsx';
import type { Lang } from '../i18n/messages.ts';
import { CATEGORY_KEYS, heatmapCells, pctText, SCORE_FAIR_PCT, SCORE_GOOD_PCT } from './quality-helpers.ts';

use([LineChart, HeatmapChart, LegendComponent, VisualMapComponent, MarkLineComponent]);

/** Options of the charts drawn here: the wrapper's, plus lines, heatmaps and their components. */
export type QualityChartOption = ComposeOption<
  LineSeriesOption | HeatmapSeriesOption | LegendComponentOption | VisualMapComponentOption | MarkLineComponentOption
> &
  EChartOption;

/** Series colours of the categories: completeness blue, conformance purple, plausibility cyan. */
const CATEGORY_COLORS = { completeness: '#1668dc', conformance: '#722ed1', plausibility: '#13a8a8' } as const;

/** A quality chart; the wrapper draws any registered chart type, its option type names the bar charts only. */
export function QualityChart({
  option,
  height,
  ariaLabel,
}: {
  option: QualityChartOption;
  height: number;
  ariaLabel: string;
}) {
  return <EChart option={option as EChartOption} height={height} ariaLabel={ariaLabel} />;
}

/** Hospitals × categories, each cell the share of the category's rules that pass, coloured good, fair or poor. */
export function heatmapOption(t: Translate, nodes: readonly OverviewNode[]): QualityChartOption {
  const categories = CATEGORY_KEYS.map((c) => t(`quality.category.${c}`));
  const names = nodes.map((n) => n.displayName);
  return {
    grid: { left: 8, right: 24, top: 8, bottom: 56, containLabel: true },
    tooltip: {
      position: 'top',
      formatter: (p) => {
        const item = Array.isArray(p) ? p[0] : p;
        const [x, y, score] = (item?.value ?? []) as [number, number, number];
        return `${names[y] ?? ''}<br/>${categories[x] ?? ''}: <b>${pctText(score)}</b>`;
      },
    },
    xAxis: { type: 'category', data: categories, splitArea: { show: true }, axisTick: { show: false } },
    yAxis: { type: 'category', data: names, splitArea: { show: true }, axisTick: { show: false }, inverse: true },
    visualMap: {
      type: 'piecewise',
      orient: 'horizontal',
      left: 'center',
      bottom: 0,
      pieces: [
        { min: SCORE_GOOD_PCT, max: 100, color: '#52c41a', label: `≥ ${SCORE_GOOD_PCT}%` },
        { min: SCORE_FAIR_PCT, max: SCORE_GOOD_PCT, color: '#faad14', label: `${SCORE_FAIR_PCT}–${SCORE_GOOD_PCT}%` },
        { min: 0, max: SCORE_FAIR_PCT, color: '#ff4d4f', label: `< ${SCORE_FAIR_PCT}%` },
      ],
    },
    series: [
      {
        type: 'heatmap',
        name: t('quality.score'),
        data: heatmapCells(nodes),
        label: {
          show: true,
          color: '#fff',
          fontWeight: 600,
          fontSize: 14,
          formatter: (p) => pctText((p.value as number[])[2] ?? null),
        },
        itemStyle: { borderColor: '#fff', borderWidth: 3, borderRadius: 4 },
        emphasis: { itemStyle: { shadowBlur: 8, shadowColor: 'rgba(0,0,0,0.25)' } },
      },
    ],
  };
}

/** The score of each category over runs, oldest first, with the good and fair lines marked. */
export function trendOption(t: Translate, lang: Lang, points: readonly CategoryTrendPoint[]): QualityChartOption {
  const labels = points.map((p) => {
    const ms = parseTimestamp(p.startedAt);
    return ms === null ? p.runId : formatDateTime(ms, lang);
  });
  return {
    grid: { left: 8, right: 24, top: 40, bottom: 8, containLabel: true },
    legend: { top: 0, icon: 'roundRect' },
    tooltip: {
      trigger: 'axis',
      valueFormatter: (v) => (typeof v === 'number' ? pctText(v) : '—'),
    },
    xAxis: { type: 'category', data: labels, boundaryGap: false, axisLabel: { hideOverlap: true } },
    yAxis: { type: 'value', min: 0, max: 100, axisLabel: { formatter: '{value}%' } },
    series: CATEGORY_KEYS.map((c, i) => ({
      type: 'line' as const,
      name: t(`quality.category.${c}`),
      data: points.map((p) => p.categories[c]),
      smooth: 0.3,
      connectNulls: true,
      symbolSize: 7,
      lineStyle: { width: 2.5 },
      itemStyle: { color: CATEGORY_COLORS[c] },
      ...(i === 0
        ? {
            markLine: {
              silent: true,
              symbol: 'none',
              label: { formatter: '{c}%', position: 'insideEndTop' as const },
              lineStyle: { type: 'dashed' as const, color: '#bfbfbf' },
              data: [{ yAxis: SCORE_GOOD_PCT }, { yAxis: SCORE_FAIR_PCT }],
            },
          }
        : {}),
    })),
  };
}
