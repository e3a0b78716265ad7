/**
 * 验证节点状态 / Validator status: `GET /api/ledger/validators` every 3 s while the page is open. The hub asks
 * each validator itself (no validator reports for another), so each row is that validator's own height, view and
 * mode; the lag is measured against the highest height any reachable validator reported, and "last seen" is when
 * the hub last had an answer from it. A 403 shows the no-permission result.
 */
import { Alert, Card, Col, Result, Row, Statistic, Table, type TableProps, Tag, Tooltip, Typography } from 'antd';
import { type HTMLAttributes, useCallback, useMemo } from 'react';
import type { ValidatorRow, ValidatorStatusList } from '../api-types.ts';
import { ErrorDetail, errorHeadline } from '../components/error-text.tsx';
import { NoPermission } from '../components/no-permission.tsx';
import { usePoll } from '../components/use-poll.ts';
import { ageOf, formatDateTime, formatInteger, formatTime, parseTimestamp } from '../i18n/format.ts';
import { type Translate, useLang, useT } from '../i18n/i18n-context.tsx';
import type { Lang } from '../i18n/messages.ts';
import { useSession } from '../session/session-context.tsx';

/** How often the validator status is refreshed. */
export const VALIDATORS_POLL_INTERVAL_MS = 3_000;

const dash = (v: number | string | null, lang: Lang): string =>
  v === null ? '—' : typeof v === 'number' ? formatInteger(v, lang) : v;

function lastSeenText(t: Translate, lastSeen: string | null, nowMs: number): string {
  const then = parseTimestamp(lastSeen);
  if (then === null) return t('validators.never');
  const { n, unit } = ageOf(then, nowMs);
  return t(`time.ago.${unit}`, { n });
}

function buildColumns(t: Translate, lang: Lang, nowMs: number): TableProps<ValidatorRow>['columns'] {
  return [
    {
      title: t('validators.col.name'),
      key: 'name',
      render: (_, v) => (
        <div>
          <Typography.Text strong>{v.name}</Typography.Text>
          <br />
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {v.endpoint}
          </Typography.Text>
        </div>
      ),
    },
    {
      title: t('validators.col.state'),
      key: 'state',
      render: (_, v) => {
        const tag = (
          <Tag data-testid={`validator-state-${v.name}`} color={v.reachable ? 'success' : 'error'}>
            {t(v.reachable ? 'validators.state.up' : 'validators.state.down')}
          </Tag>
        );
        return v.error ? <Tooltip title={`${v.error.code}: ${v.error.message}`}>{tag}</Tooltip> : tag;
      },
    },
    {
      title: t('validators.col.height'),
      key: 'height',
      align: 'right',
      render: (_, v) => <span data-testid={`validator-height-${v.name}`}>{dash(v.height, lang)}</span>,
    },
    {
      title: t('validators.col.certified'),
      key: 'certified',
      align: 'right',
      render: (_, v) => dash(v.certifiedHeight, lang),
    },
    {
      title: t('validators.col.lag'),
      key: 'lag',
      align: 'right',
      render: (_, v) =>
        v.lag === null ? (
          '—'
        ) : (
          <Tag color={v.lag === 0 ? 'default' : v.lag < 5 ? 'warning' : 'error'}>
            {t('validators.lag', { n: formatInteger(v.lag, lang) })}
          </Tag>
        ),
    },
    { title: t('validators.col.view'), key: 'view', align: 'right', render: (_, v) => dash(v.view, lang) },
    { title: t('validators.col.mode'), key: 'mode', render: (_, v) => dash(v.mode, lang) },
    { title: t('validators.col.primary'), key: 'primary', render: (_, v) => dash(v.primary, lang) },
    { title: t('validators.col.pending'), key: 'pending', align: 'right', render: (_, v) => dash(v.pending, lang) },
    { title: t('validators.col.peers'), key: 'peers', align: 'right', render: (_, v) => dash(v.peersConnected, lang) },
    {
      title: t('validators.col.lastSeen'),
      key: 'lastSeen',
      render: (_, v) => {
        const then = parseTimestamp(v.lastSeen);
        const text = lastSeenText(t, v.lastSeen, nowMs);
        return then === null ? text : <Tooltip title={formatDateTime(then, lang)}>{text}</Tooltip>;
      },
    },
  ];
}

/** The live validator status table. */
export function ValidatorsPage() {
  const t = useT();
  const { lang } = useLang();
  const { api } = useSession();
  const load = useCallback(
    (signal: AbortSignal) => api.request<ValidatorStatusList>('/api/ledger/validators', { signal }),
    [api],
  );
  const { data, error } = usePoll(load, VALIDATORS_POLL_INTERVAL_MS);
  const nowMs = parseTimestamp(data?.checkedAt) ?? Date.now();
  const columns = useMemo(() => buildColumns(t, lang, nowMs), [t, lang, nowMs]);

  if (error?.status === 403) return <NoPermission code={error.code} />;
  if (error && !data) {
    return (
      <Result
        status="error"
        title={t('validators.loadFailed')}
        subTitle={
          <>
            <div>{errorHeadline(t, error, error.message)}</div>
            <ErrorDetail t={t} error={error} />
          </>
        }
      />
    );
  }
  const rows = data?.validators ?? [];
  const reachable = rows.filter((v) => v.reachable).length;
  const checked = parseTimestamp(data?.checkedAt);

  return (
    <div style={{ display: 'flex', flexDirection: 'column', gap: 16 }}>
      {error ? (
        <Alert
          type="warning"
          showIcon
          title={t('validators.refreshFailed')}
          description={<ErrorDetail t={t} error={error} />}
        />
      ) : null}
      <Card>
        <Row gutter={16}>
          <Col xs={8} md={6}>
            <Statistic
              data-testid="validators-reachable"
              title={t('validators.reachable')}
              value={data ? reachable : '—'}
              styles={{ content: { color: '#52c41a' } }}
            />
          </Col>
          <Col xs={8} md={6}>
            <Statistic
              data-testid="validators-unreachable"
              title={t('validators.unreachable')}
              value={data ? rows.length - reachable : '—'}
              styles={{ content: { color: '#ff4d4f' } }}
            />
          </Col>
          <Col xs={8} md={6}>
            <Statistic title={t('validators.highest')} value={data?.highest ?? '—'} />
          </Col>
        </Row>
        <Typography.Paragraph type="secondary" style={{ marginTop: 16, marginBottom: 0, fontSize: 12 }}>
          {data?.chainId ? `${data.chainId} · ` : ''}
          {t('validators.live', {
            seconds: VALIDATORS_POLL_INTERVAL_MS / 1000,
            time: checked === null ? '—' : formatTime(checked, lang),
          })}
        </Typography.Paragraph>
      </Card>
      <Card title={t('validators.title')} styles={{ body: { padding: 0 } }}>
        <Table<ValidatorRow>
          data-testid="validators-table"
          rowKey="name"
          columns={columns}
          dataSource={rows}
          loading={!data && !error}
          pagination={false}
          scroll={{ x: 'max-content' }}
          onRow={(v) => ({ 'data-testid': `validator-row-${v.name}` }) as HTMLAttributes<HTMLElement>}
        />
      </Card>
    </div>
  );
}
