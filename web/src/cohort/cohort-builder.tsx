/**
 * The cohort builder (队列构建) for one project: edit the condition tree, count it at every hospital (a
 * disclosure-controlled feasibility count, POST /api/cohorts/count), look at the definition JSON, load a saved
 * cohort, and save the definition to the project (POST /api/projects/:projectId/cohorts). Self-contained, so the
 * project page mounts it as it is.
 */
import { CalculatorOutlined, CodeOutlined, FolderOpenOutlined, SaveOutlined } from '@ant-design/icons';
import { Alert, App, Button, Card, Collapse, Empty, Form, Input, Modal, Select, Spin, Typography } from 'antd';
import { useMemo, useRef, useState } from 'react';
import { ApiError, isApiError } from '../api.ts';
import type { CohortDefinition, CountAnswer, SaveCohortResponse, SavedCohort } from '../api-types.ts';
import { useT } from '../i18n/i18n-context.tsx';
import { ErrorAlert } from '../ingest/ingest-text.tsx';
import { useSession } from '../session/session-context.tsx';
import { ConceptCacheProvider } from './code-picker.tsx';
import { CohortEditor } from './cohort-editor.tsx';
import { CountResult } from './count-result.tsx';
import { createIdSource, emptyEditor, fromDefinition, toDefinition, validateEditor } from './tree.ts';

/** Longest wait for a federated count, in milliseconds (every hospital answers first). */
const COUNT_TIMEOUT_MS = 60_000;
/** Longest cohort name the hub keeps, in characters. */
const COHORT_NAME_CHARS_MAX = 200;
/** Longest cohort description, in characters. */
const COHORT_DESCRIPTION_CHARS_MAX = 2_000;

/** Props of the cohort builder. */
export interface CohortBuilderProps {
  projectId: string;
  /** The project's saved cohorts (to load one into the editor). */
  cohorts: readonly SavedCohort[];
  /** Called with the saved cohort after a save. */
  onSaved?: (cohort: SavedCohort) => void;
  /** A cohort to start from (e.g. "edit a copy"). */
  initial?: SavedCohort;
}

/** A saved cohort's definition: the hub validated it with the cohort schema before saving it. */
function savedDefinition(cohort: SavedCohort): CohortDefinition {
  return cohort.definition as CohortDefinition;
}

