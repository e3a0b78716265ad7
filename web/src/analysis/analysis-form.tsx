/**
 * The analysis form (统计分析): pick the kind, a saved cohort, an approved data-use request that names the kind,
 * and the hospitals; define the analysis variables and the kind's parameters (defaults: the demo studies); run it
 * (POST /api/projects/:projectId/analyses). The hub authorizes the task on the ledger and runs it at the
 * hospitals; the answer is shown below the form and handed to `onDone`. Self-contained, for the project page.
 */
import { PlayCircleOutlined, UndoOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Checkbox, Empty, InputNumber, Segmented, Select, Space, Switch, Typography } from 'antd';
import { type ReactNode, useEffect, useMemo, useState } from 'react';
import { ApiError, isApiError } from '../api.ts';
import type { AnalysisKind, AnalysisRecord, ProjectRequest, RunAnalysisResponse, SavedCohort } from '../api-types.ts';
import { ConceptCacheProvider } from '../cohort/code-picker.tsx';
import { Field } from '../cohort/criterion-fields.tsx';
import { useT } from '../i18n/i18n-context.tsx';
import { ErrorAlert } from '../ingest/ingest-text.tsx';
import { useSession } from '../session/session-context.tsx';
import { AnalysisResult } from './analysis-result.tsx';
import {
  ANALYSIS_KINDS,
  type AnalysisDraft,
  analysisProblems,
  type CoxDraft,
  type DescriptiveDraft,
  defaultDraft,
  type FedAvgDraft,
  GLM_FAMILY_VALUES,
  type GlmDraft,
  type GridDraft,
  type KmDraft,
  plainColumns,
  runBody,
  survivalNames,
} from './body.ts';
import { VariablesEditor } from './variables-editor.tsx';

/** Longest wait for a federated analysis, in milliseconds (IRLS and FedAvg take several rounds at every hospital). */
const ANALYSIS_TIMEOUT_MS = 300_000;

/** Props of the analysis form. */
export interface AnalysisFormProps {
  projectId: string;
  cohorts: readonly SavedCohort[];
  requests: readonly ProjectRequest[];
  /** Called with the analysis record after a run (done or failed). */
  onDone?: (analysis: AnalysisRecord) => void;
  /** The kind to start with (default GLM). */
  initialKind?: AnalysisKind;
  /** The project's title, for the PDF report. */
  projectTitle?: string;
}

/** The analysis form and, after a run, its result. */
export function AnalysisForm(props: AnalysisFormProps) {
  return (
    <ConceptCacheProvider>
      <Form {...props} />
    </ConceptCacheProvider>
  );
}

