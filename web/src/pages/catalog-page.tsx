/**
 * The data catalog (数据目录): every table and field of the canonical model with its definition (Chinese and
 * English), sensitivity level L1–L5, coverage at each hospital (share of rows with a value) and, in a drawer,
 * its value distribution per hospital. Counts under the consortium's minimum cell never reach the browser;
 * identifying and L4–L5 fields have no distribution at all. The table shown is kept in the query (`?table=`).
 */
import { BarChartOutlined, LockOutlined, SearchOutlined } from '@ant-design/icons';
import {
  Alert,
  Button,
  Card,
  Col,
  Descriptions,
  Drawer,
  Empty,
  Input,
  Progress,
  Row,
  Space,
  Table,
  type TableProps,
  Tag,
  Tooltip,
  Typography,
} from 'antd';
import { useCallback, useMemo, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import {
  distributionHeight,
  distributionOption,
  LEVEL_COLORS,
  type Level,
  matchesQuery,
} from '../catalog/catalog-helpers.ts';
import { EChart } from '../components/echart.tsx';
import { NoPermission } from '../components/no-permission.tsx';
import { useFetch } from '../components/use-fetch.ts';
import type {
  CatalogFieldView,
  CatalogHospital,
  CatalogListResponse,
  CatalogTableResponse,
  CatalogTableSummary,
} from '../dashboard/types.ts';
import { formatDateTime, formatInteger, formatPercent, parseTimestamp } from '../i18n/format.ts';
import { type Translate, useLang, useT } from '../i18n/i18n-context.tsx';
import type { Lang } from '../i18n/messages.ts';
import { ErrorAlert } from '../ingest/ingest-text.tsx';
import { useSession } from '../session/session-context.tsx';

function LevelTag({ t, level }: { t: Translate; level: number }) {
  const l = level as Level;
  return (
    <Tooltip title={t(`deid.level.${l}`)}>
      <Tag color={LEVEL_COLORS[l]} data-testid={`level-L${l}`}>
        L{l}
      </Tag>
    </Tooltip>
  );
}

const textOf = (x: { zh: string; en: string }, lang: Lang) => (lang === 'zh-CN' ? x.zh : x.en);

function hospitalName(hospitals: readonly CatalogHospital[], node: string): string {
  return hospitals.find((h) => h.node === node)?.displayName ?? node;
}

function tableColumns(t: Translate, lang: Lang): TableProps<CatalogTableSummary>['columns'] {
  return [
    {
      title: t('catalog.col.table'),
      key: 'table',
      render: (_, x) => (
        <div>
          <Typography.Text strong>{textOf(x, lang)}</Typography.Text>
          <div>
            <Typography.Text type="secondary" code style={{ fontSize: 12 }}>
              {x.name}
            </Typography.Text>
          </div>
        </div>
      ),
    },
    { title: t('catalog.col.level'), key: 'level', render: (_, x) => <LevelTag t={t} level={x.level} /> },
    {
      title: t('catalog.col.rows'),
      key: 'rows',
      align: 'right',
      render: (_, x) =>
        formatInteger(
          x.rows.reduce((s, r) => s + (r.rows ?? 0), 0),
          lang,
        ),
    },
  ];
}

function fieldColumns(
  t: Translate,
  lang: Lang,
  hospitals: readonly CatalogHospital[],
  open: (field: string) => void,
): TableProps<CatalogFieldView>['columns'] {
  return [
    {
      title: t('catalog.col.field'),
      key: 'field',
      render: (_, f) => (
        <div>
          <Typography.Text code>{f.name}</Typography.Text>
          <Typography.Text type="secondary" style={{ fontSize: 12, marginInlineStart: 4 }}>
            {f.type}
            {f.vocabulary ? ` · ${f.vocabulary}` : ''}
          </Typography.Text>
          <div style={{ marginTop: 4 }}>
            {f.required ? <Tag>{t('catalog.required')}</Tag> : null}
            {f.lineage ? <Tag color="purple">{t('catalog.lineage')}</Tag> : null}
            {f.encrypted ? (
              <Tag icon={<LockOutlined />} color="volcano">
                {t('catalog.encrypted')}
              </Tag>
            ) : null}
          </div>
        </div>
      ),
    },
    {
      title: t('catalog.col.definition'),
      key: 'definition',
      render: (_, f) => (
        <div style={{ minWidth: 160, maxWidth: 280 }}>
          <Typography.Text>{textOf(f, lang)}</Typography.Text>
          <div>
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {lang === 'zh-CN' ? f.en : f.zh}
            </Typography.Text>
          </div>
        </div>
      ),
    },
    { title: t('catalog.col.level'), key: 'level', render: (_, f) => <LevelTag t={t} level={f.level} /> },
    {
      title: t('catalog.col.coverage'),
      key: 'coverage',
      render: (_, f) => (
        <div style={{ width: 190 }}>
          {f.coverage.map((c) => (
            <div key={c.node} style={{ display: 'flex', alignItems: 'center', gap: 8 }}>
              <Typography.Text
                style={{ fontSize: 12, width: 72, flexShrink: 0 }}
                ellipsis={{ tooltip: hospitalName(hospitals, c.node) }}
              >
                {hospitalName(hospitals, c.node)}
              </Typography.Text>
              {c.share === null ? (
                <Tooltip title={t('catalog.coverageWithheld')}>
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    {t('catalog.suppressed')}
                  </Typography.Text>
                </Tooltip>
              ) : (
                <Tooltip title={formatPercent(c.share, lang)}>
                  <Progress
                    percent={Math.round(c.share * 1000) / 10}
                    size="small"
                    showInfo={false}
                    style={{ margin: 0, flex: 1 }}
                    strokeColor={c.share >= 0.95 ? '#52c41a' : c.share >= 0.5 ? '#1668dc' : '#faad14'}
                  />
                </Tooltip>
              )}
            </div>
          ))}
          {f.coverage.length === 0 ? '—' : null}
        </div>
      ),
    },
    {
      title: t('catalog.col.distribution'),
      key: 'distribution',
      render: (_, f) =>
        f.distribution === 'none' ? (
          <Tooltip title={t(`catalog.withheld.${f.withheld ?? 'identifying'}.hint`)}>
            <Tag icon={<LockOutlined />}>{t(`catalog.withheld.${f.withheld ?? 'identifying'}`)}</Tag>
          </Tooltip>
        ) : (
          <Button
            size="small"
            icon={<BarChartOutlined />}
            data-testid={`catalog-dist-${f.name}`}
            disabled={f.distributions.length === 0}
            onClick={() => open(f.name)}
          >
            {t('catalog.show')}
          </Button>
        ),
    },
  ];
}

function DistributionDrawer({
  field,
  hospitals,
  onClose,
}: {
  field: CatalogFieldView | null;
  hospitals: readonly CatalogHospital[];
  onClose: () => void;
}) {
  const t = useT();
  const { lang } = useLang();
  return (
    <Drawer
      open={field !== null}
      onClose={onClose}
      size="large"
      title={field ? `${field.name} · ${textOf(field, lang)}` : ''}
      data-testid="catalog-drawer"
    >
      {field ? (
        <div style={{ display: 'flex', flexDirection: 'column', gap: 16 }}>
          <Descriptions size="small" column={1} bordered>
            <Descriptions.Item label={t('catalog.col.definition')}>{textOf(field, lang)}</Descriptions.Item>
            <Descriptions.Item label={t('catalog.col.level')}>
              <LevelTag t={t} level={field.level} />
            </Descriptions.Item>
            <Descriptions.Item label={t('catalog.col.type')}>
              {field.type}
              {field.vocabulary ? ` · ${field.vocabulary}` : ''}
            </Descriptions.Item>
          </Descriptions>
          <Alert type="info" showIcon title={t('catalog.disclosure')} />
          {field.distributions.map(({ node, distribution }) => (
            <Card
              key={node}
              size="small"
              title={hospitalName(hospitals, node)}
              data-testid={`catalog-dist-card-${node}`}
              extra={
                distribution.kind === 'histogram' ? null : (
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    {distribution.other === null
                      ? t('catalog.otherWithheld')
                      : t('catalog.other', { n: formatInteger(distribution.other, lang) })}
                  </Typography.Text>
                )
              }
            >
              {(distribution.kind === 'histogram' ? distribution.bins.length : distribution.categories.length) > 0 ? (
                <EChart
                  option={distributionOption(t, distribution)}
                  height={distributionHeight(distribution)}
                  ariaLabel={t('catalog.chartLabel', { field: field.name, hospital: hospitalName(hospitals, node) })}
                />
              ) : (
                <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('catalog.allWithheld')} />
              )}
            </Card>
          ))}
        </div>
      ) : null}
    </Drawer>
  );
}

