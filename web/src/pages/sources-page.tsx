/**
 * Sources & loads (数据源与加载): a hospital node's load history, refreshed every 5 s so a running load shows
 * its progress; a drawer with one load in full; and the quarantine — the records a load refused, where they
 * are and why (never their values), filterable by load and by reason code. A steward sees their own
 * hospital, an admin picks a node; every answer comes from the node through the hub.
 */
import { ReloadOutlined } from '@ant-design/icons';
import {
  Alert,
  Button,
  Card,
  Col,
  Empty,
  Progress,
  Row,
  Select,
  Statistic,
  Table,
  type TableProps,
  Tooltip,
  Typography,
} from 'antd';
import { type HTMLAttributes, useCallback, useMemo, useState } from 'react';
import type { LoadRow, LoadSummaryView, LoadsResponse, QuarantineResponse, QuarantineRow } from '../api-types.ts';
import { NoPermission } from '../components/no-permission.tsx';
import { useFetch } from '../components/use-fetch.ts';
import { usePoll } from '../components/use-poll.ts';
import { formatDateTime, formatInteger, formatPercent, parseTimestamp } from '../i18n/format.ts';
import { type Translate, useLang, useT } from '../i18n/i18n-context.tsx';
import type { Lang } from '../i18n/messages.ts';
import { countsDescending, durationMs, rejectRate } from '../ingest/ingest-helpers.ts';
import { type IngestNode, NodeBar, useIngestNode } from '../ingest/ingest-node.tsx';
import { durationText, ErrorAlert, ReasonTag, reasonName, StatusTag } from '../ingest/ingest-text.tsx';
import { LoadDrawer } from '../ingest/load-drawer.tsx';
import { LineageDrawer, type LineageTarget } from '../lineage/lineage-drawer.tsx';
import { useSession } from '../session/session-context.tsx';

/** How often the load history is refreshed. */
export const LOADS_POLL_INTERVAL_MS = 5_000;
/** Most loads listed. */
const LOADS_LIMIT = 100;
/** Most quarantined records listed at once (the hub allows up to 1000). */
const QUARANTINE_LIMIT = 200;
/** The quarantine filter value meaning every load. */
const ALL_LOADS = '*';

function timeText(iso: string | null, lang: Lang): string {
  const ms = parseTimestamp(iso);
  return ms === null ? '—' : formatDateTime(ms, lang);
}

function loadColumns(t: Translate, lang: Lang, open: (id: string) => void): TableProps<LoadRow>['columns'] {
  return [
    {
      title: t('ingest.col.time'),
      key: 'time',
      render: (_, l) => {
        const d = durationMs(l.startedAt, l.finishedAt);
        return (
          <div>
            <Typography.Text>{timeText(l.startedAt, lang)}</Typography.Text>
            {d === null ? null : (
              <div>
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {durationText(t, d)}
                </Typography.Text>
              </div>
            )}
          </div>
        );
      },
    },
    { title: t('ingest.col.source'), dataIndex: 'source', key: 'source' },
    {
      title: t('ingest.col.files'),
      key: 'files',
      align: 'right',
      render: (_, l) => formatInteger(l.files, lang),
    },
    {
      title: t('ingest.col.records'),
      key: 'records',
      align: 'right',
      render: (_, l) => formatInteger(l.recordsRead, lang),
    },
    {
      title: t('ingest.col.rows'),
      key: 'rows',
      align: 'right',
      render: (_, l) => (
        <Typography.Text strong data-testid={`load-rows-${l.loadId}`}>
          {formatInteger(l.rowsLoaded, lang)}
        </Typography.Text>
      ),
    },
    {
      title: t('ingest.col.rejected'),
      key: 'rejected',
      align: 'right',
      render: (_, l) =>
        l.rejected > 0 ? (
          <Tooltip title={t('ingest.rejectRate', { rate: formatPercent(rejectRate(l.rejected, l.recordsRead), lang) })}>
            <Typography.Text type="danger">{formatInteger(l.rejected, lang)}</Typography.Text>
          </Tooltip>
        ) : (
          '0'
        ),
    },
    { title: t('ingest.col.status'), key: 'status', render: (_, l) => <StatusTag t={t} status={l.status} /> },
    {
      title: '',
      key: 'open',
      align: 'right',
      render: (_, l) => (
        <Button type="link" size="small" data-testid={`load-open-${l.loadId}`} onClick={() => open(l.loadId)}>
          {t('ingest.details')}
        </Button>
      ),
    },
  ];
}

