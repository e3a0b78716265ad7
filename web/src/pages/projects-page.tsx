/**
 * Research projects (临床研究管理): the projects the user may read — a researcher's own, every project for the
 * ethics committee and oversight roles — with their counts, and a researcher's "new project" dialog.
 */
import { PlusOutlined } from '@ant-design/icons';
import { App, Button, Card, Empty, Form, Input, Modal, Table, type TableProps, Tag, Typography } from 'antd';
import { useCallback, useState } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { isApiError } from '../api.ts';
import { ErrorDetail, errorHeadline } from '../components/error-text.tsx';
import { NoPermission } from '../components/no-permission.tsx';
import { useFetch } from '../components/use-fetch.ts';
import { formatDateTime, formatInteger, parseTimestamp } from '../i18n/format.ts';
import { useLang, useT } from '../i18n/i18n-context.tsx';
import type { ProjectList, ProjectSummary } from '../projects/types.ts';
import { useSession, useUser } from '../session/session-context.tsx';

/** The projects page at /projects. */
export function ProjectsPage() {
  const t = useT();
  const { lang } = useLang();
  const { api } = useSession();
  const user = useUser();
  const navigate = useNavigate();
  const { message } = App.useApp();
  const [creating, setCreating] = useState(false);
  const [saving, setSaving] = useState(false);
  const [form] = Form.useForm<{ title: string; description: string }>();
  const load = useCallback((signal: AbortSignal) => api.request<ProjectList>('/api/projects', { signal }), [api]);
  const { data, error, loading } = useFetch(load);

  if (error?.status === 403) return <NoPermission code={error.code} />;

  const create = async () => {
    const values = await form.validateFields();
    setSaving(true);
    try {
      const res = await api.request<{ project: ProjectSummary }>('/api/projects', {
        method: 'POST',
        body: { title: values.title, description: values.description ?? '' },
      });
      setCreating(false);
      form.resetFields();
      void navigate(`/projects/${res.project.projectId}`);
    } catch (e) {
      if (isApiError(e)) void message.error(errorHeadline(t, e, t('projects.createFailed')));
    } finally {
      setSaving(false);
    }
  };

  const columns: TableProps<ProjectSummary>['columns'] = [
    {
      title: t('projects.col.title'),
      key: 'title',
      render: (_, p) => (
        <div>
          <Link to={`/projects/${p.projectId}`} data-testid={`project-link-${p.projectId}`}>
            <Typography.Text strong>{p.title}</Typography.Text>
          </Link>
          <br />
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {p.description || '—'}
          </Typography.Text>
        </div>
      ),
    },
    {
      title: t('projects.col.myRole'),
      key: 'myRole',
      render: (_, p) =>
        p.myRole === null ? (
          <Tag>{t('projects.role.observer')}</Tag>
        ) : (
          <Tag color={p.myRole === 'owner' ? 'blue' : 'default'}>{t(`projects.role.${p.myRole}`)}</Tag>
        ),
    },
    ...(['memberCount', 'cohortCount', 'requestCount', 'analysisCount'] as const).map((k) => ({
      title: t(`projects.col.${k}`),
      key: k,
      align: 'right' as const,
      render: (_: unknown, p: ProjectSummary) => formatInteger(p[k], lang),
    })),
    {
      title: t('projects.col.created'),
      key: 'created',
      render: (_, p) => (
        <span>
          {p.createdBy}
          <br />
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {formatDateTime(parseTimestamp(p.createdAt) ?? 0, lang)}
          </Typography.Text>
        </span>
      ),
    },
  ];

  return (
    <div data-testid="projects-page">
      <Card
        title={t('projects.title')}
        extra={
          user.role === 'researcher' ? (
            <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)} data-testid="project-new">
              {t('projects.new')}
            </Button>
          ) : null
        }
      >
        <Typography.Paragraph type="secondary">{t('projects.about')}</Typography.Paragraph>
        {error ? <ErrorDetail t={t} error={error} /> : null}
        <Table
          rowKey="projectId"
          loading={loading && !data}
          columns={columns}
          dataSource={data?.projects ?? []}
          pagination={{ pageSize: 20, hideOnSinglePage: true }}
          locale={{ emptyText: <Empty description={t('projects.empty')} /> }}
        />
      </Card>
      <Modal
        open={creating}
        title={t('projects.new')}
        okText={t('projects.create')}
        onOk={create}
        confirmLoading={saving}
        onCancel={() => setCreating(false)}
        okButtonProps={{ 'data-testid': 'project-create' } as never}
      >
        <Form form={form} layout="vertical">
          <Form.Item
            name="title"
            label={t('projects.field.title')}
            rules={[{ required: true, min: 2, max: 200, message: t('projects.field.titleRule') }]}
          >
            <Input data-testid="project-title" maxLength={200} />
          </Form.Item>
          <Form.Item name="description" label={t('projects.field.description')}>
            <Input.TextArea rows={4} maxLength={4000} data-testid="project-description" />
          </Form.Item>
        </Form>
      </Modal>
    </div>
  );
}