/** The data catalog page. */
export function CatalogPage() {
  const t = useT();
  const { lang } = useLang();
  const { api } = useSession();
  const [params, setParams] = useSearchParams();
  const [query, setQuery] = useState('');
  const [fieldName, setFieldName] = useState<string | null>(null);
  const loadList = useCallback(
    (signal: AbortSignal) => api.request<CatalogListResponse>('/api/catalog', { signal }),
    [api],
  );
  const list = useFetch(loadList);
  const tables = list.data?.tables ?? [];
  const selected = params.get('table') ?? tables[0]?.name ?? null;
  const loadTable = useMemo(
    () =>
      selected
        ? (signal: AbortSignal) =>
            api.request<CatalogTableResponse>(`/api/catalog/${encodeURIComponent(selected)}`, { signal })
        : null,
    [api, selected],
  );
  const detail = useFetch(loadTable);
  const hospitals = detail.data?.hospitals ?? list.data?.hospitals ?? [];
  const shownTables = tables.filter((x) => matchesQuery(x, query));
  const tableHit = detail.data ? matchesQuery(detail.data.table, query) : true;
  const fields = (detail.data?.fields ?? []).filter((f) => tableHit || matchesQuery(f, query));
  const field = detail.data?.fields.find((f) => f.name === fieldName) ?? null;
  const tCols = useMemo(() => tableColumns(t, lang), [t, lang]);
  const fCols = useMemo(() => fieldColumns(t, lang, hospitals, setFieldName), [t, lang, hospitals]);

  if (list.error?.status === 403) return <NoPermission code={list.error.code} />;

  const pick = (name: string) => {
    setFieldName(null);
    setParams(
      (prev) => {
        const q = new URLSearchParams(prev);
        q.set('table', name);
        return q;
      },
      { replace: true },
    );
  };
  const current = detail.data?.table;

  return (
    <div data-testid="catalog-page" style={{ display: 'flex', flexDirection: 'column', gap: 16 }}>
      {list.error ? <ErrorAlert t={t} error={list.error} title={t('catalog.loadFailed')} /> : null}
      {hospitals.some((h) => h.status !== 'fresh') ? (
        <Alert
          type="warning"
          showIcon
          title={t('catalog.staleTitle')}
          description={hospitals
            .filter((h) => h.status !== 'fresh')
            .map((h) => {
              const ms = parseTimestamp(h.takenAt);
              return `${h.displayName}: ${ms === null ? t('dashboard.status.pending') : t('dashboard.takenAt', { time: formatDateTime(ms, lang) })}`;
            })
            .join('; ')}
        />
      ) : null}
      <Row gutter={[16, 16]}>
        <Col xs={24} xl={6}>
          <Card size="small" title={t('catalog.tables', { n: tables.length })} styles={{ body: { padding: 0 } }}>
            <div style={{ padding: 8 }}>
              <Input
                allowClear
                prefix={<SearchOutlined />}
                placeholder={t('catalog.search')}
                value={query}
                onChange={(e) => setQuery(e.target.value)}
                data-testid="catalog-search"
              />
            </div>
            <Table<CatalogTableSummary>
              data-testid="catalog-tables"
              rowKey="name"
              size="small"
              columns={tCols}
              dataSource={shownTables}
              loading={list.loading && !list.data}
              pagination={false}
              onRow={(x) => ({
                onClick: () => pick(x.name),
                style: { cursor: 'pointer', background: x.name === selected ? '#e6f4ff' : undefined },
                'data-testid': `catalog-table-${x.name}`,
              })}
              locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('catalog.noMatch')} /> }}
            />
          </Card>
        </Col>
        <Col xs={24} xl={18}>
          <Card
            size="small"
            data-testid="catalog-detail"
            title={
              current ? (
                <Space>
                  <span>{textOf(current, lang)}</span>
                  <Typography.Text type="secondary" code>
                    {current.name}
                  </Typography.Text>
                  <LevelTag t={t} level={current.level} />
                </Space>
              ) : (
                t('catalog.pickTable')
              )
            }
            styles={{ body: { padding: 0 } }}
          >
            {current ? (
              <div style={{ padding: '8px 16px', display: 'flex', gap: 8, flexWrap: 'wrap', alignItems: 'center' }}>
                <Typography.Text type="secondary">{t('catalog.rowsPerHospital')}</Typography.Text>
                {current.rows.map((r) => (
                  <Tag key={r.node}>
                    {hospitalName(hospitals, r.node)}:{' '}
                    {r.rows === null ? t('catalog.suppressed') : formatInteger(r.rows, lang)}
                  </Tag>
                ))}
              </div>
            ) : null}
            {detail.error ? (
              <div style={{ padding: 16 }}>
                <ErrorAlert t={t} error={detail.error} title={t('catalog.tableFailed')} />
              </div>
            ) : null}
            <Table<CatalogFieldView>
              data-testid="catalog-fields"
              rowKey="name"
              size="middle"
              columns={fCols}
              dataSource={fields}
              loading={detail.loading && !detail.data}
              pagination={false}
              scroll={{ x: 'max-content' }}
              locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('catalog.noMatch')} /> }}
            />
          </Card>
        </Col>
      </Row>
      <Typography.Paragraph type="secondary" style={{ fontSize: 12, margin: 0 }}>
        {t('catalog.footnote')}
      </Typography.Paragraph>
      <DistributionDrawer field={field} hospitals={hospitals} onClose={() => setFieldName(null)} />
    </div>
  );
}
