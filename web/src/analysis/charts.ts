/**
 * ECharts options of the analysis results, built from the pure readings of result-data.ts: the forest plot
 * (ratios with their confidence intervals on a log axis, a dashed line at no effect), Kaplan–Meier step curves
 * with confidence bands, histograms with suppressed bins marked, and FedAvg training curves (loss and AUC per
 * round). Pure: labels come in already translated.
 */

import type { CustomSeriesRenderItemAPI, CustomSeriesRenderItemParams } from 'echarts';
import type { BarSeriesOption, CustomSeriesOption, LineSeriesOption, ScatterSeriesOption } from 'echarts/charts';
import type {
  GridComponentOption,
  LegendComponentOption,
  MarkLineComponentOption,
  TooltipComponentOption,
} from 'echarts/components';
import type { ComposeOption } from 'echarts/core';
import { type EffectScale, type ForestRow, formatEffect, formatP, type KmCurve } from './result-data.ts';

/** The options the analysis charts use. */
export type AnalysisChartOption = ComposeOption<
  | BarSeriesOption
  | LineSeriesOption
  | ScatterSeriesOption
  | CustomSeriesOption
  | GridComponentOption
  | LegendComponentOption
  | MarkLineComponentOption
  | TooltipComponentOption
>;

/** The palette of groups and series (antd's blue, cyan, orange, purple, green, magenta). */
export const SERIES_COLORS = ['#1668dc', '#13a8a8', '#fa8c16', '#722ed1', '#52c41a', '#eb2f96'];

/** The height of a forest plot for a number of rows, in pixels. */
export function forestHeight(rows: number): number {
  return Math.max(160, 56 + rows * 36);
}

/** A forest plot: one row per term, top to bottom in model order; ratios on a log axis around 1. */
export function forestOption(rows: readonly ForestRow[], scale: EffectScale, axisName: string): AnalysisChartOption {
  const log = scale !== 'coefficient';
  const reference = log ? 1 : 0;
  const ordered = [...rows].reverse();
  const values = ordered
    .flatMap((r) => [r.lower, r.upper, r.effect])
    .filter((v) => Number.isFinite(v) && (!log || v > 0));
  const lo = Math.min(reference, ...values);
  const hi = Math.max(reference, ...values);
  // Ratios: powers of two around the data (…, 0.5, 1, 2, 4, …) so the ticks read as halvings and doublings.
  const pad = (hi - lo) * 0.08 || 1;
  const min = log ? 2 ** Math.floor(Math.log2(lo / 1.05)) : lo - pad;
  const max = log ? 2 ** Math.ceil(Math.log2(hi * 1.05)) : hi + pad;
  const renderItem = (_params: CustomSeriesRenderItemParams, api: CustomSeriesRenderItemAPI) => {
    const lower = api.coord([api.value(0), api.value(2)]) as number[];
    const upper = api.coord([api.value(1), api.value(2)]) as number[];
    const cap = 6;
    const style = { stroke: SERIES_COLORS[0], lineWidth: 2 };
    return {
      type: 'group' as const,
      children: [
        { type: 'line' as const, shape: { x1: lower[0], y1: lower[1], x2: upper[0], y2: upper[1] }, style },
        {
          type: 'line' as const,
          shape: { x1: lower[0], y1: (lower[1] ?? 0) - cap, x2: lower[0], y2: (lower[1] ?? 0) + cap },
          style,
        },
        {
          type: 'line' as const,
          shape: { x1: upper[0], y1: (upper[1] ?? 0) - cap, x2: upper[0], y2: (upper[1] ?? 0) + cap },
          style,
        },
      ],
    };
  };
  return {
    animation: false,
    grid: { left: 16, right: 24, top: 16, bottom: 40, containLabel: true },
    tooltip: {
      trigger: 'item',
      formatter: (p: unknown) => {
        const index = (p as { dataIndex: number }).dataIndex;
        const r = ordered[index];
        return r
          ? `${r.name}<br/>${formatEffect(r.effect)} (${formatEffect(r.lower)}–${formatEffect(r.upper)}), p ${formatP(r.pValue)}`
          : '';
      },
    },
    xAxis: {
      type: log ? 'log' : 'value',
      ...(log ? { logBase: 2 } : {}),
      name: axisName,
      nameLocation: 'middle',
      nameGap: 26,
      min,
      max,
      axisLabel: { formatter: (v: number) => formatEffect(v) },
      splitLine: { lineStyle: { type: 'dashed', opacity: 0.5 } },
    },
    yAxis: { type: 'category', data: ordered.map((r) => r.name), axisTick: { show: false } },
    series: [
      {
        type: 'custom',
        renderItem: renderItem as unknown as CustomSeriesOption['renderItem'],
        encode: { x: [0, 1], y: 2 },
        data: ordered.map((r, i) => [r.lower, r.upper, i]),
        z: 1,
      },
      {
        type: 'scatter',
        symbol: 'rect',
        symbolSize: 11,
        itemStyle: { color: SERIES_COLORS[0] },
        data: ordered.map((r) => [r.effect, r.name]),
        z: 2,
        markLine: {
          silent: true,
          symbol: 'none',
          label: { show: false },
          lineStyle: { type: 'dashed', color: '#8c8c8c' },
          data: [{ xAxis: reference }],
        },
      },
    ],
  };
}

