/**
 * One load in full, in a drawer beside the load history: its totals, every file it read, rejects by reason
 * as a bar chart, and rows by table. Loaded when the drawer opens (`GET /api/ingest/:node/loads/:loadId`).
 */
import { Button, Card, Col, Descriptions, Drawer, Empty, Row, Spin, Statistic, Table, Tag, Typography } from 'antd';
import { useCallback, useMemo } from 'react';
import { Link } from 'react-router-dom';
import type { FileSummaryView, LoadSummaryView } from '../api-types.ts';
import { EChart, type EChartOption } from '../components/echart.tsx';
import { useFetch } from '../components/use-fetch.ts';
import { formatDateTime, formatInteger, formatPercent, parseTimestamp } from '../i18n/format.ts';
import { type Translate, useLang, useT } from '../i18n/i18n-context.tsx';
import type { Lang } from '../i18n/messages.ts';
import { useSession } from '../session/session-context.tsx';
import { countsDescending, durationMs, rejectRate } from './ingest-helpers.ts';
import { durationText, ErrorAlert, ReasonTag, reasonName, StatusTag } from './ingest-text.tsx';

const DRAWER_WIDTH_PX = 880;
const CHART_ROW_HEIGHT_PX = 28;

function timeText(iso: string | null, lang: Lang): string {
  const ms = parseTimestamp(iso);
  return ms === null ? '—' : formatDateTime(ms, lang);
}

function reasonChart(t: Translate, lang: Lang, counts: Record<string, number>): EChartOption {
  const rows = countsDescending(counts).reverse();
  return {
    grid: { left: 8, right: 48, top: 8, bottom: 8, containLabel: true },
    tooltip: {
      trigger: 'axis',
      axisPointer: { type: 'shadow' },
      formatter: (params) => {
        const first = Array.isArray(params) ? params[0] : params;
        const code = String(first?.name ?? '');
        const value = typeof first?.value === 'number' ? formatInteger(first.value, lang) : '';
        return `${code}<br/>${reasonName(t, code)}: ${value}`;
      },
    },
    xAxis: { type: 'value', axisLabel: { formatter: (v: number) => formatInteger(v, lang) } },
    yAxis: { type: 'category', data: rows.map((r) => r.key), axisLabel: { fontFamily: 'monospace' } },
    series: [
      {
        type: 'bar',
        name: t('ingest.detail.rejects'),
        barMaxWidth: 20,
        itemStyle: { color: '#fa541c' },
        label: { show: true, position: 'right', formatter: (p) => formatInteger(Number(p.value), lang) },
        data: rows.map((r) => r.count),
      },
    ],
  };
}

function fileColumns(t: Translate, lang: Lang) {
  return [
    {
      title: t('ingest.file.name'),
      key: 'name',
      render: (_: unknown, f: FileSummaryView) => (
        <div>
          <Typography.Text style={{ whiteSpace: 'nowrap' }}>{f.name}</Typography.Text>
          {f.error ? (
            <div>
              <Typography.Text type="danger" style={{ fontSize: 12 }}>
                {f.error.code}: {f.error.message}
              </Typography.Text>
            </div>
          ) : null}
        </div>
      ),
    },
    { title: t('ingest.file.format'), key: 'format', render: (_: unknown, f: FileSummaryView) => f.format ?? '—' },
    {
      title: t('ingest.col.status'),
      key: 'status',
      render: (_: unknown, f: FileSummaryView) => <StatusTag t={t} status={f.status} />,
    },
    {
      title: t('ingest.col.records'),
      key: 'records',
      align: 'right' as const,
      render: (_: unknown, f: FileSummaryView) => formatInteger(f.recordsRead, lang),
    },
    {
      title: t('ingest.col.rows'),
      key: 'rows',
      align: 'right' as const,
      render: (_: unknown, f: FileSummaryView) => formatInteger(f.rowsLoaded, lang),
    },
    {
      title: t('ingest.col.rejected'),
      key: 'rejected',
      align: 'right' as const,
      render: (_: unknown, f: FileSummaryView) =>
        f.rejected > 0 ? <Typography.Text type="danger">{formatInteger(f.rejected, lang)}</Typography.Text> : '0',
    },
    {
      title: t('ingest.file.mapping'),
      key: 'mapping',
      render: (_: unknown, f: FileSummaryView) =>
        f.mappingVersions.length === 0
          ? '—'
          : f.mappingVersions.map((v) => (
              <Tag key={v} style={{ marginBottom: 2 }}>
                {v}
              </Tag>
            )),
    },
  ];
}