function Form({ projectId, cohorts, requests, onDone, initialKind = 'glm', projectTitle }: AnalysisFormProps) {
  const t = useT();
  const { api } = useSession();
  const [draft, setDraft] = useState<AnalysisDraft>(() => defaultDraft(initialKind));
  const approved = useMemo(() => requests.filter((r) => r.status === 'approved'), [requests]);
  const usable = approved.filter((r) => r.analysisKinds.includes(draft.kind));
  const [requestId, setRequestId] = useState<string | null>(null);
  const request = approved.find((r) => r.requestId === requestId) ?? null;
  const [cohortId, setCohortId] = useState<string | null>(null);
  const [hospitals, setHospitals] = useState<string[]>([]);
  const [run, setRun] = useState<{ loading: boolean; error: ApiError | null; analysis: AnalysisRecord | null }>({
    loading: false,
    error: null,
    analysis: null,
  });

  // Follow the kind: the first request that allows it, its cohort when it names one, all its hospitals.
  useEffect(() => {
    const current = approved.find((r) => r.requestId === requestId);
    if (current?.analysisKinds.includes(draft.kind)) return;
    const next = approved.find((r) => r.analysisKinds.includes(draft.kind)) ?? null;
    setRequestId(next?.requestId ?? null);
    setHospitals(next ? [...next.hospitals] : []);
    if (next?.cohortId) setCohortId(next.cohortId);
  }, [approved, draft.kind, requestId]);
  useEffect(() => {
    if (cohortId === null && cohorts[0]) setCohortId(cohorts[0].cohortId);
  }, [cohorts, cohortId]);

  const problems = analysisProblems(draft, { cohortId, request, hospitals });
  const cohort = cohorts.find((c) => c.cohortId === cohortId);

  const submit = () => {
    if (!request || !cohortId) return;
    const body = runBody(draft, { requestId: request.requestId, cohortId, hospitals });
    setRun((r) => ({ ...r, loading: true, error: null }));
    api
      .request<RunAnalysisResponse>(`/api/projects/${encodeURIComponent(projectId)}/analyses`, {
        method: 'POST',
        body,
        timeoutMs: ANALYSIS_TIMEOUT_MS,
      })
      .then(
        ({ analysis }) => {
          setRun({ loading: false, error: null, analysis });
          onDone?.(analysis);
        },
        (e: unknown) =>
          setRun((r) => ({
            ...r,
            loading: false,
            error: isApiError(e) ? e : new ApiError('MER_INTERNAL', String(e), 0),
          })),
      );
  };

  const setKind = (kind: AnalysisKind) => setDraft(defaultDraft(kind));
  const setParams = <K extends AnalysisKind>(p: AnalysisDraft<K>['parameters']) =>
    setDraft((d) => ({ ...d, parameters: p }) as AnalysisDraft);

  return (
    <div data-testid="analysis-form" style={{ display: 'flex', flexDirection: 'column', gap: 16 }}>
      <Card size="small">
        <div style={{ display: 'flex', flexDirection: 'column', gap: 12 }}>
          <Segmented<AnalysisKind>
            data-testid="analysis-kind"
            value={draft.kind}
            onChange={setKind}
            options={ANALYSIS_KINDS.map((k) => ({ value: k, label: t(`analysis.kind.${k}`) }))}
          />
          <div style={{ display: 'flex', gap: 16, flexWrap: 'wrap', alignItems: 'flex-start' }}>
            <Field label={t('analysis.form.cohort')}>
              <Select<string>
                data-testid="analysis-cohort"
                style={{ minWidth: 220 }}
                value={cohortId ?? undefined}
                onChange={setCohortId}
                placeholder={t('analysis.form.pickCohort')}
                options={cohorts.map((c) => ({ value: c.cohortId, label: c.name }))}
                notFoundContent={t('analysis.form.noCohorts')}
              />
            </Field>
            <Field label={t('analysis.form.request')}>
              <Select<string>
                data-testid="analysis-request"
                style={{ minWidth: 260 }}
                value={requestId ?? undefined}
                onChange={(id) => {
                  const r = approved.find((x) => x.requestId === id);
                  setRequestId(id);
                  setHospitals(r ? [...r.hospitals] : []);
                }}
                placeholder={t('analysis.form.pickRequest')}
                options={usable.map((r) => ({
                  value: r.requestId,
                  label: `${r.purpose ?? r.requestId} · ${r.analysisKinds.join(', ')}`,
                }))}
                notFoundContent={t('analysis.form.noRequests', { kind: t(`analysis.kind.${draft.kind}`) })}
              />
            </Field>
            <Field label={t('analysis.form.hospitals')}>
              {request ? (
                <Checkbox.Group
                  data-testid="analysis-hospitals"
                  value={hospitals}
                  onChange={(v) => setHospitals(request.hospitals.filter((h) => v.includes(h)))}
                  options={request.hospitals.map((h) => ({ value: h, label: h }))}
                />
              ) : (
                <Typography.Text type="secondary">{t('analysis.form.hospitalsFromRequest')}</Typography.Text>
              )}
            </Field>
          </div>
          {approved.length === 0 ? <Alert type="info" showIcon title={t('analysis.form.noApproved')} /> : null}
        </div>
      </Card>

      <Card
        size="small"
        title={t('analysis.form.variables')}
        extra={
          <Button size="small" icon={<UndoOutlined />} onClick={() => setDraft(defaultDraft(draft.kind))}>
            {t('analysis.form.example')}
          </Button>
        }
      >
        <Typography.Paragraph type="secondary" style={{ fontSize: 12 }}>
          {t('analysis.form.variablesHint')}
        </Typography.Paragraph>
        <VariablesEditor value={draft.variables} onChange={(variables) => setDraft((d) => ({ ...d, variables }))} />
      </Card>

      <Card size="small" title={t('analysis.form.parameters')}>
        <ParameterFields draft={draft} setParams={setParams} />
      </Card>

      <Card size="small">
        <div
          style={{ display: 'flex', gap: 12, alignItems: 'center', justifyContent: 'space-between', flexWrap: 'wrap' }}
        >
          <div style={{ flex: '1 1 300px' }}>
            {problems.length > 0 ? (
              <Alert
                type="warning"
                showIcon
                data-testid="analysis-problems"
                title={t('analysis.form.problems')}
                description={
                  <ul style={{ margin: 0, paddingInlineStart: 18 }}>
                    {problems.map((p) => (
                      <li key={p}>{t(`analysis.problem.${p}`)}</li>
                    ))}
                  </ul>
                }
              />
            ) : (
              <Typography.Text type="secondary">{t('analysis.form.ready', { n: hospitals.length })}</Typography.Text>
            )}
          </div>
          <Button
            type="primary"
            size="large"
            icon={<PlayCircleOutlined />}
            disabled={problems.length > 0}
            loading={run.loading}
            onClick={submit}
            data-testid="analysis-run"
          >
            {t('analysis.form.run')}
          </Button>
        </div>
      </Card>

      {run.error ? <ErrorAlert t={t} error={run.error} title={t('analysis.form.failed')} /> : null}
      {run.analysis ? (
        <AnalysisResult
          analysis={run.analysis}
          hospitals={hospitals}
          parameters={
            runBody(draft, { requestId: run.analysis.requestId, cohortId: run.analysis.cohortId, hospitals }).body
              .parameters
          }
          {...(cohort ? { cohortName: cohort.name } : {})}
          {...(projectTitle ? { projectTitle } : {})}
        />
      ) : run.loading ? (
        <Card>
          <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('analysis.form.running')} />
        </Card>
      ) : null}
    </div>
  );
}

