/**
 * Data-use requests and approvals (数据申请/审批). The list shows what the user may read — a researcher's
 * projects', a steward's hospital's, every request for the ethics committee and oversight — with its state on the
 * ledger and who must still decide; "awaiting me" first for those who decide. A request's page shows the cohort,
 * purpose and scope, each required approver's decision with its ledger transaction, and the decision form.
 */
import { CheckCircleOutlined, ClockCircleOutlined, CloseCircleOutlined } from '@ant-design/icons';
import {
  Alert,
  App,
  Button,
  Card,
  Descriptions,
  Empty,
  Form,
  Input,
  InputNumber,
  Radio,
  Result,
  Segmented,
  Space,
  Steps,
  Table,
  type TableProps,
  Tag,
  Tooltip,
  Typography,
} from 'antd';
import { useCallback, useMemo, useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { isApiError } from '../api.ts';
import type { User } from '../api-types.ts';
import { ErrorDetail, errorHeadline } from '../components/error-text.tsx';
import { NoPermission } from '../components/no-permission.tsx';
import { useFetch } from '../components/use-fetch.ts';
import { formatDateTime, parseTimestamp } from '../i18n/format.ts';
import { type Translate, useLang, useT } from '../i18n/i18n-context.tsx';
import type { Lang } from '../i18n/messages.ts';
import { HeldTasks } from '../projects/held-tasks.tsx';
import { type RequestFull, type RequestList, type RequestView, STATUS_COLOR } from '../projects/types.ts';
import { useSession, useUser } from '../session/session-context.tsx';

function when(iso: string, lang: Lang): string {
  return formatDateTime(parseTimestamp(iso) ?? 0, lang);
}

/** The approver name this user decides as (`ethics`, or their hospital), or null when they decide nothing. */
export function approverOf(user: Pick<User, 'role' | 'hospital'>): string | null {
  if (user.role === 'ethics') return 'ethics';
  if (user.role === 'steward') return user.hospital ?? null;
  return null;
}

/** True when `user` must still decide on `r`. */
export function awaitsUser(
  r: Pick<RequestView, 'awaiting' | 'status'>,
  user: Pick<User, 'role' | 'hospital'>,
): boolean {
  const me = approverOf(user);
  return me !== null && r.status === 'pending' && r.awaiting.includes(me);
}

function columns(t: Translate, lang: Lang, user: User): TableProps<RequestView>['columns'] {
  return [
    {
      title: t('requests.col.id'),
      key: 'id',
      render: (_, r) => (
        <Space direction="vertical" size={0}>
          <Link to={`/requests/${r.requestId}`} data-testid={`request-link-${r.requestId}`}>
            {r.requestId}
          </Link>
          {awaitsUser(r, user) ? <Tag color="gold">{t('requests.awaitingMe')}</Tag> : null}
        </Space>
      ),
    },
    {
      title: t('requests.col.status'),
      key: 'status',
      render: (_, r) => (
        <Tag color={STATUS_COLOR[r.status]} data-testid={`request-status-${r.requestId}`}>
          {t(`requests.status.${r.status}`)}
        </Tag>
      ),
    },
    {
      title: t('requests.col.purpose'),
      key: 'purpose',
      render: (_, r) => (
        <Tooltip title={r.statement}>
          <span>{t(`requests.purpose.${r.purpose as 'research'}`)}</span>
        </Tooltip>
      ),
    },
    {
      title: t('requests.col.awaiting'),
      key: 'awaiting',
      render: (_, r) => (r.awaiting.length === 0 ? '—' : r.awaiting.map((a) => <Tag key={a}>{a}</Tag>)),
    },
    { title: t('requests.col.kinds'), key: 'kinds', render: (_, r) => r.analysisKinds.join(', ') },
    { title: t('requests.col.hospitals'), key: 'hospitals', render: (_, r) => r.hospitals.join(', ') },
    { title: t('requests.col.by'), key: 'by', render: (_, r) => `${r.createdBy} · ${when(r.createdAt, lang)}` },
  ];
}

/** The requests list at /requests. */
export function RequestsPage() {
  const t = useT();
  const { lang } = useLang();
  const { api } = useSession();
  const user = useUser();
  const [filter, setFilter] = useState<'mine' | 'pending' | 'all'>(approverOf(user) === null ? 'all' : 'mine');
  const load = useCallback((signal: AbortSignal) => api.request<RequestList>('/api/requests', { signal }), [api]);
  const { data, error, loading } = useFetch(load);
  const rows = useMemo(() => {
    const all = data?.requests ?? [];
    if (filter === 'mine') return all.filter((r) => awaitsUser(r, user));
    if (filter === 'pending') return all.filter((r) => r.status === 'pending');
    return all;
  }, [data, filter, user]);

  if (error?.status === 403) return <NoPermission code={error.code} />;
  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <Card
        title={t('requests.title')}
        data-testid="requests-page"
        extra={
          <Segmented
            value={filter}
            onChange={(v) => setFilter(v as typeof filter)}
            options={[
              ...(approverOf(user) === null ? [] : [{ value: 'mine', label: t('requests.filter.mine') }]),
              { value: 'pending', label: t('requests.filter.pending') },
              { value: 'all', label: t('requests.filter.all') },
            ]}
          />
        }
      >
        <Typography.Paragraph type="secondary">{t('requests.about')}</Typography.Paragraph>
        {error ? <ErrorDetail t={t} error={error} /> : null}
        <Table
          rowKey="requestId"
          loading={loading && !data}
          dataSource={rows}
          columns={columns(t, lang, user)}
          pagination={{ pageSize: 20, hideOnSinglePage: true }}
          locale={{ emptyText: <Empty description={t('requests.none')} /> }}
        />
      </Card>
      {user.role === 'steward' && user.hospital ? <HeldTasks hospital={user.hospital} /> : null}
    </Space>
  );
}