function quarantineColumns(
  t: Translate,
  onTrace: ((r: QuarantineRow) => void) | null,
): TableProps<QuarantineRow>['columns'] {
  const nowrap = { whiteSpace: 'nowrap' } as const;
  const trace: NonNullable<TableProps<QuarantineRow>['columns']> = onTrace
    ? [
        {
          title: '',
          key: 'trace',
          render: (_, r) => (
            <Button size="small" data-testid="quarantine-trace" onClick={() => onTrace(r)}>
              {t('lineage.trace')}
            </Button>
          ),
        },
      ]
    : [];
  return [
    {
      title: t('ingest.q.position'),
      key: 'position',
      render: (_, r) => (
        <Typography.Text code style={nowrap}>
          {r.position.startsWith(r.file) ? r.position : `${r.file} · ${r.position}`}
        </Typography.Text>
      ),
    },
    { title: t('ingest.q.reason'), key: 'reason', render: (_, r) => <ReasonTag t={t} code={r.code} /> },
    {
      title: t('ingest.q.field'),
      key: 'field',
      render: (_, r) => (r.field ? <Typography.Text style={nowrap}>{r.field}</Typography.Text> : '—'),
    },
    { title: t('ingest.q.message'), dataIndex: 'message', key: 'message' },
    {
      title: t('ingest.q.mapping'),
      key: 'mapping',
      render: (_, r) => (
        <Typography.Text type="secondary" style={{ ...nowrap, fontSize: 12 }}>
          {r.mappingVersion ?? '—'}
        </Typography.Text>
      ),
    },
    ...trace,
  ];
}

/** The running load's progress, while there is one. */
function RunningLoad({
  t,
  lang,
  running,
}: {
  t: Translate;
  lang: Lang;
  running: NonNullable<LoadsResponse['running']>;
}) {
  const p = running.progress;
  const percent = p && p.bytesTotal > 0 ? Math.floor((100 * p.bytesDone) / p.bytesTotal) : 0;
  return (
    <Alert
      type="info"
      showIcon
      title={t('ingest.running', { id: running.loadId })}
      description={
        p ? (
          <div>
            <Progress percent={percent} size="small" status="active" />
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {t('ingest.runningDetail', {
                phase: t(`ingest.phase.${p.phase}`),
                done: p.filesDone,
                total: p.filesTotal,
                rows: formatInteger(p.rowsLoaded, lang),
                rejected: formatInteger(p.rejected, lang),
              })}
            </Typography.Text>
          </div>
        ) : null
      }
    />
  );
}

/** The sources & loads page; its filters and drawer start afresh when the node changes. */
export function SourcesPage() {
  const ingest = useIngestNode();
  return <SourcesView key={ingest.node ?? ''} ingest={ingest} />;
}