/** The drawer; `loadId` null keeps it closed. `onShowRejects` filters the quarantine to this load. */
export function LoadDrawer({
  node,
  loadId,
  onClose,
  onShowRejects,
}: {
  node: string;
  loadId: string | null;
  onClose: () => void;
  onShowRejects: (loadId: string) => void;
}) {
  const t = useT();
  const { lang } = useLang();
  const { api } = useSession();
  const load = useCallback(
    (signal: AbortSignal) =>
      api.request<LoadSummaryView>(
        `/api/ingest/${encodeURIComponent(node)}/loads/${encodeURIComponent(loadId ?? '')}`,
        { signal },
      ),
    [api, node, loadId],
  );
  const { data, error, loading } = useFetch(loadId ? load : null);
  const chart = useMemo(() => (data ? reasonChart(t, lang, data.rejectsByReason) : null), [t, lang, data]);
  const unmappedCodes = useMemo(
    () => new Set(data?.files.flatMap((f) => f.unmapped.map((u) => `${u.spec}/${u.codeMap}/${u.code}`)) ?? []).size,
    [data],
  );

  const reasons = data ? countsDescending(data.rejectsByReason) : [];
  const tables = data ? countsDescending(data.rowsByTable) : [];
  const duration = data ? durationMs(data.startedAt, data.finishedAt) : null;

  return (
    <Drawer
      open={loadId !== null}
      onClose={onClose}
      size={DRAWER_WIDTH_PX}
      title={t('ingest.detail.title', { id: loadId ?? '' })}
      destroyOnHidden
      extra={
        data && data.totals.rejected > 0 ? (
          <Button data-testid="load-show-rejects" onClick={() => onShowRejects(data.loadId)}>
            {t('ingest.detail.showRejects')}
          </Button>
        ) : null
      }
    >
      <div data-testid="load-drawer" style={{ display: 'flex', flexDirection: 'column', gap: 16 }}>
        {error ? <ErrorAlert t={t} error={error} title={t('ingest.detail.loadFailed')} /> : null}
        {loading && !data ? (
          <div style={{ padding: 48, textAlign: 'center' }}>
            <Spin />
          </div>
        ) : null}
        {data ? (
          <>
            <Descriptions
              size="small"
              column={2}
              bordered
              items={[
                { key: 'source', label: t('ingest.col.source'), children: data.source },
                {
                  key: 'id',
                  label: t('ingest.detail.loadId'),
                  children: <Typography.Text code>{data.loadId}</Typography.Text>,
                },
                { key: 'started', label: t('ingest.detail.started'), children: timeText(data.startedAt, lang) },
                {
                  key: 'duration',
                  label: t('ingest.detail.duration'),
                  children: duration === null ? '—' : durationText(t, duration),
                },
                {
                  key: 'files',
                  label: t('ingest.col.files'),
                  children: t('ingest.detail.fileCounts', {
                    loaded: data.totals.loaded,
                    unchanged: data.totals.unchanged,
                    failed: data.totals.failed,
                  }),
                },
                {
                  key: 'notary',
                  label: t('ingest.detail.notarized'),
                  children: data.notarized ? (
                    <Typography.Text code title={data.notarized.batchRoot}>
                      {t('ingest.detail.notarizedValue', {
                        n: formatInteger(data.notarized.entries, lang),
                        root: data.notarized.batchRoot.slice(0, 12),
                      })}
                    </Typography.Text>
                  ) : (
                    t('ingest.detail.notNotarized')
                  ),
                },
              ]}
            />
            <Row gutter={16}>
              <Col span={6}>
                <Statistic title={t('ingest.col.records')} value={formatInteger(data.totals.recordsRead, lang)} />
              </Col>
              <Col span={6}>
                <Statistic
                  title={t('ingest.col.rows')}
                  value={formatInteger(data.totals.rowsLoaded, lang)}
                  styles={{ content: { color: '#389e0d' } }}
                />
              </Col>
              <Col span={6}>
                <Statistic
                  title={t('ingest.col.rejected')}
                  value={formatInteger(data.totals.rejected, lang)}
                  styles={{ content: { color: data.totals.rejected > 0 ? '#d4380d' : undefined } }}
                />
              </Col>
              <Col span={6}>
                <Statistic
                  title={t('ingest.detail.rejectRate')}
                  value={formatPercent(rejectRate(data.totals.rejected, data.totals.recordsRead), lang)}
                />
              </Col>
            </Row>
            <Card
              size="small"
              title={t('ingest.detail.files', { n: data.files.length })}
              styles={{ body: { padding: 0 } }}
            >
              <Table<FileSummaryView>
                data-testid="load-files"
                size="small"
                rowKey={(f) => `${f.name}@${f.version}`}
                columns={fileColumns(t, lang)}
                dataSource={data.files}
                scroll={{ x: 'max-content' }}
                pagination={data.files.length > 10 ? { pageSize: 10, size: 'small' } : false}
              />
            </Card>
            <Row gutter={16}>
              <Col span={14}>
                <Card size="small" title={t('ingest.detail.rejectsByReason')} style={{ height: '100%' }}>
                  {chart && reasons.length > 0 ? (
                    <EChart
                      option={chart}
                      height={Math.max(120, reasons.length * CHART_ROW_HEIGHT_PX + 32)}
                      ariaLabel={t('ingest.detail.rejectsChartLabel')}
                    />
                  ) : (
                    <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('ingest.detail.noRejects')} />
                  )}
                  {reasons.length > 0 ? (
                    <div style={{ display: 'flex', flexWrap: 'wrap', gap: 6, marginTop: 8 }}>
                      {reasons.map((r) => (
                        <span key={r.key} style={{ fontSize: 12 }}>
                          <ReasonTag t={t} code={r.key} /> {reasonName(t, r.key) === r.key ? '' : reasonName(t, r.key)}
                        </span>
                      ))}
                    </div>
                  ) : null}
                </Card>
              </Col>
              <Col span={10}>
                <Card size="small" title={t('ingest.detail.rowsByTable')} styles={{ body: { padding: 0 } }}>
                  <Table<{ key: string; count: number }>
                    data-testid="load-tables"
                    size="small"
                    rowKey="key"
                    pagination={false}
                    dataSource={tables}
                    locale={{ emptyText: t('ingest.detail.noRows') }}
                    columns={[
                      {
                        title: t('ingest.detail.table'),
                        key: 'table',
                        render: (_, r) => <Typography.Text code>{r.key}</Typography.Text>,
                      },
                      {
                        title: t('ingest.col.rows'),
                        key: 'rows',
                        align: 'right',
                        render: (_, r) => formatInteger(r.count, lang),
                      },
                    ]}
                  />
                </Card>
              </Col>
            </Row>
            {unmappedCodes > 0 ? (
              <Typography.Paragraph type="secondary" style={{ margin: 0 }}>
                {t('ingest.detail.unmapped', { n: unmappedCodes })}{' '}
                <Link to={`/mappings?node=${encodeURIComponent(node)}`}>{t('ingest.detail.toMappings')}</Link>
              </Typography.Paragraph>
            ) : null}
          </>
        ) : null}
      </div>
    </Drawer>
  );
}