function ApproverSteps({ data }: { data: RequestFull }) {
  const t = useT();
  const { lang } = useLang();
  const ledger = data.request.ledger;
  const required = ledger?.requiredApprovers ?? ['ethics', ...data.request.hospitals];
  const events = new Map(data.events.filter((e) => e.kind === 'decide').map((e) => [e.approver, e]));
  return (
    <Steps
      direction="vertical"
      size="small"
      data-testid="request-approvers"
      items={required.map((a) => {
        const d = ledger?.decisions[a];
        const e = events.get(a);
        const status = d === undefined ? 'wait' : d.decision === 'approve' ? 'finish' : 'error';
        const icon =
          d === undefined ? (
            <ClockCircleOutlined key="wait" />
          ) : d.decision === 'approve' ? (
            <CheckCircleOutlined key="approve" />
          ) : (
            <CloseCircleOutlined key="refuse" />
          );
        return {
          status,
          icon,
          title: (
            <span data-testid={`approver-${a}`}>
              {a === 'ethics' ? t('requests.ethics') : a} ·{' '}
              {d === undefined ? t('requests.awaiting') : t(`requests.decision.${d.decision}`)}
            </span>
          ),
          description: e ? (
            <div>
              <Typography.Text>{e.comment}</Typography.Text>
              <br />
              <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                {e.username} · {when(e.at, lang)} · {t('requests.tx', { height: e.height })}{' '}
                <Typography.Text code copyable={{ text: e.txHash }}>
                  {e.txHash.slice(0, 12)}…
                </Typography.Text>
              </Typography.Text>
            </div>
          ) : null,
        };
      })}
    />
  );
}

function DecisionForm({ data, onDecided }: { data: RequestFull; onDecided: () => void }) {
  const t = useT();
  const { api } = useSession();
  const user = useUser();
  const { message } = App.useApp();
  const [form] = Form.useForm<{ decision: 'approve' | 'refuse'; comment: string; epsilon?: number }>();
  const [saving, setSaving] = useState(false);
  const submit = async () => {
    const v = await form.validateFields();
    setSaving(true);
    try {
      await api.request(`/api/requests/${data.request.requestId}/decision`, {
        method: 'POST',
        body: {
          decision: v.decision,
          comment: v.comment,
          ...(v.epsilon === undefined || v.epsilon === null ? {} : { epsilon: v.epsilon }),
        },
        timeoutMs: 60_000,
      });
      void message.success(t('requests.decided'));
      onDecided();
    } catch (e) {
      if (isApiError(e)) void message.error(errorHeadline(t, e, t('requests.decideFailed')));
    } finally {
      setSaving(false);
    }
  };
  return (
    <Card size="small" title={t('requests.yourDecision', { as: approverOf(user) ?? '' })} data-testid="decision-form">
      <Form form={form} layout="vertical" initialValues={{ decision: 'approve' }}>
        <Form.Item name="decision">
          <Radio.Group>
            <Radio.Button value="approve" data-testid="decision-approve">
              {t('requests.decision.approve')}
            </Radio.Button>
            <Radio.Button value="refuse" data-testid="decision-refuse">
              {t('requests.decision.refuse')}
            </Radio.Button>
          </Radio.Group>
        </Form.Item>
        <Form.Item
          name="comment"
          label={t('requests.comment')}
          rules={[{ required: true, message: t('requests.commentRule') }]}
        >
          <Input.TextArea rows={3} data-testid="decision-comment" />
        </Form.Item>
        {user.role === 'ethics' ? (
          <Form.Item name="epsilon" label={t('requests.grantEpsilon')} tooltip={t('requests.grantEpsilonHelp')}>
            <InputNumber min={0} max={data.request.epsilon} step={0.1} style={{ width: 160 }} />
          </Form.Item>
        ) : null}
        <Button type="primary" loading={saving} onClick={submit} data-testid="decision-submit">
          {t('requests.sign')}
        </Button>
      </Form>
    </Card>
  );
}

