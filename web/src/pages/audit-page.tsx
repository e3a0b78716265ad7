/**
 * 审计 / Audit trail for auditors and administrators: search clinicians' access records (on the consortium
 * ledger) and every operation of the hub's audit trail by user, patient token, hospital, type, action and time.
 * An access record names its ledger transaction: its receipt downloads as JSON and verifies in this browser
 * (components/receipt-verify.tsx), against the validator set the hub is configured with.
 */
import { SearchOutlined } from '@ant-design/icons';
import {
  Alert,
  Button,
  Card,
  DatePicker,
  Form,
  Input,
  Select,
  Space,
  Table,
  type TableProps,
  Tag,
  Tooltip,
  Typography,
} from 'antd';
import type { Dayjs } from 'dayjs';
import { useCallback, useMemo, useState } from 'react';
import type { AuditAnswer } from '../../../src/hub/audit-search/routes.ts';
import { LEDGER_ROLES } from '../../../src/hub/auth/role-names.ts';
import { ErrorDetail, errorHeadline } from '../components/error-text.tsx';
import { NoPermission } from '../components/no-permission.tsx';
import { ReceiptActions, type ReceiptHandlers, useReceiptVerification } from '../components/receipt-verify.tsx';
import { useFetch } from '../components/use-fetch.ts';
import { formatDateTime, parseTimestamp } from '../i18n/format.ts';
import { type Translate, useLang, useT } from '../i18n/i18n-context.tsx';
import type { Lang } from '../i18n/messages.ts';
import { useSession, useUser } from '../session/session-context.tsx';

type AuditRow = AuditAnswer['records'][number];

/** Records per search. */
const AUDIT_PAGE = 200;

interface Filters {
  user?: string;
  patientToken?: string;
  hospital?: string;
  type?: 'access' | 'operation';
  action?: string;
  range?: [Dayjs | null, Dayjs | null] | null;
}

/** The audit page (auditors and administrators). */
export function AuditPage() {
  const user = useUser();
  if (!(LEDGER_ROLES as readonly string[]).includes(user.role)) return <NoPermission />;
  return <AuditContent />;
}

function queryOf(f: Filters): string {
  const q = new URLSearchParams({ limit: String(AUDIT_PAGE) });
  for (const k of ['user', 'patientToken', 'hospital', 'type', 'action'] as const) {
    const v = f[k]?.trim();
    if (v) q.set(k, v);
  }
  const [from, to] = f.range ?? [null, null];
  if (from) q.set('from', from.toISOString());
  if (to) q.set('to', to.toISOString());
  return q.toString();
}

function AuditContent() {
  const t = useT();
  const { lang } = useLang();
  const { api } = useSession();
  const [form] = Form.useForm<Filters>();
  const [query, setQuery] = useState<string>(() => queryOf({}));
  const { handlers, modal } = useReceiptVerification(api);
  const load = useCallback(
    (signal: AbortSignal) => api.request<AuditAnswer>(`/api/audit?${query}`, { signal, timeoutMs: 30_000 }),
    [api, query],
  );
  const { data, error, loading } = useFetch(load);
  const columns = useMemo(() => auditColumns(t, lang, handlers), [t, lang, handlers]);

  if (error?.status === 403) return <NoPermission code={error.code} />;

  return (
    <div style={{ display: 'flex', flexDirection: 'column', gap: 16 }} data-testid="audit-page">
      <Card title={t('audit.title')}>
        <Typography.Paragraph type="secondary">{t('audit.about')}</Typography.Paragraph>
        <Form<Filters> form={form} layout="inline" onFinish={(f) => setQuery(queryOf(f))} style={{ rowGap: 12 }}>
          <Form.Item name="user" label={t('audit.filter.user')}>
            <Input data-testid="audit-user" allowClear style={{ width: 140 }} />
          </Form.Item>
          <Form.Item name="patientToken" label={t('audit.filter.patientToken')}>
            <Input data-testid="audit-token" allowClear style={{ width: 220 }} />
          </Form.Item>
          <Form.Item name="hospital" label={t('audit.filter.hospital')}>
            <Input data-testid="audit-hospital" allowClear style={{ width: 140 }} />
          </Form.Item>
          <Form.Item name="type" label={t('audit.filter.type')}>
            <Select
              data-testid="audit-type"
              allowClear
              style={{ width: 140 }}
              placeholder={t('audit.type.all')}
              options={[
                { value: 'access', label: t('audit.type.access') },
                { value: 'operation', label: t('audit.type.operation') },
              ]}
            />
          </Form.Item>
          <Form.Item name="action" label={t('audit.filter.action')}>
            <Input data-testid="audit-action" allowClear style={{ width: 160 }} placeholder="panorama." />
          </Form.Item>
          <Form.Item name="range" label={t('audit.filter.time')}>
            <DatePicker.RangePicker showTime allowEmpty={[true, true]} />
          </Form.Item>
          <Form.Item>
            <Button type="primary" htmlType="submit" icon={<SearchOutlined />} data-testid="audit-search">
              {t('audit.search')}
            </Button>
          </Form.Item>
        </Form>
      </Card>
      <Card styles={{ body: { padding: 0 } }}>
        {error ? (
          <Alert
            type="error"
            showIcon
            title={errorHeadline(t, error, t('audit.failed'))}
            description={<ErrorDetail t={t} error={error} />}
          />
        ) : null}
        {data?.ledgerChecked ? (
          <Alert type="info" showIcon banner title={t('audit.ledgerChecked')} data-testid="audit-ledger-checked" />
        ) : null}
        <Table<AuditRow>
          data-testid="audit-table"
          rowKey="id"
          size="small"
          columns={columns}
          dataSource={data?.records ?? []}
          loading={loading}
          pagination={{ pageSize: 50, showSizeChanger: false }}
          scroll={{ x: 'max-content' }}
          locale={{ emptyText: data ? t('audit.empty') : ' ' }}
          expandable={{
            expandedRowRender: (r) => (
              <Typography.Paragraph style={{ margin: 0 }}>
                {r.reason ? (
                  <>
                    <Typography.Text strong>{t('audit.col.reason')}: </Typography.Text>
                    {r.reason}
                    <br />
                  </>
                ) : null}
                <Typography.Text code style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}>
                  {JSON.stringify(r.detail)}
                </Typography.Text>
              </Typography.Paragraph>
            ),
          }}
          onRow={(r) => ({ 'data-testid': `audit-row-${r.type}` }) as React.HTMLAttributes<HTMLElement>}
        />
      </Card>
      {modal}
    </div>
  );
}

