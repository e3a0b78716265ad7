/**
 * The dashboard (数据驾驶舱), for managers and oversight: per hospital its patients, visits and volume per layer
 * (ODS, DWD), rows loaded per day, quality scores, and the consortium's requests, tasks and ledger activity by
 * day. Aggregates only, from the hub's cache (refreshed from every node in the background); a hospital that
 * could not be asked shows its last-known figures, marked stale with the time they were taken.
 */
import { ReloadOutlined } from '@ant-design/icons';
import {
  Alert,
  Button,
  Card,
  Col,
  Empty,
  Row,
  Statistic,
  Table,
  type TableProps,
  Tag,
  Tooltip,
  Typography,
} from 'antd';
import { type ReactNode, useCallback, useMemo } from 'react';
import { DASHBOARD_ROLES } from '../../../src/hub/dashboard/roles.ts';
import { NoPermission } from '../components/no-permission.tsx';
import { useFetch } from '../components/use-fetch.ts';
import {
  layersOption,
  ledgerOption,
  loadTrendOption,
  qualityOption,
  requestsOption,
  tablesOption,
} from '../dashboard/dashboard-charts.ts';
import type { DashboardHospital, DashboardResponse } from '../dashboard/types.ts';
import { formatBytes, formatDateTime, formatInteger, parseTimestamp } from '../i18n/format.ts';
import { type Translate, useLang, useT } from '../i18n/i18n-context.tsx';
import type { Lang } from '../i18n/messages.ts';
import { ErrorAlert } from '../ingest/ingest-text.tsx';
import { QualityChart } from '../quality/quality-chart.tsx';
import { CATEGORY_KEYS } from '../quality/quality-helpers.ts';
import { useSession, useUser } from '../session/session-context.tsx';

/** Roles the hub lets open the dashboard (the page says so to everyone else without asking). */
const ALLOWED: ReadonlySet<string> = new Set(DASHBOARD_ROLES);

const STATUS_COLOR = { fresh: 'success', stale: 'warning', pending: 'default' } as const;

function countText(value: number | null | undefined, lang: Lang, t: Translate): string {
  if (value === undefined) return '—';
  return value === null ? t('dashboard.suppressed') : formatInteger(value, lang);
}

/** Fresh, stale (with when the figures were taken) or pending. */
function StatusTag({ t, lang, h }: { t: Translate; lang: Lang; h: DashboardHospital }) {
  const taken = parseTimestamp(h.takenAt);
  const tag = (
    <Tag data-testid={`dashboard-status-${h.node}`} color={STATUS_COLOR[h.status]}>
      {t(`dashboard.status.${h.status}`)}
    </Tag>
  );
  const tip = [taken === null ? null : t('dashboard.takenAt', { time: formatDateTime(taken, lang) }), h.error?.message]
    .filter(Boolean)
    .join(' · ');
  return tip ? <Tooltip title={tip}>{tag}</Tooltip> : tag;
}

function columns(t: Translate, lang: Lang): TableProps<DashboardHospital>['columns'] {
  return [
    {
      title: t('dashboard.col.hospital'),
      key: 'hospital',
      render: (_, h) => (
        <div>
          <Typography.Text strong>{h.displayName}</Typography.Text>
          <div>
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {h.node}
            </Typography.Text>
          </div>
        </div>
      ),
    },
    { title: t('dashboard.col.status'), key: 'status', render: (_, h) => <StatusTag t={t} lang={lang} h={h} /> },
    {
      title: t('dashboard.col.persons'),
      key: 'persons',
      align: 'right',
      render: (_, h) => (h.dwd ? countText(h.persons, lang, t) : '—'),
    },
    {
      title: t('dashboard.col.visits'),
      key: 'visits',
      align: 'right',
      render: (_, h) => (h.dwd ? countText(h.visits, lang, t) : '—'),
    },
    {
      title: t('dashboard.col.ods'),
      key: 'ods',
      align: 'right',
      render: (_, h) =>
        h.ods ? (
          <Tooltip title={t('dashboard.odsRecords', { n: formatInteger(h.ods.records, lang) })}>
            <span>
              {t('dashboard.files', { n: formatInteger(h.ods.files, lang) })} · {formatBytes(h.ods.bytes, lang)}
            </span>
          </Tooltip>
        ) : (
          '—'
        ),
    },
    {
      title: t('dashboard.col.dwd'),
      key: 'dwd',
      align: 'right',
      render: (_, h) => (h.dwd ? `${formatInteger(h.dwd.rows, lang)} · ${formatBytes(h.dwd.bytes, lang)}` : '—'),
    },
    {
      title: t('dashboard.col.quality'),
      key: 'quality',
      align: 'right',
      render: (_, h) =>
        h.quality?.score === null || h.quality?.score === undefined ? '—' : `${h.quality.score.toFixed(1)}%`,
    },
  ];
}