/** Kaplan–Meier curves: a step line per group and its confidence band. */
export function kmOption(
  curves: readonly KmCurve[],
  labels: { time: string; survival: string },
  maxDays: number,
): AnalysisChartOption {
  const series: AnalysisChartOption['series'] = [];
  curves.forEach((c, i) => {
    const color = SERIES_COLORS[i % SERIES_COLORS.length] as string;
    const lower = c.points.map((p) => [p.time, p.lower ?? p.survival]);
    const width = c.points.map((p) => [p.time, (p.upper ?? p.survival) - (p.lower ?? p.survival)]);
    const stack = `band-${i}`;
    series.push(
      {
        type: 'line',
        name: `${c.group}-lower`,
        step: 'end',
        stack,
        symbol: 'none',
        lineStyle: { opacity: 0 },
        tooltip: { show: false },
        data: lower,
        silent: true,
      },
      {
        type: 'line',
        name: `${c.group}-band`,
        step: 'end',
        stack,
        symbol: 'none',
        lineStyle: { opacity: 0 },
        areaStyle: { color, opacity: 0.15 },
        tooltip: { show: false },
        data: width,
        silent: true,
      },
      {
        type: 'line',
        name: c.group,
        step: 'end',
        symbol: 'none',
        lineStyle: { color, width: 2 },
        itemStyle: { color },
        data: c.points.map((p) => [p.time, p.survival]),
      },
    );
  });
  return {
    animation: false,
    color: SERIES_COLORS,
    legend: { data: curves.map((c) => c.group), top: 0 },
    grid: { left: 56, right: 24, top: 36, bottom: 44 },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'value', name: labels.time, nameLocation: 'middle', nameGap: 28, min: 0, max: maxDays },
    yAxis: { type: 'value', name: labels.survival, min: 0, max: 1 },
    series,
  };
}

/** A histogram: one bar per bin; suppressed bins are grey, labelled "<min cell", and drawn at zero. */
export function histogramOption(
  bars: readonly { label: string; count: number | null }[],
  minCell: number,
): AnalysisChartOption {
  return {
    animation: false,
    grid: { left: 48, right: 16, top: 24, bottom: 56 },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'category', data: bars.map((b) => b.label), axisLabel: { rotate: 40, fontSize: 10 } },
    yAxis: { type: 'value', minInterval: 1 },
    series: [
      {
        type: 'bar',
        barCategoryGap: '8%',
        data: bars.map((b) =>
          b.count === null
            ? {
                value: 0,
                itemStyle: { color: '#d9d9d9' },
                label: { show: true, position: 'top' as const, formatter: `<${minCell}`, fontSize: 9 },
              }
            : { value: b.count, itemStyle: { color: SERIES_COLORS[0] } },
        ),
      },
    ],
  };
}

/** FedAvg training curves: training and evaluation loss (left axis) and AUC (right axis) per round. */
export function trainingOption(
  history: readonly { round: number; trainLoss: number; loss: number; auc: number | null }[],
  labels: { round: string; trainLoss: string; loss: string; auc: string },
): AnalysisChartOption {
  return {
    animation: false,
    color: SERIES_COLORS,
    legend: { top: 0, data: [labels.trainLoss, labels.loss, labels.auc] },
    grid: { left: 56, right: 56, top: 36, bottom: 44 },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'value', name: labels.round, nameLocation: 'middle', nameGap: 28, minInterval: 1 },
    yAxis: [
      { type: 'value', name: labels.loss, scale: true },
      { type: 'value', name: labels.auc, min: 0.5, max: 1, splitLine: { show: false } },
    ],
    series: [
      { type: 'line', name: labels.trainLoss, data: history.map((h) => [h.round, h.trainLoss]), symbolSize: 5 },
      { type: 'line', name: labels.loss, data: history.map((h) => [h.round, h.loss]), symbolSize: 5 },
      {
        type: 'line',
        name: labels.auc,
        yAxisIndex: 1,
        data: history.filter((h) => h.auc !== null).map((h) => [h.round, h.auc as number]),
        symbolSize: 5,
        lineStyle: { type: 'dashed' },
      },
    ],
  };
}
