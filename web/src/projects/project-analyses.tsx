/**
 * A project's analyses tab: the form that runs a new analysis under an approved request (members only), and every
 * analysis run so far, newest first, each with its plots, tables, ledger trail and exports.
 */
import { Alert, Card, Collapse, Empty, Space, Tag, Typography } from 'antd';
import { AnalysisForm, AnalysisResult, toAnalysisRecord } from '../analysis/index.ts';
import type { SavedCohort } from '../api-types.ts';
import { formatDateTime, parseTimestamp } from '../i18n/format.ts';
import { useLang, useT } from '../i18n/i18n-context.tsx';
import type { AnalysisRow, ProjectFull, RequestView } from './types.ts';

/** The analyses tab of project `projectId`. */
export function ProjectAnalyses(props: {
  projectId: string;
  projectTitle: string;
  canRun: boolean;
  cohorts: ProjectFull['cohorts'];
  requests: RequestView[];
  analyses: AnalysisRow[];
  onDone: () => void;
}) {
  const t = useT();
  const { lang } = useLang();
  const cohortName = new Map(props.cohorts.map((c) => [c.cohortId, c.name]));
  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }} data-testid="project-analyses">
      {props.canRun ? (
        props.requests.length === 0 ? (
          <Alert type="info" showIcon message={t('projects.analyses.needApproved')} />
        ) : (
          <Card size="small" title={t('projects.analyses.run')}>
            <AnalysisForm
              projectId={props.projectId}
              projectTitle={props.projectTitle}
              cohorts={props.cohorts as unknown as SavedCohort[]}
              requests={props.requests}
              onDone={props.onDone}
            />
          </Card>
        )
      ) : null}
      {props.analyses.length === 0 ? (
        <Empty description={t('projects.analyses.none')} />
      ) : (
        <Collapse
          items={props.analyses.map((a) => {
            const record = toAnalysisRecord(a);
            return {
              key: a.analysisId,
              label: (
                <Space>
                  <Tag>{t(`requests.kind.${a.kind as 'glm'}`)}</Tag>
                  <Typography.Text>{cohortName.get(a.cohortId) ?? a.cohortId}</Typography.Text>
                  <Tag color={a.status === 'done' ? 'success' : 'error'}>
                    {t(`projects.analyses.status.${a.status}`)}
                  </Tag>
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    {a.createdBy} · {formatDateTime(parseTimestamp(a.createdAt) ?? 0, lang)}
                  </Typography.Text>
                </Space>
              ),
              children:
                record === null ? (
                  <Typography.Text code>{JSON.stringify(a.result)}</Typography.Text>
                ) : (
                  <AnalysisResult
                    analysis={record}
                    projectTitle={props.projectTitle}
                    cohortName={cohortName.get(a.cohortId) ?? a.cohortId}
                  />
                ),
            };
          })}
        />
      )}
    </Space>
  );
}