function timeText(iso: string, lang: Lang): string {
  const ms = parseTimestamp(iso);
  return ms === null ? '—' : formatDateTime(ms, lang);
}

function auditColumns(
  t: Translate,
  lang: Lang,
  handlers: ReceiptHandlers,
): NonNullable<TableProps<AuditRow>['columns']> {
  return [
    { title: t('audit.col.time'), key: 'at', render: (_, r) => timeText(r.at, lang) },
    {
      title: t('audit.col.type'),
      key: 'type',
      render: (_, r) => (
        <Tag color={r.type === 'access' ? 'blue' : 'default'}>
          {r.type === 'access' ? t('audit.type.access') : t('audit.type.operation')}
        </Tag>
      ),
    },
    {
      title: t('audit.col.user'),
      key: 'user',
      render: (_, r) => (
        <Space size={4}>
          {r.user}
          {r.role ? <Typography.Text type="secondary">({r.role})</Typography.Text> : null}
        </Space>
      ),
    },
    {
      title: t('audit.col.action'),
      key: 'action',
      render: (_, r) => (
        <Space size={4}>
          <Typography.Text code>{r.action}</Typography.Text>
          {r.breakGlass ? (
            <Tag color="red" data-testid="audit-break-glass">
              {t('audit.breakGlass', { code: r.reasonCode ?? '' })}
            </Tag>
          ) : null}
        </Space>
      ),
    },
    { title: t('audit.col.hospital'), key: 'hospital', render: (_, r) => r.hospital ?? '—' },
    {
      title: t('audit.col.patientToken'),
      key: 'token',
      render: (_, r) =>
        r.patientToken ? (
          <Tooltip title={<span style={{ wordBreak: 'break-all' }}>{r.patientToken}</span>}>
            <Typography.Text code copyable={{ text: r.patientToken }}>
              {r.patientToken.slice(0, 10)}…
            </Typography.Text>
          </Tooltip>
        ) : (
          '—'
        ),
    },
    { title: t('audit.col.target'), key: 'target', render: (_, r) => r.target ?? '—' },
    {
      title: t('audit.col.outcome'),
      key: 'outcome',
      render: (_, r) => (
        <Tag color={r.outcome === 'ok' ? 'green' : r.outcome === 'refused' ? 'orange' : 'red'}>
          {t(`audit.outcome.${r.outcome}`)}
        </Tag>
      ),
    },
    {
      title: t('audit.col.ledger'),
      key: 'ledger',
      render: (_, r) =>
        r.txHash ? (
          <Space orientation="vertical" size={2}>
            <Typography.Text type="secondary">{t('audit.height', { height: r.height ?? 0 })}</Typography.Text>
            <ReceiptActions hash={r.txHash} {...handlers} />
          </Space>
        ) : r.source === 'ledger' ? (
          <Tag>{t('audit.ledgerOnly', { height: r.height ?? 0 })}</Tag>
        ) : (
          '—'
        ),
    },
  ];
}
