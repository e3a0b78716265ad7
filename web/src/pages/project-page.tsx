/**
 * One research project: overview (members, protocol and ethics documents with their notarization), saved
 * cohorts, data-use requests with their ledger state, analyses with their released results, and the timeline.
 * Members change it; oversight roles read it.
 */
import { FileProtectOutlined, PlusOutlined, UploadOutlined } from '@ant-design/icons';
import {
  App,
  Button,
  Card,
  Descriptions,
  Empty,
  Input,
  List,
  Result,
  Select,
  Space,
  Table,
  type TableProps,
  Tabs,
  Tag,
  Timeline,
  Tooltip,
  Typography,
  Upload,
} from 'antd';
import { useCallback, useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { isApiError } from '../api.ts';
import { ErrorDetail, errorHeadline } from '../components/error-text.tsx';
import { NoPermission } from '../components/no-permission.tsx';
import { useFetch } from '../components/use-fetch.ts';
import { formatBytes, formatDateTime, parseTimestamp } from '../i18n/format.ts';
import { type Translate, useLang, useT } from '../i18n/i18n-context.tsx';
import type { Lang } from '../i18n/messages.ts';
import { ProjectAnalyses } from '../projects/project-analyses.tsx';
import { RequestForm } from '../projects/request-form.tsx';
import {
  type ProjectDocument,
  type ProjectFull,
  type RequestView,
  STATUS_COLOR,
  type TimelineEntry,
} from '../projects/types.ts';
import { useSession, useUser } from '../session/session-context.tsx';

/** Document kinds a member may upload. */
const DOCUMENT_KINDS = ['protocol', 'ethics', 'consent-form', 'other'] as const;

function when(iso: string, lang: Lang): string {
  return formatDateTime(parseTimestamp(iso) ?? 0, lang);
}

/** Reads a browser file as base64 (no data-URL prefix). */
function fileBase64(file: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onerror = () => reject(reader.error);
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ''));
    reader.readAsDataURL(file);
  });
}

function shortHash(h: string): string {
  return `${h.slice(0, 10)}…`;
}