function GridFields({ value, onChange }: { value: GridDraft; onChange: (g: GridDraft) => void }) {
  const t = useT();
  return (
    <Field label={t('analysis.param.grid')}>
      <InputNumber
        min={1}
        precision={0}
        addonAfter={t('analysis.param.unitDays')}
        style={{ width: 170 }}
        value={value.unitDays}
        onChange={(v) => onChange({ ...value, unitDays: typeof v === 'number' ? v : 1 })}
      />
      <InputNumber
        min={1}
        precision={0}
        addonAfter={t('analysis.param.maxDays')}
        style={{ width: 190 }}
        value={value.maxDays}
        onChange={(v) => onChange({ ...value, maxDays: typeof v === 'number' ? v : 1 })}
      />
    </Field>
  );
}

function ParameterFields({
  draft,
  setParams,
}: {
  draft: AnalysisDraft;
  setParams: (p: AnalysisDraft['parameters']) => void;
}) {
  const t = useT();
  const columns = plainColumns(draft.variables).map((c) => ({ value: c, label: c }));
  const times = survivalNames(draft.variables).map((c) => ({ value: c, label: c }));
  const row = (children: ReactNode) => (
    <div style={{ display: 'flex', gap: 16, flexWrap: 'wrap', alignItems: 'flex-start' }}>{children}</div>
  );
  switch (draft.kind) {
    case 'glm': {
      const p = draft.parameters as GlmDraft;
      return row(
        <>
          <Field label={t('analysis.param.family')}>
            <Select
              style={{ width: 200 }}
              value={p.family}
              onChange={(family) => setParams({ ...p, family })}
              options={GLM_FAMILY_VALUES.map((f) => ({ value: f, label: t(`analysis.family.${f}`) }))}
            />
          </Field>
          <Field label={t('analysis.param.outcome')}>
            <Select
              style={{ width: 180 }}
              value={p.outcome || undefined}
              onChange={(outcome) => setParams({ ...p, outcome })}
              options={columns}
            />
          </Field>
          <Field label={t('analysis.param.covariates')} grow>
            <Select<string[]>
              mode="multiple"
              style={{ minWidth: 280, flex: 1 }}
              value={p.covariates}
              onChange={(covariates) => setParams({ ...p, covariates })}
              options={columns}
            />
          </Field>
        </>,
      );
    }
    case 'fedavg': {
      const p = draft.parameters as FedAvgDraft;
      const int = (key: 'rounds' | 'epochs' | 'batchSize' | 'hidden', label: string, max: number) => (
        <Field label={label}>
          <InputNumber
            min={1}
            max={max}
            precision={0}
            style={{ width: 100 }}
            value={p[key]}
            onChange={(v) => setParams({ ...p, [key]: typeof v === 'number' ? v : 1 })}
          />
        </Field>
      );
      return (
        <div style={{ display: 'flex', flexDirection: 'column', gap: 12 }}>
          {row(
            <>
              <Field label={t('analysis.param.outcome')}>
                <Select
                  style={{ width: 180 }}
                  value={p.outcome || undefined}
                  onChange={(outcome) => setParams({ ...p, outcome })}
                  options={columns}
                />
              </Field>
              <Field label={t('analysis.param.features')} grow>
                <Select<string[]>
                  mode="multiple"
                  style={{ minWidth: 280, flex: 1 }}
                  value={p.features}
                  onChange={(features) => setParams({ ...p, features })}
                  options={columns}
                />
              </Field>
            </>,
          )}
          {row(
            <>
              <Field label={t('analysis.fedavg.model')}>
                <Segmented<'logistic' | 'mlp'>
                  value={p.model}
                  onChange={(model) => setParams({ ...p, model })}
                  options={[
                    { value: 'logistic', label: t('analysis.fedavg.logistic') },
                    { value: 'mlp', label: t('analysis.fedavg.mlpShort') },
                  ]}
                />
              </Field>
              {p.model === 'mlp' ? int('hidden', t('analysis.param.hidden'), 64) : null}
              {int('rounds', t('analysis.param.rounds'), 200)}
              {int('epochs', t('analysis.param.epochs'), 50)}
              {int('batchSize', t('analysis.param.batchSize'), 10_000)}
              <Field label={t('analysis.param.learningRate')}>
                <InputNumber
                  min={0.0001}
                  max={10}
                  step={0.01}
                  style={{ width: 100 }}
                  value={p.learningRate}
                  onChange={(v) => setParams({ ...p, learningRate: typeof v === 'number' ? v : 0.1 })}
                />
              </Field>
            </>,
          )}
        </div>
      );
    }
    case 'km': {
      const p = draft.parameters as KmDraft;
      return row(
        <>
          <Field label={t('analysis.param.time')}>
            <Select
              style={{ width: 140 }}
              value={p.time || undefined}
              onChange={(time) => setParams({ ...p, time })}
              options={times}
            />
          </Field>
          <Field label={t('analysis.param.group')}>
            <Select<string>
              allowClear
              style={{ width: 160 }}
              value={p.group ?? undefined}
              onChange={(group) => setParams({ ...p, group: group ?? null })}
              placeholder={t('analysis.param.noGroup')}
              options={columns}
            />
          </Field>
          {p.group !== null ? (
            <Field label={t('analysis.param.levels')}>
              <Select<string[]>
                mode="tags"
                open={false}
                style={{ minWidth: 160 }}
                value={p.levels}
                onChange={(levels) => setParams({ ...p, levels })}
              />
            </Field>
          ) : null}
          <GridFields value={p.grid} onChange={(grid) => setParams({ ...p, grid })} />
        </>,
      );
    }
    case 'cox': {
      const p = draft.parameters as CoxDraft;
      return row(
        <>
          <Field label={t('analysis.param.time')}>
            <Select
              style={{ width: 140 }}
              value={p.time || undefined}
              onChange={(time) => setParams({ ...p, time })}
              options={times}
            />
          </Field>
          <Field label={t('analysis.param.covariates')} grow>
            <Select<string[]>
              mode="multiple"
              style={{ minWidth: 240, flex: 1 }}
              value={p.covariates}
              onChange={(covariates) => setParams({ ...p, covariates })}
              options={columns}
            />
          </Field>
          <Field label={t('analysis.param.stratified')}>
            <Switch checked={p.stratified} onChange={(stratified) => setParams({ ...p, stratified })} />
          </Field>
          <Field label={t('analysis.param.ties')}>
            <Select
              style={{ width: 120 }}
              value={p.ties}
              onChange={(ties) => setParams({ ...p, ties })}
              options={[
                { value: 'efron', label: 'Efron' },
                { value: 'breslow', label: 'Breslow' },
              ]}
            />
          </Field>
          {p.stratified ? null : <GridFields value={p.grid} onChange={(grid) => setParams({ ...p, grid })} />}
        </>,
      );
    }
    case 'descriptive': {
      const p = draft.parameters as DescriptiveDraft;
      return (
        <div style={{ display: 'flex', flexDirection: 'column', gap: 8 }}>
          <Typography.Text strong>{t('analysis.param.numeric')}</Typography.Text>
          {p.numeric.map((n, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: a histogram row is known by its place in the list (its column is being edited)
            <Space key={`${i}-${n.column}`} wrap>
              <Select
                style={{ width: 150 }}
                value={n.column || undefined}
                onChange={(column) =>
                  setParams({ ...p, numeric: p.numeric.map((x, j) => (j === i ? { ...x, column } : x)) })
                }
                options={columns}
              />
              {(['min', 'max', 'bins'] as const).map((key) => (
                <InputNumber
                  key={key}
                  addonBefore={t(`analysis.param.hist.${key}`)}
                  style={{ width: 150 }}
                  precision={key === 'bins' ? 0 : 2}
                  value={n[key]}
                  onChange={(v) =>
                    setParams({
                      ...p,
                      numeric: p.numeric.map((x, j) => (j === i ? { ...x, [key]: typeof v === 'number' ? v : 0 } : x)),
                    })
                  }
                />
              ))}
              <Button
                size="small"
                type="text"
                danger
                onClick={() => setParams({ ...p, numeric: p.numeric.filter((_, j) => j !== i) })}
              >
                {t('cohort.tree.remove')}
              </Button>
            </Space>
          ))}
          <div>
            <Button
              size="small"
              type="dashed"
              onClick={() => setParams({ ...p, numeric: [...p.numeric, { column: '', min: 0, max: 100, bins: 10 }] })}
            >
              {t('analysis.param.addNumeric')}
            </Button>
          </div>
          <Typography.Text strong>{t('analysis.param.categorical')}</Typography.Text>
          {p.categorical.map((c, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: a categorical row is known by its place in the list (its column is being edited)
            <Space key={`${i}-${c.column}`} wrap>
              <Select
                style={{ width: 150 }}
                value={c.column || undefined}
                onChange={(column) =>
                  setParams({ ...p, categorical: p.categorical.map((x, j) => (j === i ? { ...x, column } : x)) })
                }
                options={columns}
              />
              <Select<string[]>
                mode="tags"
                open={false}
                style={{ minWidth: 200 }}
                placeholder={t('analysis.param.levels')}
                value={c.levels}
                onChange={(levels) =>
                  setParams({ ...p, categorical: p.categorical.map((x, j) => (j === i ? { ...x, levels } : x)) })
                }
              />
              <Button
                size="small"
                type="text"
                danger
                onClick={() => setParams({ ...p, categorical: p.categorical.filter((_, j) => j !== i) })}
              >
                {t('cohort.tree.remove')}
              </Button>
            </Space>
          ))}
          <div>
            <Button
              size="small"
              type="dashed"
              onClick={() => setParams({ ...p, categorical: [...p.categorical, { column: '', levels: [] }] })}
            >
              {t('analysis.param.addCategorical')}
            </Button>
          </div>
        </div>
      );
    }
  }
}
