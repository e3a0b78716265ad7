/**
 * The answer of a feasibility count: the total, a bar per hospital and a table with how each count was released
 * (exact, noisy, "at most", suppressed under the minimum cell, or missing with the hospital's reason), plus the
 * codes no vocabulary knows and the ledger's authorization of the count task.
 */
import { Alert, Card, Statistic, Table, Tag, Typography } from 'antd';
import { type HTMLAttributes, useMemo } from 'react';
import type { CountAnswer } from '../api-types.ts';
import { EChart, type EChartOption } from '../components/echart.tsx';
import { formatInteger } from '../i18n/format.ts';
import { type Translate, useLang, useT } from '../i18n/i18n-context.tsx';
import type { Lang } from '../i18n/messages.ts';
import { type CountRow, type CountRowKind, countBarValue, countRows } from './count-helpers.ts';

const KIND_COLORS: Record<CountRowKind, string> = {
  exact: 'green',
  noisy: 'purple',
  atMost: 'gold',
  suppressed: 'default',
  missing: 'red',
};

const BAR_COLORS: Record<CountRowKind, string> = {
  exact: '#1668dc',
  noisy: '#722ed1',
  atMost: '#d48806',
  suppressed: '#bfbfbf',
  missing: '#ff7875',
};

/** A hospital's count as text: the number, ≈ a noisy one, ≤ a bound, "< min cell", or a dash when missing. */
function countValueText(t: Translate, lang: Lang, r: CountRow, minCell: number | null): string {
  switch (r.kind) {
    case 'exact':
      return formatInteger(r.value ?? 0, lang);
    case 'noisy':
      return `≈ ${formatInteger(r.value ?? 0, lang)}`;
    case 'atMost':
      return `≤ ${formatInteger(r.value ?? 0, lang)}`;
    case 'suppressed':
      return t('cohort.count.belowMinCell', { minCell: minCell ?? '?' });
    case 'missing':
      return '—';
  }
}

/** The count answer as a total, a bar chart and a table. */
export function CountResult({ answer }: { answer: CountAnswer }) {
  const t = useT();
  const { lang } = useLang();
  const rows = useMemo(() => countRows(answer), [answer]);
  const minCell = answer.minCell;

  const valueText = (r: CountRow) => countValueText(t, lang, r, minCell);

  const option = useMemo<EChartOption>(
    () => ({
      grid: { left: 56, right: 16, top: 24, bottom: 32 },
      tooltip: { trigger: 'axis' },
      xAxis: { type: 'category', data: rows.map((r) => r.hospital) },
      yAxis: { type: 'value', minInterval: 1 },
      series: [
        {
          type: 'bar',
          barMaxWidth: 56,
          data: rows.map((r) => ({
            value: countBarValue(r, minCell),
            itemStyle: { color: BAR_COLORS[r.kind], ...(r.kind === 'suppressed' ? { opacity: 0.6 } : {}) },
            label: { show: true, position: 'top' as const, formatter: countValueText(t, lang, r, minCell) },
          })),
        },
      ],
    }),
    [rows, minCell, lang, t],
  );

  return (
    <div data-testid="cohort-count-result" style={{ display: 'flex', flexDirection: 'column', gap: 12 }}>
      <div style={{ display: 'flex', gap: 24, flexWrap: 'wrap' }}>
        <Statistic
          title={answer.partial ? t('cohort.count.totalPartial') : t('cohort.count.total')}
          value={answer.total}
          formatter={(v) => <span data-testid="cohort-count-total">{formatInteger(Number(v), lang)}</span>}
        />
        <Statistic title={t('cohort.count.minCell')} value={minCell ?? '—'} />
        <Statistic
          title={t('cohort.count.hospitals')}
          value={`${rows.length - answer.missing.length} / ${rows.length}`}
        />
      </div>
      {answer.partial ? (
        <Alert type="warning" showIcon title={t('cohort.count.partial', { n: answer.missing.length })} />
      ) : null}
      {answer.suppressed.length > 0 ? (
        <Alert type="info" showIcon title={t('cohort.count.suppressedNote', { minCell: minCell ?? '?' })} />
      ) : null}
      {answer.unknownCodes.length > 0 ? (
        <Alert
          type="warning"
          showIcon
          title={t('cohort.count.unknownCodes')}
          description={answer.unknownCodes.map((c) => (
            <Tag key={c} style={{ fontFamily: 'monospace' }}>
              {c}
            </Tag>
          ))}
        />
      ) : null}
      <Card size="small">
        <EChart option={option} height={260} ariaLabel={t('cohort.count.chart')} />
      </Card>
      <Table<CountRow>
        size="small"
        rowKey="hospital"
        pagination={false}
        dataSource={rows}
        data-testid="cohort-count-table"
        onRow={(r) => ({ 'data-testid': `cohort-count-row-${r.hospital}` }) as HTMLAttributes<HTMLElement>}
        columns={[
          { title: t('cohort.count.col.hospital'), dataIndex: 'hospital' },
          {
            title: t('cohort.count.col.count'),
            key: 'count',
            align: 'right',
            render: (_, r) => <span style={{ fontVariantNumeric: 'tabular-nums' }}>{valueText(r)}</span>,
          },
          {
            title: t('cohort.count.col.release'),
            key: 'kind',
            render: (_, r) => <Tag color={KIND_COLORS[r.kind]}>{t(`cohort.count.kind.${r.kind}`)}</Tag>,
          },
          {
            title: t('cohort.count.col.reason'),
            key: 'reason',
            render: (_, r) =>
              r.reason ? (
                <span>
                  <Typography.Text code>{r.reason.code}</Typography.Text> {r.reason.message}
                </span>
              ) : null,
          },
        ]}
      />
      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
        {t('cohort.count.ledger', { height: answer.authorizedAt.height, tx: answer.authorizedAt.txHash.slice(0, 16) })}
      </Typography.Text>
    </div>
  );
}