function SourcesView({ ingest }: { ingest: IngestNode }) {
  const t = useT();
  const { lang } = useLang();
  const { api } = useSession();
  const node = ingest.node;
  const base = node ? `/api/ingest/${encodeURIComponent(node)}` : null;

  const loadLoads = useCallback(
    (signal: AbortSignal) =>
      base ? api.request<LoadsResponse>(`${base}/loads?limit=${LOADS_LIMIT}`, { signal }) : Promise.resolve(null),
    [api, base],
  );
  const loads = usePoll(loadLoads, LOADS_POLL_INTERVAL_MS);
  const history = useMemo(() => (base ? (loads.data?.loads ?? []) : []), [base, loads.data]);
  const newest = history[0]?.loadId ?? null;

  const [openLoad, setOpenLoad] = useState<string | null>(null);
  const [loadFilter, setLoadFilter] = useState<string | null>(null);
  const [reasonFilter, setReasonFilter] = useState<string | null>(null);
  const quarantineLoad = loadFilter ?? newest ?? ALL_LOADS;

  const loadReasons = useCallback(
    (signal: AbortSignal) =>
      api.request<LoadSummaryView>(`${base}/loads/${encodeURIComponent(quarantineLoad)}`, { signal }),
    [api, base, quarantineLoad],
  );
  const summary = useFetch(base && quarantineLoad !== ALL_LOADS ? loadReasons : null);
  const reasons = useMemo(() => countsDescending(summary.data?.rejectsByReason ?? {}), [summary.data]);

  const loadQuarantine = useCallback(
    (signal: AbortSignal) => {
      const q = new URLSearchParams({ limit: String(QUARANTINE_LIMIT) });
      if (quarantineLoad !== ALL_LOADS) q.set('loadId', quarantineLoad);
      if (reasonFilter) q.set('code', reasonFilter);
      return api.request<QuarantineResponse>(`${base}/quarantine?${q}`, { signal });
    },
    [api, base, quarantineLoad, reasonFilter],
  );
  const quarantine = useFetch(base && (newest || loadFilter) ? loadQuarantine : null);

  const columns = useMemo(() => loadColumns(t, lang, setOpenLoad), [t, lang]);
  const [trace, setTrace] = useState<LineageTarget | null>(null);
  // Source records hold identifiers: only the hospital's own steward traces to them.
  const qColumns = useMemo(
    () =>
      quarantineColumns(
        t,
        ingest.canEdit && node
          ? (r) => setTrace({ node, sha256: r.sha256, position: r.position, mappingVersion: r.mappingVersion })
          : null,
      ),
    [t, ingest.canEdit, node],
  );

  if (!ingest.allowed || loads.error?.status === 403) return <NoPermission code={loads.error?.code} />;

  const latest = history[0];
  const reasonOptions = reasons.map((r) => ({
    value: r.key,
    label: `${r.key} · ${reasonName(t, r.key) === r.key ? '' : `${reasonName(t, r.key)} · `}${formatInteger(r.count, lang)}`,
  }));
  if (reasonFilter && !reasons.some((r) => r.key === reasonFilter))
    reasonOptions.push({ value: reasonFilter, label: reasonFilter });

  return (
    <div data-testid="sources-page" style={{ display: 'flex', flexDirection: 'column', gap: 16 }}>
      <Card size="small">
        <div
          style={{ display: 'flex', justifyContent: 'space-between', alignItems: 'center', gap: 16, flexWrap: 'wrap' }}
        >
          <NodeBar ingest={ingest} />
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {t('ingest.live', { seconds: LOADS_POLL_INTERVAL_MS / 1000 })}
          </Typography.Text>
        </div>
      </Card>

      {loads.error && loads.error.status !== 403 ? (
        <ErrorAlert t={t} error={loads.error} title={t('ingest.loadsFailed')} />
      ) : null}
      {loads.data?.running ? <RunningLoad t={t} lang={lang} running={loads.data.running} /> : null}

      {latest ? (
        <Row gutter={[16, 16]}>
          <Col xs={12} lg={6}>
            <Card size="small">
              <Statistic
                title={t('ingest.latest.when')}
                value={timeText(latest.startedAt, lang)}
                styles={{ content: { fontSize: 18 } }}
              />
            </Card>
          </Col>
          <Col xs={12} lg={6}>
            <Card size="small">
              <Statistic title={t('ingest.latest.records')} value={formatInteger(latest.recordsRead, lang)} />
            </Card>
          </Col>
          <Col xs={12} lg={6}>
            <Card size="small">
              <Statistic
                data-testid="latest-rows"
                title={t('ingest.latest.rows')}
                value={formatInteger(latest.rowsLoaded, lang)}
                styles={{ content: { color: '#389e0d' } }}
              />
            </Card>
          </Col>
          <Col xs={12} lg={6}>
            <Card size="small">
              <Statistic
                title={t('ingest.latest.rejected')}
                value={formatInteger(latest.rejected, lang)}
                suffix={
                  <Typography.Text type="secondary" style={{ fontSize: 14 }}>
                    ({formatPercent(rejectRate(latest.rejected, latest.recordsRead), lang)})
                  </Typography.Text>
                }
                styles={{ content: { color: latest.rejected > 0 ? '#d4380d' : undefined } }}
              />
            </Card>
          </Col>
        </Row>
      ) : null}

      <Card title={t('ingest.history')} styles={{ body: { padding: 0 } }}>
        <Table<LoadRow>
          data-testid="loads-table"
          rowKey="loadId"
          size="middle"
          columns={columns}
          dataSource={history}
          loading={Boolean(base) && !loads.data && !loads.error}
          pagination={history.length > 10 ? { pageSize: 10 } : false}
          locale={{ emptyText: loads.data ? t('ingest.noLoads') : ' ' }}
          onRow={(l) =>
            ({
              'data-testid': `load-row-${l.loadId}`,
              onDoubleClick: () => setOpenLoad(l.loadId),
            }) as HTMLAttributes<HTMLElement>
          }
        />
      </Card>

      <Card
        title={t('ingest.quarantine')}
        extra={
          <div style={{ display: 'flex', gap: 8, flexWrap: 'wrap' }}>
            <Select
              data-testid="quarantine-load"
              size="small"
              style={{ minWidth: 230 }}
              value={quarantineLoad}
              onChange={(v: string) => {
                setLoadFilter(v);
                setReasonFilter(null);
              }}
              options={[
                { value: ALL_LOADS, label: t('ingest.q.allLoads') },
                ...history.map((l, i) => ({
                  value: l.loadId,
                  label: `${timeText(l.startedAt, lang)}${i === 0 ? ` · ${t('ingest.q.newest')}` : ''}`,
                })),
              ]}
            />
            <Select
              data-testid="quarantine-reason"
              size="small"
              allowClear
              style={{ minWidth: 260 }}
              placeholder={t('ingest.q.anyReason')}
              value={reasonFilter ?? undefined}
              onChange={(v?: string) => setReasonFilter(v ?? null)}
              options={reasonOptions}
            />
            <Tooltip title={t('ingest.refresh')}>
              <Button
                size="small"
                icon={<ReloadOutlined />}
                onClick={quarantine.reload}
                aria-label={t('ingest.refresh')}
              />
            </Tooltip>
          </div>
        }
        styles={{ body: { padding: 0 } }}
      >
        {quarantine.error ? (
          <div style={{ padding: 16 }}>
            <ErrorAlert t={t} error={quarantine.error} title={t('ingest.q.failed')} />
          </div>
        ) : null}
        <Table<QuarantineRow>
          data-testid="quarantine-table"
          rowKey={(r) => `${r.loadId}|${r.file}|${r.position}|${r.code}|${r.field ?? ''}`}
          size="small"
          columns={qColumns}
          dataSource={quarantine.data?.rejects ?? []}
          loading={quarantine.loading}
          pagination={{ pageSize: 20, size: 'small', hideOnSinglePage: true }}
          locale={{
            emptyText: quarantine.data ? (
              <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('ingest.q.empty')} />
            ) : (
              ' '
            ),
          }}
          footer={
            (quarantine.data?.rejects.length ?? 0) >= QUARANTINE_LIMIT
              ? () => (
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    {t('ingest.q.limited', { n: QUARANTINE_LIMIT })}
                  </Typography.Text>
                )
              : undefined
          }
        />
      </Card>

      {node ? (
        <LoadDrawer
          node={node}
          loadId={openLoad}
          onClose={() => setOpenLoad(null)}
          onShowRejects={(id) => {
            setOpenLoad(null);
            setLoadFilter(id);
            setReasonFilter(null);
          }}
        />
      ) : null}
      <LineageDrawer target={trace} onClose={() => setTrace(null)} />
    </div>
  );
}