function requestColumns(t: Translate, lang: Lang): TableProps<RequestView>['columns'] {
  return [
    {
      title: t('requests.col.id'),
      key: 'id',
      render: (_, r) => (
        <Link to={`/requests/${r.requestId}`} data-testid={`request-link-${r.requestId}`}>
          {r.requestId}
        </Link>
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
      title: t('requests.col.awaiting'),
      key: 'awaiting',
      render: (_, r) => (r.awaiting.length === 0 ? '—' : r.awaiting.map((a) => <Tag key={a}>{a}</Tag>)),
    },
    { title: t('requests.col.kinds'), key: 'kinds', render: (_, r) => r.analysisKinds.join(', ') },
    { title: t('requests.col.hospitals'), key: 'hospitals', render: (_, r) => r.hospitals.join(', ') },
    {
      title: t('requests.col.period'),
      key: 'period',
      render: (_, r) => `${when(r.periodStart, lang)} – ${when(r.periodEnd, lang)}`,
    },
  ];
}

function DocumentsCard(props: {
  projectId: string;
  documents: ProjectDocument[];
  canEdit: boolean;
  onChanged: () => void;
}) {
  const t = useT();
  const { lang } = useLang();
  const { api } = useSession();
  const { message } = App.useApp();
  const [kind, setKind] = useState<(typeof DOCUMENT_KINDS)[number]>('protocol');
  const [uploading, setUploading] = useState(false);
  const upload = async (file: File) => {
    setUploading(true);
    try {
      await api.request(`/api/projects/${props.projectId}/documents`, {
        method: 'POST',
        body: {
          kind,
          name: file.name,
          mediaType: file.type || 'application/octet-stream',
          contentBase64: await fileBase64(file),
        },
        timeoutMs: 60_000,
      });
      void message.success(t('projects.doc.done', { name: file.name }));
      props.onChanged();
    } catch (e) {
      if (isApiError(e)) void message.error(errorHeadline(t, e, t('projects.doc.failed')));
    } finally {
      setUploading(false);
    }
  };
  return (
    <Card
      size="small"
      title={t('projects.documents')}
      extra={
        props.canEdit ? (
          <Space>
            <Select
              size="small"
              value={kind}
              onChange={setKind}
              style={{ width: 140 }}
              options={DOCUMENT_KINDS.map((k) => ({ value: k, label: t(`projects.doc.kind.${k}`) }))}
            />
            <Upload
              showUploadList={false}
              beforeUpload={(file) => {
                void upload(file);
                return false;
              }}
            >
              <Button size="small" icon={<UploadOutlined />} loading={uploading}>
                {t('projects.doc.upload')}
              </Button>
            </Upload>
          </Space>
        ) : null
      }
    >
      <Table
        size="small"
        rowKey="documentId"
        pagination={false}
        dataSource={props.documents}
        locale={{ emptyText: t('projects.doc.none') }}
        columns={[
          { title: t('projects.doc.name'), dataIndex: 'name' },
          { title: t('projects.doc.kind'), key: 'kind', render: (_, d) => t(`projects.doc.kind.${d.kind}`) },
          { title: t('projects.doc.size'), key: 'size', render: (_, d) => formatBytes(d.size, lang) },
          {
            title: 'SHA-256',
            key: 'sha',
            render: (_, d) => (
              <Tooltip title={d.sha256}>
                <Typography.Text code>{shortHash(d.sha256)}</Typography.Text>
              </Tooltip>
            ),
          },
          {
            title: t('projects.doc.notarized'),
            key: 'notarized',
            render: (_, d) =>
              d.notarized ? (
                <Tooltip title={d.notarized.txHash}>
                  <Tag icon={<FileProtectOutlined />} color="success">
                    {t('projects.doc.atHeight', { height: d.notarized.height })}
                  </Tag>
                </Tooltip>
              ) : (
                <Tag>{t('projects.doc.notNotarized')}</Tag>
              ),
          },
          {
            title: t('projects.doc.uploaded'),
            key: 'at',
            render: (_, d) => `${d.uploadedBy} · ${when(d.uploadedAt, lang)}`,
          },
        ]}
      />
    </Card>
  );
}

function MembersCard(props: { data: ProjectFull; canEdit: boolean; onChanged: () => void }) {
  const t = useT();
  const { api } = useSession();
  const { message } = App.useApp();
  const [username, setUsername] = useState('');
  const add = async () => {
    try {
      await api.request(`/api/projects/${props.data.project.projectId}/members`, {
        method: 'POST',
        body: { username: username.trim() },
      });
      setUsername('');
      props.onChanged();
    } catch (e) {
      if (isApiError(e)) void message.error(errorHeadline(t, e, t('projects.member.failed')));
    }
  };
  return (
    <Card size="small" title={t('projects.members')}>
      <List
        size="small"
        dataSource={props.data.members}
        renderItem={(m) => (
          <List.Item>
            <Space>
              <Typography.Text>{m.username}</Typography.Text>
              <Tag color={m.role === 'owner' ? 'blue' : 'default'}>{t(`projects.role.${m.role}`)}</Tag>
            </Space>
          </List.Item>
        )}
      />
      {props.canEdit ? (
        <Space.Compact style={{ marginTop: 8 }}>
          <Input
            placeholder={t('projects.member.placeholder')}
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            onPressEnter={add}
          />
          <Button icon={<PlusOutlined />} onClick={add} disabled={username.trim() === ''}>
            {t('projects.member.add')}
          </Button>
        </Space.Compact>
      ) : null}
    </Card>
  );
}

function TimelineCard({ entries }: { entries: TimelineEntry[] }) {
  const t = useT();
  const { lang } = useLang();
  return (
    <Timeline
      items={entries.map((e) => ({
        color: e.type === 'decision' ? (e.detail.decision === 'refuse' ? 'red' : 'green') : 'blue',
        children: (
          <div>
            <Typography.Text strong>{t(`projects.timeline.${e.type}`)}</Typography.Text> · {e.subject}
            {e.type === 'decision'
              ? ` · ${String(e.detail.approver)} ${t(`requests.decision.${e.detail.decision === 'refuse' ? 'refuse' : 'approve'}`)}`
              : ''}
            <br />
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {e.actor} · {when(e.at, lang)}
            </Typography.Text>
          </div>
        ),
      }))}
    />
  );
}

/** The project page at /projects/:projectId. */
export function ProjectPage() {
  const t = useT();
  const { lang } = useLang();
  const { api } = useSession();
  const user = useUser();
  const { projectId = '' } = useParams();
  const [requesting, setRequesting] = useState(false);
  const [tab, setTab] = useState('overview');
  const load = useCallback(
    (signal: AbortSignal) => api.request<ProjectFull>(`/api/projects/${encodeURIComponent(projectId)}`, { signal }),
    [api, projectId],
  );
  const { data, error, loading, reload } = useFetch(load);

  if (error?.status === 403) return <NoPermission code={error.code} />;
  if (error?.status === 404) {
    return <Result status="404" title={t('projects.notFound')} subTitle={error.message} />;
  }
  if (!data) {
    return <Card loading={loading}>{error ? <ErrorDetail t={t} error={error} /> : null}</Card>;
  }
  const canEdit = user.role === 'researcher' && data.project.myRole !== null;
  const approved = data.requests.filter((r) => r.status === 'approved');

  return (
    <div data-testid="project-page">
      <Card>
        <Typography.Title level={4} style={{ marginTop: 0 }} data-testid="project-title-text">
          {data.project.title}
        </Typography.Title>
        <Typography.Paragraph type="secondary">{data.project.description || '—'}</Typography.Paragraph>
        <Descriptions size="small" column={{ xs: 1, md: 3 }}>
          <Descriptions.Item label={t('projects.id')}>
            <Typography.Text code>{data.project.projectId}</Typography.Text>
          </Descriptions.Item>
          <Descriptions.Item label={t('projects.col.created')}>
            {data.project.createdBy} · {when(data.project.createdAt, lang)}
          </Descriptions.Item>
          <Descriptions.Item label={t('projects.col.myRole')}>
            {data.project.myRole === null ? t('projects.role.observer') : t(`projects.role.${data.project.myRole}`)}
          </Descriptions.Item>
        </Descriptions>
      </Card>
      <Card style={{ marginTop: 16 }}>
        <Tabs
          activeKey={tab}
          onChange={setTab}
          items={[
            {
              key: 'overview',
              label: t('projects.tab.overview'),
              children: (
                <Space direction="vertical" style={{ width: '100%' }} size="middle">
                  <MembersCard data={data} canEdit={canEdit} onChanged={reload} />
                  <DocumentsCard
                    projectId={projectId}
                    documents={data.documents}
                    canEdit={canEdit}
                    onChanged={reload}
                  />
                </Space>
              ),
            },
            {
              key: 'cohorts',
              label: `${t('projects.tab.cohorts')} (${data.cohorts.length})`,
              children: (
                <Table
                  rowKey="cohortId"
                  dataSource={data.cohorts}
                  pagination={false}
                  locale={{ emptyText: <Empty description={t('projects.cohorts.none')} /> }}
                  columns={[
                    { title: t('projects.cohorts.name'), dataIndex: 'name' },
                    { title: t('projects.cohorts.description'), key: 'd', render: (_, c) => c.description || '—' },
                    {
                      title: t('projects.cohorts.hash'),
                      key: 'hash',
                      render: (_, c) => (
                        <Tooltip title={c.hash}>
                          <Typography.Text code>{shortHash(c.hash)}</Typography.Text>
                        </Tooltip>
                      ),
                    },
                    {
                      title: t('projects.doc.uploaded'),
                      key: 'at',
                      render: (_, c) => `${c.createdBy} · ${when(c.createdAt, lang)}`,
                    },
                    {
                      title: '',
                      key: 'open',
                      render: (_, c) => (
                        <Link
                          to={`/cohorts?project=${encodeURIComponent(projectId)}&cohort=${encodeURIComponent(c.cohortId)}`}
                        >
                          {t('projects.cohorts.open')}
                        </Link>
                      ),
                    },
                  ]}
                />
              ),
            },
            {
              key: 'requests',
              label: `${t('projects.tab.requests')} (${data.requests.length})`,
              children: (
                <>
                  {canEdit ? (
                    <Button
                      type="primary"
                      icon={<PlusOutlined />}
                      style={{ marginBottom: 12 }}
                      onClick={() => setRequesting(true)}
                      disabled={data.cohorts.length === 0}
                      data-testid="request-new"
                    >
                      {t('requests.new')}
                    </Button>
                  ) : null}
                  {canEdit && data.cohorts.length === 0 ? (
                    <Typography.Paragraph type="secondary">{t('requests.needCohort')}</Typography.Paragraph>
                  ) : null}
                  <Table
                    rowKey="requestId"
                    dataSource={data.requests}
                    columns={requestColumns(t, lang)}
                    pagination={false}
                    locale={{ emptyText: <Empty description={t('requests.none')} /> }}
                  />
                </>
              ),
            },
            {
              key: 'analyses',
              label: `${t('projects.tab.analyses')} (${data.analyses.length})`,
              children: (
                <ProjectAnalyses
                  projectId={projectId}
                  canRun={canEdit}
                  cohorts={data.cohorts}
                  requests={approved}
                  analyses={data.analyses}
                  projectTitle={data.project.title}
                  onDone={reload}
                />
              ),
            },
            {
              key: 'timeline',
              label: t('projects.tab.timeline'),
              children: <TimelineCard entries={data.timeline} />,
            },
          ]}
        />
      </Card>
      <RequestForm
        open={requesting}
        projectId={projectId}
        cohorts={data.cohorts}
        hospitals={data.hospitals}
        onClose={() => setRequesting(false)}
        onSubmitted={() => {
          setRequesting(false);
          setTab('requests');
          reload();
        }}
      />
    </div>
  );
}
