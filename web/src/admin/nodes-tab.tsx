/** 节点 / Nodes: a compact status table of the hospital nodes, linking to the full node page. */
import { Button, Space, Table, type TableProps, Tag, Typography } from 'antd';
import { type HTMLAttributes, useCallback, useMemo } from 'react';
import { Link } from 'react-router-dom';
import type { NodeInfo, NodesResponse } from '../api-types.ts';
import { useFetch } from '../components/use-fetch.ts';
import { formatDateTime, formatInteger, parseTimestamp } from '../i18n/format.ts';
import { type Translate, useLang, useT } from '../i18n/i18n-context.tsx';
import type { Lang } from '../i18n/messages.ts';
import { useSession } from '../session/session-context.tsx';
import { LoadFailed } from './load-failed.tsx';

function buildColumns(t: Translate, lang: Lang): TableProps<NodeInfo>['columns'] {
  return [
    {
      title: t('admin.nodes.col.node'),
      key: 'node',
      render: (_, n) => (
        <span>
          <Typography.Text strong>{n.displayName}</Typography.Text>{' '}
          <Typography.Text type="secondary" code>
            {n.name}
          </Typography.Text>
        </span>
      ),
    },
    {
      title: t('admin.nodes.col.state'),
      key: 'state',
      render: (_, n) => (
        <Tag data-testid={`admin-node-state-${n.name}`} color={n.state === 'up' ? 'success' : 'error'}>
          {t(n.state === 'up' ? 'admin.nodes.state.up' : 'admin.nodes.state.down')}
        </Tag>
      ),
    },
    {
      title: t('admin.nodes.col.lastSeen'),
      key: 'lastSeen',
      render: (_, n) => {
        const at = parseTimestamp(n.lastSeen);
        return at === null ? '—' : formatDateTime(at, lang);
      },
    },
    { title: t('admin.nodes.col.version'), key: 'version', render: (_, n) => n.versions?.meridian ?? '—' },
    {
      title: t('admin.nodes.col.rows'),
      key: 'rows',
      align: 'right',
      render: (_, n) => formatInteger(n.dataVolume.rows, lang),
    },
  ];
}

/** The compact node table. */
export function NodesTab() {
  const t = useT();
  const { lang } = useLang();
  const { api } = useSession();
  const load = useCallback((signal: AbortSignal) => api.request<NodesResponse>('/api/admin/nodes', { signal }), [api]);
  const { data, error, loading, reload } = useFetch(load);
  const columns = useMemo(() => buildColumns(t, lang), [t, lang]);
  if (error && !data) return <LoadFailed error={error} title={t('admin.loadFailed')} onRetry={reload} />;

  return (
    <div style={{ display: 'flex', flexDirection: 'column', gap: 12 }}>
      <Space style={{ justifyContent: 'space-between', width: '100%' }} wrap>
        <Typography.Text type="secondary">{t('admin.nodes.about')}</Typography.Text>
        <Space>
          <Button onClick={reload}>{t('admin.reload')}</Button>
          <Link to="/nodes" data-testid="admin-nodes-open">
            {t('admin.nodes.open')}
          </Link>
        </Space>
      </Space>
      <Table<NodeInfo>
        data-testid="admin-nodes-table"
        rowKey="name"
        size="small"
        columns={columns}
        dataSource={data?.nodes ?? []}
        loading={loading && !data}
        locale={{ emptyText: t('admin.nodes.empty') }}
        pagination={false}
        scroll={{ x: 'max-content' }}
        onRow={(n) => ({ 'data-testid': `admin-node-row-${n.name}` }) as HTMLAttributes<HTMLElement>}
      />
    </div>
  );
}