function todayText(): string {
  const d = new Date();
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** The editor with count, JSON view, load and save. */
export function CohortBuilder(props: CohortBuilderProps) {
  return (
    <ConceptCacheProvider>
      <Builder {...props} />
    </ConceptCacheProvider>
  );
}

function Builder({ projectId, cohorts, onSaved, initial }: CohortBuilderProps) {
  const t = useT();
  const { api } = useSession();
  const { message } = App.useApp();
  const ids = useRef(createIdSource('c')).current;
  const [state, setState] = useState(() =>
    initial ? fromDefinition(savedDefinition(initial), ids) : emptyEditor(ids),
  );
  const [loaded, setLoaded] = useState<SavedCohort | null>(initial ?? null);
  const [count, setCount] = useState<{ answer: CountAnswer | null; error: ApiError | null; loading: boolean }>({
    answer: null,
    error: null,
    loading: false,
  });
  const [saving, setSaving] = useState(false);
  const [saveOpen, setSaveOpen] = useState(false);
  const [saveError, setSaveError] = useState<ApiError | null>(null);
  const [form] = Form.useForm<{ name: string; description?: string }>();
  const today = useMemo(todayText, []);

  const problems = useMemo(() => validateEditor(state), [state]);
  const definition: CohortDefinition = useMemo(() => toDefinition(state), [state]);
  const valid = problems.length === 0;

  const runCount = () => {
    setCount((c) => ({ ...c, loading: true, error: null }));
    api
      .request<CountAnswer>('/api/cohorts/count', {
        method: 'POST',
        body: { projectId, cohort: definition },
        timeoutMs: COUNT_TIMEOUT_MS,
      })
      .then(
        (answer) => setCount({ answer, error: null, loading: false }),
        (e: unknown) =>
          setCount((c) => ({
            answer: c.answer,
            error: isApiError(e) ? e : new ApiError('MER_INTERNAL', String(e), 0),
            loading: false,
          })),
      );
  };

  const load = (cohortId: string) => {
    const cohort = cohorts.find((c) => c.cohortId === cohortId);
    if (!cohort) return;
    setState(fromDefinition(savedDefinition(cohort), ids));
    setLoaded(cohort);
    setCount({ answer: null, error: null, loading: false });
  };

  const openSave = () => {
    setSaveError(null);
    form.setFieldsValue({
      name: loaded?.name ?? state.name ?? '',
      description: loaded?.description ?? '',
    });
    setSaveOpen(true);
  };

  const save = async () => {
    const values = await form.validateFields();
    setSaving(true);
    setSaveError(null);
    try {
      const body = {
        name: values.name.trim(),
        ...((values.description ?? '').trim() === '' ? {} : { description: (values.description ?? '').trim() }),
        definition,
      };
      const { cohort } = await api.request<SaveCohortResponse>(
        `/api/projects/${encodeURIComponent(projectId)}/cohorts`,
        { method: 'POST', body },
      );
      setLoaded(cohort);
      setSaveOpen(false);
      void message.success(t('cohort.save.done', { name: cohort.name }));
      onSaved?.(cohort);
    } catch (e) {
      setSaveError(isApiError(e) ? e : new ApiError('MER_INTERNAL', String(e), 0));
    } finally {
      setSaving(false);
    }
  };

  return (
    <div
      data-testid="cohort-builder"
      style={{ display: 'grid', gap: 16, gridTemplateColumns: 'minmax(0, 3fr) minmax(320px, 2fr)' }}
    >
      <div style={{ display: 'flex', flexDirection: 'column', gap: 12, minWidth: 0 }}>
        <Card size="small">
          <div
            style={{
              display: 'flex',
              alignItems: 'center',
              gap: 12,
              flexWrap: 'wrap',
              justifyContent: 'space-between',
            }}
          >
            <span style={{ display: 'inline-flex', alignItems: 'center', gap: 8, flexWrap: 'wrap' }}>
              <FolderOpenOutlined />
              <Select<string>
                data-testid="cohort-load"
                style={{ minWidth: 240 }}
                placeholder={t('cohort.load.placeholder')}
                value={loaded?.cohortId}
                onChange={load}
                options={cohorts.map((c) => ({ value: c.cohortId, label: c.name }))}
                notFoundContent={t('cohort.load.none')}
              />
              <Button
                onClick={() => {
                  setState(emptyEditor(ids));
                  setLoaded(null);
                  setCount({ answer: null, error: null, loading: false });
                }}
              >
                {t('cohort.load.new')}
              </Button>
            </span>
            <span style={{ display: 'inline-flex', gap: 8 }}>
              <Button
                type="primary"
                icon={<CalculatorOutlined />}
                onClick={runCount}
                disabled={!valid}
                loading={count.loading}
                data-testid="cohort-count"
              >
                {t('cohort.count.run')}
              </Button>
              <Button icon={<SaveOutlined />} onClick={openSave} disabled={!valid} data-testid="cohort-save">
                {t('cohort.save.open')}
              </Button>
            </span>
          </div>
          {!valid ? (
            <Alert
              style={{ marginTop: 12 }}
              type="warning"
              showIcon
              data-testid="cohort-problems"
              title={t('cohort.problems', { n: problems.length })}
            />
          ) : null}
        </Card>
        <CohortEditor value={state} onChange={setState} ids={ids} problems={problems} today={today} />
        <Collapse
          size="small"
          items={[
            {
              key: 'json',
              label: (
                <span>
                  <CodeOutlined style={{ marginInlineEnd: 8 }} />
                  {t('cohort.json')}
                </span>
              ),
              children: (
                <Typography.Paragraph copyable={{ text: JSON.stringify(definition, null, 2) }} style={{ margin: 0 }}>
                  <pre data-testid="cohort-json" style={{ margin: 0, maxHeight: 360, overflow: 'auto', fontSize: 12 }}>
                    {JSON.stringify(definition, null, 2)}
                  </pre>
                </Typography.Paragraph>
              ),
            },
          ]}
        />
      </div>

      <Card title={t('cohort.count.title')} size="small" style={{ alignSelf: 'start', position: 'sticky', top: 16 }}>
        {count.error ? <ErrorAlert t={t} error={count.error} title={t('cohort.count.failed')} /> : null}
        {count.answer ? (
          <Spin spinning={count.loading}>
            <div style={{ marginTop: count.error ? 12 : 0 }}>
              <CountResult answer={count.answer} />
            </div>
          </Spin>
        ) : count.loading ? (
          <div style={{ padding: 48, textAlign: 'center' }}>
            <Spin />
          </div>
        ) : (
          <Empty description={t('cohort.count.empty')} />
        )}
      </Card>

      <Modal
        open={saveOpen}
        title={t('cohort.save.title')}
        okText={t('cohort.save.ok')}
        cancelText={t('cohort.save.cancel')}
        onOk={() => void save().catch(() => undefined)}
        confirmLoading={saving}
        onCancel={() => setSaveOpen(false)}
        okButtonProps={{ 'data-testid': 'cohort-save-ok' } as Record<string, string>}
        destroyOnHidden
      >
        <Form form={form} layout="vertical" requiredMark="optional">
          <Form.Item
            name="name"
            label={t('cohort.save.name')}
            rules={[
              { required: true, whitespace: true, message: t('cohort.save.nameRequired') },
              { max: COHORT_NAME_CHARS_MAX, message: t('cohort.save.tooLong', { n: COHORT_NAME_CHARS_MAX }) },
            ]}
          >
            <Input data-testid="cohort-save-name" maxLength={COHORT_NAME_CHARS_MAX} />
          </Form.Item>
          <Form.Item
            name="description"
            label={t('cohort.save.description')}
            rules={[
              {
                max: COHORT_DESCRIPTION_CHARS_MAX,
                message: t('cohort.save.tooLong', { n: COHORT_DESCRIPTION_CHARS_MAX }),
              },
            ]}
          >
            <Input.TextArea rows={3} maxLength={COHORT_DESCRIPTION_CHARS_MAX} />
          </Form.Item>
        </Form>
        {saveError ? <ErrorAlert t={t} error={saveError} title={t('cohort.save.failed')} /> : null}
      </Modal>
    </div>
  );
}