function ChartCard({
  title,
  testId,
  empty,
  children,
}: {
  title: string;
  testId: string;
  empty: string | null;
  children: ReactNode;
}) {
  return (
    <Card title={title} size="small" data-testid={testId} style={{ height: '100%' }}>
      {empty === null ? children : <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={empty} />}
    </Card>
  );
}

/** The dashboard page. */
export function DashboardPage() {
  const t = useT();
  const { lang } = useLang();
  const user = useUser();
  const { api } = useSession();
  const allowed = ALLOWED.has(user.role);
  const load = useCallback(
    (signal: AbortSignal) => api.request<DashboardResponse>('/api/dashboard', { signal }),
    [api],
  );
  const { data, error, loading, reload } = useFetch(allowed ? load : null);
  const hospitals = useMemo(() => data?.hospitals ?? [], [data]);
  const reported = useMemo(() => hospitals.filter((h) => h.dwd !== null), [hospitals]);
  const days = useMemo(() => data?.ledger.days ?? [], [data]);
  const options = useMemo(
    () => ({
      layers: layersOption(t, reported),
      tables: tablesOption(reported),
      loads: loadTrendOption(reported),
      quality: qualityOption(t, reported, CATEGORY_KEYS),
      requests: requestsOption(t, days),
      ledger: ledgerOption(t, days),
    }),
    [t, reported, days],
  );
  const cols = useMemo(() => columns(t, lang), [t, lang]);

  if (!allowed) return <NoPermission />;
  if (error?.status === 403) return <NoPermission code={error.code} />;

  const totals = data?.totals;
  const stale = hospitals.filter((h) => h.status === 'stale');
  const generated = parseTimestamp(data?.generatedAt);
  const noData = data ? t('dashboard.noData') : ' ';
  const ledger = data?.ledger;
  const requestActivity = days.some((d) => d.requests + d.decisions + d.tasks + d.receipts + d.releases > 0);
  const ledgerEmpty = !ledger?.available
    ? t('dashboard.ledger.none')
    : days.length === 0
      ? t('dashboard.ledger.empty')
      : null;

  return (
    <div data-testid="dashboard-page" style={{ display: 'flex', flexDirection: 'column', gap: 16 }}>
      <div style={{ display: 'flex', alignItems: 'center', gap: 12, flexWrap: 'wrap' }}>
        <Typography.Text type="secondary">
          {t('dashboard.intro')}
          {generated === null ? '' : ` ${t('dashboard.generatedAt', { time: formatDateTime(generated, lang) })}`}
        </Typography.Text>
        <Button
          icon={<ReloadOutlined />}
          size="small"
          onClick={reload}
          loading={loading}
          data-testid="dashboard-reload"
          style={{ marginInlineStart: 'auto' }}
        >
          {t('dashboard.reload')}
        </Button>
      </div>
      {error ? <ErrorAlert t={t} error={error} title={t('dashboard.loadFailed')} /> : null}
      {stale.length > 0 ? (
        <Alert
          type="warning"
          showIcon
          data-testid="dashboard-stale"
          title={t('dashboard.staleTitle', { n: stale.length })}
          description={stale
            .map((h) => {
              const ms = parseTimestamp(h.takenAt);
              return `${h.displayName}: ${ms === null ? '—' : t('dashboard.takenAt', { time: formatDateTime(ms, lang) })}`;
            })
            .join('; ')}
        />
      ) : null}
      <Row gutter={[16, 16]}>
        {[
          {
            key: 'hospitals',
            title: t('dashboard.kpi.hospitals'),
            value: totals ? totals.reporting : '—',
            suffix: totals ? `/ ${totals.hospitals}` : undefined,
          },
          {
            key: 'persons',
            title: t('dashboard.kpi.persons'),
            value: totals ? formatInteger(totals.persons, lang) : '—',
          },
          { key: 'visits', title: t('dashboard.kpi.visits'), value: totals ? formatInteger(totals.visits, lang) : '—' },
          { key: 'dwd', title: t('dashboard.kpi.dwdRows'), value: totals ? formatInteger(totals.dwdRows, lang) : '—' },
          {
            key: 'ods',
            title: t('dashboard.kpi.odsFiles'),
            value: totals ? formatInteger(totals.odsFiles, lang) : '—',
            suffix: totals ? (
              <span style={{ fontSize: 14, color: 'rgba(0, 0, 0, 0.45)' }}>{formatBytes(totals.odsBytes, lang)}</span>
            ) : undefined,
          },
          {
            key: 'height',
            title: t('dashboard.kpi.height'),
            value: ledger?.height === null || ledger?.height === undefined ? '—' : formatInteger(ledger.height, lang),
          },
        ].map((k) => (
          <Col key={k.key} xs={12} md={8} xl={4}>
            <Card size="small">
              <Statistic
                data-testid={`dashboard-kpi-${k.key}`}
                title={k.title}
                value={k.value}
                suffix={k.suffix}
                loading={loading && !data}
              />
            </Card>
          </Col>
        ))}
      </Row>
      <Row gutter={[16, 16]}>
        <Col xs={24} xl={12}>
          <ChartCard
            title={t('dashboard.chart.layers')}
            testId="dashboard-layers"
            empty={reported.length ? null : noData}
          >
            <QualityChart option={options.layers} height={280} ariaLabel={t('dashboard.chart.layers')} />
          </ChartCard>
        </Col>
        <Col xs={24} xl={12}>
          <ChartCard
            title={t('dashboard.chart.tables')}
            testId="dashboard-tables"
            empty={reported.length ? null : noData}
          >
            <QualityChart option={options.tables} height={280} ariaLabel={t('dashboard.chart.tables')} />
          </ChartCard>
        </Col>
        <Col xs={24} xl={12}>
          <ChartCard
            title={t('dashboard.chart.loads')}
            testId="dashboard-loads"
            empty={reported.some((h) => h.loads.length > 0) ? null : noData}
          >
            <QualityChart option={options.loads} height={280} ariaLabel={t('dashboard.chart.loads')} />
          </ChartCard>
        </Col>
        <Col xs={24} xl={12}>
          <ChartCard
            title={t('dashboard.chart.quality')}
            testId="dashboard-quality"
            empty={reported.some((h) => h.quality) ? null : t('dashboard.quality.none')}
          >
            <QualityChart option={options.quality} height={280} ariaLabel={t('dashboard.chart.quality')} />
          </ChartCard>
        </Col>
        <Col xs={24} xl={12}>
          <ChartCard
            title={t('dashboard.chart.requests')}
            testId="dashboard-requests"
            empty={ledgerEmpty ?? (requestActivity ? null : t('dashboard.activity.none'))}
          >
            <QualityChart option={options.requests} height={280} ariaLabel={t('dashboard.chart.requests')} />
          </ChartCard>
        </Col>
        <Col xs={24} xl={12}>
          <ChartCard title={t('dashboard.chart.ledger')} testId="dashboard-ledger" empty={ledgerEmpty}>
            <QualityChart option={options.ledger} height={280} ariaLabel={t('dashboard.chart.ledger')} />
          </ChartCard>
        </Col>
      </Row>
      {ledger?.error ? (
        <Alert type="warning" showIcon title={t('dashboard.ledger.failed')} description={ledger.error.message} />
      ) : null}
      <Card title={t('dashboard.byHospital')} styles={{ body: { padding: 0 } }}>
        <Table<DashboardHospital>
          data-testid="dashboard-table"
          rowKey="node"
          columns={cols}
          dataSource={hospitals}
          loading={loading && !data}
          pagination={false}
          locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={noData} /> }}
          scroll={{ x: 'max-content' }}
        />
      </Card>
      <Typography.Paragraph type="secondary" style={{ fontSize: 12, margin: 0 }}>
        {t('dashboard.footnote')}
      </Typography.Paragraph>
    </div>
  );
}
