/**
 * 队列构建 / Cohort builder page: a researcher picks one of their projects, builds a cohort with the condition
 * tree, counts it at every hospital (disclosure-controlled feasibility counts, before any data-use request) and
 * saves it to the project; the project's saved cohorts are listed and any of them loads into the editor. The
 * project is kept in the query (`?project=…`), so a link opens the same one. Researchers only.
 */
import { ExperimentOutlined, ReloadOutlined } from '@ant-design/icons';
import { Button, Card, Empty, Result, Select, Spin, Table, Tooltip, Typography } from 'antd';
import { useCallback, useMemo, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import type { ProjectDetail, ProjectsResponse, SavedCohort } from '../api-types.ts';
import { COHORT_ROLES, CohortBuilder } from '../cohort/index.ts';
import { NoPermission } from '../components/no-permission.tsx';
import { useFetch } from '../components/use-fetch.ts';
import { formatDateTime, parseTimestamp } from '../i18n/format.ts';
import { useLang, useT } from '../i18n/i18n-context.tsx';
import { ErrorAlert } from '../ingest/ingest-text.tsx';
import { useSession, useUser } from '../session/session-context.tsx';

/** The cohort builder page. */
export function CohortsPage() {
  const t = useT();
  const { lang } = useLang();
  const user = useUser();
  const { api } = useSession();
  const [params, setParams] = useSearchParams();
  const [editing, setEditing] = useState<SavedCohort | null>(null);
  const allowed = (COHORT_ROLES as readonly string[]).includes(user.role);

  const loadProjects = useCallback(
    (signal: AbortSignal) => api.request<ProjectsResponse>('/api/projects', { signal }),
    [api],
  );
  const projects = useFetch(allowed ? loadProjects : null);
  const list = projects.data?.projects ?? [];
  const projectId = params.get('project') ?? list[0]?.projectId ?? null;

  const loadProject = useMemo(
    () =>
      projectId
        ? (signal: AbortSignal) =>
            api.request<ProjectDetail>(`/api/projects/${encodeURIComponent(projectId)}`, { signal })
        : null,
    [api, projectId],
  );
  const project = useFetch(allowed ? loadProject : null);
  const cohorts = project.data?.cohorts ?? [];

  const pick = (id: string) => {
    setEditing(null);
    setParams(
      (prev) => {
        const q = new URLSearchParams(prev);
        q.set('project', id);
        return q;
      },
      { replace: true },
    );
  };

  if (!allowed) return <NoPermission />;
  if (projects.error?.status === 403) return <NoPermission code={projects.error.code} />;
  if (project.error?.status === 403) return <NoPermission code={project.error.code} />;

  const time = (iso: string) => {
    const ms = parseTimestamp(iso);
    return ms === null ? iso : formatDateTime(ms, lang);
  };

  return (
    <div data-testid="cohorts-page" style={{ display: 'flex', flexDirection: 'column', gap: 16 }}>
      <Card size="small">
        <div style={{ display: 'flex', alignItems: 'center', gap: 12, flexWrap: 'wrap' }}>
          <ExperimentOutlined />
          <Typography.Text strong>{t('cohort.page.project')}</Typography.Text>
          <Select<string>
            data-testid="cohort-project"
            style={{ minWidth: 320 }}
            loading={projects.loading}
            value={projectId ?? undefined}
            onChange={pick}
            placeholder={t('cohort.page.pickProject')}
            options={list.map((p) => ({ value: p.projectId, label: p.title }))}
            notFoundContent={t('cohort.page.noProjects')}
          />
          {project.data ? (
            <Typography.Text type="secondary">
              {t('cohort.page.projectInfo', { cohorts: cohorts.length, requests: project.data.requests.length })}
            </Typography.Text>
          ) : null}
        </div>
      </Card>

      {projects.error ? <ErrorAlert t={t} error={projects.error} title={t('cohort.page.projectsFailed')} /> : null}
      {project.error ? <ErrorAlert t={t} error={project.error} title={t('cohort.page.projectFailed')} /> : null}

      {!projects.loading && !projects.error && list.length === 0 ? (
        <Card>
          <Result status="info" title={t('cohort.page.noProjects')} subTitle={t('cohort.page.noProjectsHint')} />
        </Card>
      ) : null}

      {projectId && project.data ? (
        <>
          <CohortBuilder
            key={`${projectId}:${editing?.cohortId ?? 'new'}`}
            projectId={projectId}
            cohorts={cohorts}
            {...(editing ? { initial: editing } : {})}
            onSaved={() => project.reload()}
          />
          <Card
            size="small"
            title={t('cohort.saved.title')}
            extra={
              <Tooltip title={t('cohort.saved.reload')}>
                <Button
                  size="small"
                  type="text"
                  icon={<ReloadOutlined />}
                  aria-label={t('cohort.saved.reload')}
                  onClick={project.reload}
                />
              </Tooltip>
            }
          >
            <Table<SavedCohort>
              data-testid="cohort-saved"
              size="small"
              rowKey="cohortId"
              loading={project.loading}
              dataSource={cohorts}
              pagination={{ pageSize: 10, hideOnSinglePage: true }}
              locale={{ emptyText: <Empty description={t('cohort.saved.empty')} /> }}
              columns={[
                { title: t('cohort.saved.col.name'), dataIndex: 'name' },
                {
                  title: t('cohort.saved.col.description'),
                  dataIndex: 'description',
                  ellipsis: true,
                },
                { title: t('cohort.saved.col.createdBy'), dataIndex: 'createdBy' },
                { title: t('cohort.saved.col.createdAt'), key: 'at', render: (_, c) => time(c.createdAt) },
                {
                  title: t('cohort.saved.col.hash'),
                  key: 'hash',
                  render: (_, c) => (
                    <Tooltip title={<span style={{ wordBreak: 'break-all' }}>{c.hash}</span>}>
                      <Typography.Text code>{c.hash.slice(0, 12)}…</Typography.Text>
                    </Tooltip>
                  ),
                },
                {
                  title: '',
                  key: 'load',
                  align: 'right',
                  render: (_, c) => (
                    <Button size="small" data-testid={`cohort-open-${c.cohortId}`} onClick={() => setEditing(c)}>
                      {t('cohort.saved.open')}
                    </Button>
                  ),
                },
              ]}
            />
          </Card>
        </>
      ) : projectId && project.loading ? (
        <Card>
          <div style={{ padding: 48, textAlign: 'center' }}>
            <Spin />
          </div>
        </Card>
      ) : null}
    </div>
  );
}