/** One request at /requests/:requestId. */
export function RequestPage() {
  const t = useT();
  const { lang } = useLang();
  const { api } = useSession();
  const user = useUser();
  const { requestId = '' } = useParams();
  const load = useCallback(
    (signal: AbortSignal) => api.request<RequestFull>(`/api/requests/${encodeURIComponent(requestId)}`, { signal }),
    [api, requestId],
  );
  const { data, error, loading, reload } = useFetch(load);
  if (error?.status === 403) return <NoPermission code={error.code} />;
  if (error?.status === 404) return <Result status="404" title={t('requests.notFound')} subTitle={error.message} />;
  if (!data) return <Card loading={loading}>{error ? <ErrorDetail t={t} error={error} /> : null}</Card>;
  const r = data.request;
  const granted = r.ledger?.grantedEpsilonMicros;
  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }} data-testid="request-page">
      <Card
        title={
          <Space>
            {t('requests.request')} <Typography.Text code>{r.requestId}</Typography.Text>
            <Tag color={STATUS_COLOR[r.status]} data-testid="request-status">
              {t(`requests.status.${r.status}`)}
            </Tag>
          </Space>
        }
      >
        {r.ledgerError ? (
          <Alert type="warning" showIcon message={t('requests.ledgerUnavailable')} description={r.ledgerError} />
        ) : null}
        <Descriptions size="small" column={{ xs: 1, md: 2 }} bordered>
          <Descriptions.Item label={t('requests.field.project')}>
            <Link to={`/projects/${data.project.projectId}`}>{data.project.title}</Link>
          </Descriptions.Item>
          <Descriptions.Item
            label={t('requests.col.by')}
          >{`${r.createdBy} · ${when(r.createdAt, lang)}`}</Descriptions.Item>
          <Descriptions.Item label={t('requests.field.purpose')}>
            {t(`requests.purpose.${r.purpose as 'research'}`)}
          </Descriptions.Item>
          <Descriptions.Item
            label={t('requests.field.period')}
          >{`${when(r.periodStart, lang)} – ${when(r.periodEnd, lang)}`}</Descriptions.Item>
          <Descriptions.Item label={t('requests.field.statement')} span={2}>
            {r.statement}
          </Descriptions.Item>
          <Descriptions.Item label={t('requests.field.cohort')}>
            {data.cohort.name}{' '}
            <Tooltip title={data.cohort.hash}>
              <Typography.Text code>{data.cohort.hash.slice(0, 12)}…</Typography.Text>
            </Tooltip>
          </Descriptions.Item>
          <Descriptions.Item label={t('requests.field.kinds')}>{r.analysisKinds.join(', ')}</Descriptions.Item>
          <Descriptions.Item label={t('requests.field.hospitals')}>{r.hospitals.join(', ')}</Descriptions.Item>
          <Descriptions.Item label={t('requests.field.epsilon')}>
            {granted === undefined
              ? r.epsilon
              : t('requests.epsilonGranted', { asked: r.epsilon, granted: granted / 1e6 })}
          </Descriptions.Item>
        </Descriptions>
        <Typography.Paragraph type="secondary" style={{ marginTop: 12 }}>
          <Typography.Text code>{JSON.stringify(data.cohort.definition)}</Typography.Text>
        </Typography.Paragraph>
      </Card>
      <Card title={t('requests.approvals')}>
        <ApproverSteps data={data} />
      </Card>
      {awaitsUser(r, user) ? <DecisionForm data={data} onDecided={reload} /> : null}
      {r.ledger?.tasks && r.ledger.tasks.length > 0 ? (
        <Card size="small" title={t('requests.tasks')}>
          {r.ledger.tasks.map((id) => (
            <Tag key={id}>{id}</Tag>
          ))}
        </Card>
      ) : null}
    </Space>
  );
}
