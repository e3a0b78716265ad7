/**
 * A minimal React wrapper around ECharts, importing only what the portal draws (tree-shaken: core, bar and
 * line charts, grid, legend, tooltip, canvas renderer). The chart is created on mount, updated by merging each new
 * option (so live data animates instead of redrawing), resized with its box and disposed on unmount.
 */
import { BarChart, type BarSeriesOption, LineChart, type LineSeriesOption } from 'echarts/charts';
import {
  GridComponent,
  type GridComponentOption,
  LegendComponent,
  type LegendComponentOption,
  TooltipComponent,
  type TooltipComponentOption,
} from 'echarts/components';
import { type ComposeOption, type EChartsType, init, use } from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { type CSSProperties, useEffect, useRef } from 'react';

use([BarChart, LineChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

/** The chart options this wrapper can draw (only the registered chart types and components). */
export type EChartOption = ComposeOption<
  BarSeriesOption | LineSeriesOption | GridComponentOption | LegendComponentOption | TooltipComponentOption
>;

/** Props of `<EChart>`: the option (memoize it), the height, and a text alternative for screen readers. */
export interface EChartProps {
  option: EChartOption;
  height: number;
  ariaLabel: string;
  style?: CSSProperties;
}

/** Renders one ECharts chart into a div of the given height and the full available width. */
export function EChart({ option, height, ariaLabel, style }: EChartProps) {
  const boxRef = useRef<HTMLDivElement>(null);
  const chartRef = useRef<EChartsType | null>(null);

  useEffect(() => {
    const box = boxRef.current;
    if (!box) return;
    const chart = init(box, undefined, { renderer: 'canvas' });
    chartRef.current = chart;
    const observer = new ResizeObserver(() => chart.resize());
    observer.observe(box);
    return () => {
      observer.disconnect();
      chart.dispose();
      chartRef.current = null;
    };
  }, []);

  useEffect(() => {
    chartRef.current?.setOption(option);
  }, [option]);

  return <div ref={boxRef} role="img" aria-label={ariaLabel} style={{ width: '100%', height, ...style }} />;
}
