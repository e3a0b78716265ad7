/**
 * The chart of an analysis result: an ECharts canvas with the chart types the results draw (bar, line, scatter,
 * custom for confidence intervals), created on mount, updated with each new option (replacing it, since a
 * result's series differ), resized with its box and disposed on unmount. The caller gets the chart instance
 * through `onChart`, to export it as a PNG (getDataURL) or put it in a PDF report.
 */
import { BarChart, CustomChart, LineChart, ScatterChart } from 'echarts/charts';
import { GridComponent, LegendComponent, MarkLineComponent, TooltipComponent } from 'echarts/components';
import { type EChartsType, init, use } from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { useEffect, useRef } from 'react';
import type { AnalysisChartOption } from './charts.ts';

use([
  BarChart,
  CustomChart,
  LineChart,
  ScatterChart,
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  TooltipComponent,
  CanvasRenderer,
]);

/** Props of an analysis chart: the option (memoize it), its height, a text alternative, a test id, the instance hook. */
export interface AnalysisChartProps {
  option: AnalysisChartOption;
  height: number;
  ariaLabel: string;
  testId?: string;
  onChart?: (chart: EChartsType | null) => void;
}

/** One analysis chart, the full available width. */
export function AnalysisChart({ option, height, ariaLabel, testId, onChart }: AnalysisChartProps) {
  const boxRef = useRef<HTMLDivElement>(null);
  const chartRef = useRef<EChartsType | null>(null);
  const onChartRef = useRef(onChart);
  onChartRef.current = onChart;

  useEffect(() => {
    const box = boxRef.current;
    if (!box) return;
    const chart = init(box, undefined, { renderer: 'canvas' });
    chartRef.current = chart;
    onChartRef.current?.(chart);
    const observer = new ResizeObserver(() => chart.resize());
    observer.observe(box);
    return () => {
      observer.disconnect();
      onChartRef.current?.(null);
      chart.dispose();
      chartRef.current = null;
    };
  }, []);

  useEffect(() => {
    chartRef.current?.setOption(option, { notMerge: true });
  }, [option]);

  return <div ref={boxRef} data-testid={testId} role="img" aria-label={ariaLabel} style={{ width: '100%', height }} />;
}
