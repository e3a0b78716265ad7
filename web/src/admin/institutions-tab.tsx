/**
 * 机构 / Institutions: the consortium members as the ledger records them (name, role, status, key fingerprint),
 * read-only. When no validator answers, the hub says so (503) and the tab shows a warning with its detail.
 */
import { Alert, Button, Space, Table, type TableProps, Tag, Typography } from 'antd';
import { type HTMLAttributes, useCallback, useMemo } from 'react';
import type { InstitutionView } from '../../../src/hub/admin/routes.ts';
import { ErrorDetail } from '../components/error-text.tsx';
import { useFetch } from '../components/use-fetch.ts';
import { formatInteger } from '../i18n/format.ts';
import { type Translate, useLang, useT } from '../i18n/i18n-context.tsx';
import type { Lang } from '../i18n/messages.ts';
import { useSession } from '../session/session-context.tsx';
import { LoadFailed } from './load-failed.tsx';

/** Body of `GET /api/admin/institutions`. */
interface InstitutionsResponse {
  source: string;
  height: number;
  institutions: InstitutionView[];
}

/** Hex digits of a fingerprint shown before the full value is copied or hovered. */
const FINGERPRINT_SHOWN = 16;

function roleText(t: Translate, role: string): string {
  if (role === 'hub') return t('admin.institutions.role.hub');
  if (role === 'hospital') return t('admin.institutions.role.hospital');
  return role;
}

function buildColumns(t: Translate, lang: Lang): TableProps<InstitutionView>['columns'] {
  return [
    {
      title: t('admin.institutions.col.name'),
      key: 'name',
      render: (_, i) => <Typography.Text strong>{i.name}</Typography.Text>,
    },
    { title: t('admin.institutions.col.role'), key: 'role', render: (_, i) => <Tag>{roleText(t, i.role)}</Tag> },
    {
      title: t('admin.institutions.col.status'),
      key: 'status',
      render: (_, i) => (
        <Tag data-testid={`institution-status-${i.name}`} color={i.status === 'active' ? 'success' : 'warning'}>
          {i.status === 'active'
            ? t('admin.institutions.status.active')
            : i.status === 'suspended'
              ? t('admin.institutions.status.suspended')
              : i.status}
        </Tag>
      ),
    },
    {
      title: t('admin.institutions.col.fingerprint'),
      key: 'fingerprint',
      render: (_, i) => (
        <Typography.Text code copyable={{ text: i.keyFingerprint }} title={i.keyFingerprint}>
          {`${i.keyFingerprint.slice(0, FINGERPRINT_SHOWN)}…`}
        </Typography.Text>
      ),
    },
    {
      title: t('admin.institutions.col.since'),
      key: 'since',
      align: 'right',
      render: (_, i) => (i.sinceHeight === null ? '—' : formatInteger(i.sinceHeight, lang)),
    },
  ];
}

/** The institutions table. */
export function InstitutionsTab() {
  const t = useT();
  const { lang } = useLang();
  const { api } = useSession();
  const load = useCallback(
    (signal: AbortSignal) => api.request<InstitutionsResponse>('/api/admin/institutions', { signal }),
    [api],
  );
  const { data, error, loading, reload } = useFetch(load);
  const columns = useMemo(() => buildColumns(t, lang), [t, lang]);

  if (error && error.status === 503) {
    return (
      <Alert
        data-testid="institutions-unavailable"
        type="warning"
        showIcon
        title={t('admin.institutions.unavailable')}
        description={<ErrorDetail t={t} error={error} />}
        action={<Button onClick={reload}>{t('admin.reload')}</Button>}
      />
    );
  }
  if (error && !data) return <LoadFailed error={error} title={t('admin.loadFailed')} onRetry={reload} />;

  return (
    <div style={{ display: 'flex', flexDirection: 'column', gap: 12 }}>
      <Space style={{ justifyContent: 'space-between', width: '100%' }} wrap>
        <Typography.Text type="secondary">
          {t('admin.institutions.about')}
          {data
            ? ` · ${t('admin.institutions.source', { source: data.source, height: formatInteger(data.height, lang) })}`
            : ''}
        </Typography.Text>
        <Button onClick={reload}>{t('admin.reload')}</Button>
      </Space>
      <Table<InstitutionView>
        data-testid="institutions-table"
        rowKey="name"
        size="middle"
        columns={columns}
        dataSource={data?.institutions ?? []}
        loading={loading && !data}
        locale={{ emptyText: t('admin.institutions.empty') }}
        pagination={false}
        scroll={{ x: 'max-content' }}
        onRow={(i) => ({ 'data-testid': `institution-row-${i.name}` }) as HTMLAttributes<HTMLElement>}
      />
    </div>
  );
}
