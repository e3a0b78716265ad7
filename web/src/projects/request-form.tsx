/**
 * The data-use request form (数据申请): a saved cohort, the purpose and its statement, the analysis kinds, the
 * hospitals asked, the period and the privacy budget asked. Submitting puts the request on the ledger, where the
 * ethics committee and every listed hospital must approve it.
 */
import { App, Button, Checkbox, Drawer, Form, Input, InputNumber, Select, Space, Typography } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { isApiError } from '../api.ts';
import { errorHeadline } from '../components/error-text.tsx';
import { useFetch } from '../components/use-fetch.ts';
import { useT } from '../i18n/i18n-context.tsx';
import { useSession } from '../session/session-context.tsx';
import { type HospitalOption, REQUEST_KINDS, REQUEST_PURPOSES, type RequestView } from './types.ts';

/** How long a request's period may run, in months (the period starts when it is submitted). */
export const REQUEST_PERIOD_MONTHS = [3, 6, 12, 24] as const;

interface Values {
  cohortId: string;
  purpose: (typeof REQUEST_PURPOSES)[number];
  statement: string;
  analysisKinds: (typeof REQUEST_KINDS)[number][];
  hospitals: string[];
  months: (typeof REQUEST_PERIOD_MONTHS)[number];
  epsilon: number;
}

/** The period of a request submitted at `nowMs` running `months` months. */
export function requestPeriod(nowMs: number, months: number): { periodStart: string; periodEnd: string } {
  const end = new Date(nowMs);
  end.setUTCMonth(end.getUTCMonth() + months);
  return { periodStart: new Date(nowMs).toISOString(), periodEnd: end.toISOString() };
}

/** The drawer with the request form; `onSubmitted` gets the request the ledger accepted. */
export function RequestForm(props: {
  open: boolean;
  projectId: string;
  cohorts: { cohortId: string; name: string }[];
  hospitals: HospitalOption[];
  onClose: () => void;
  onSubmitted: (request: RequestView) => void;
}) {
  const t = useT();
  const { api } = useSession();
  const { message } = App.useApp();
  const [form] = Form.useForm<Values>();
  const [saving, setSaving] = useState(false);
  const loadSettings = useCallback(
    (signal: AbortSignal) =>
      api.request<{ settings: { epsilonDefault: number; epsilonMax: number } }>('/api/settings/consortium', { signal }),
    [api],
  );
  const settings = useFetch(loadSettings).data?.settings;
  useEffect(() => {
    if (settings && !form.isFieldTouched('epsilon')) form.setFieldValue('epsilon', settings.epsilonDefault);
  }, [settings, form]);

  const submit = async () => {
    const v = await form.validateFields();
    setSaving(true);
    try {
      const res = await api.request<{ request: RequestView }>(`/api/projects/${props.projectId}/requests`, {
        method: 'POST',
        body: {
          cohortId: v.cohortId,
          purpose: v.purpose,
          statement: v.statement,
          analysisKinds: v.analysisKinds,
          hospitals: v.hospitals,
          epsilon: v.epsilon ?? 0,
          ...requestPeriod(Date.now(), v.months),
        },
        timeoutMs: 60_000,
      });
      void message.success(t('requests.submitted', { id: res.request.requestId }));
      form.resetFields();
      props.onSubmitted(res.request);
    } catch (e) {
      if (isApiError(e)) void message.error(errorHeadline(t, e, t('requests.submitFailed')));
    } finally {
      setSaving(false);
    }
  };

  return (
    <Drawer
      open={props.open}
      onClose={props.onClose}
      title={t('requests.new')}
      size="large"
      extra={
        <Space>
          <Button onClick={props.onClose}>{t('requests.cancel')}</Button>
          <Button type="primary" loading={saving} onClick={submit} data-testid="request-submit">
            {t('requests.submit')}
          </Button>
        </Space>
      }
    >
      <Typography.Paragraph type="secondary">{t('requests.formAbout')}</Typography.Paragraph>
      <Form
        form={form}
        layout="vertical"
        initialValues={{
          purpose: 'research',
          analysisKinds: ['count', 'descriptive', 'glm'],
          hospitals: props.hospitals.map((h) => h.name),
          months: 12,
          epsilon: 1,
          cohortId: props.cohorts[0]?.cohortId,
        }}
      >
        <Form.Item
          name="cohortId"
          label={t('requests.field.cohort')}
          rules={[{ required: true, message: t('requests.field.cohortRule') }]}
        >
          <Select
            data-testid="request-cohort"
            options={props.cohorts.map((c) => ({ value: c.cohortId, label: c.name }))}
            notFoundContent={t('requests.noCohorts')}
          />
        </Form.Item>
        <Form.Item name="purpose" label={t('requests.field.purpose')} rules={[{ required: true }]}>
          <Select options={REQUEST_PURPOSES.map((p) => ({ value: p, label: t(`requests.purpose.${p}`) }))} />
        </Form.Item>
        <Form.Item
          name="statement"
          label={t('requests.field.statement')}
          rules={[{ required: true, min: 10, max: 4000, message: t('requests.field.statementRule') }]}
        >
          <Input.TextArea rows={4} data-testid="request-statement" />
        </Form.Item>
        <Form.Item
          name="analysisKinds"
          label={t('requests.field.kinds')}
          rules={[{ required: true, type: 'array', min: 1, message: t('requests.field.kindsRule') }]}
        >
          <Checkbox.Group options={REQUEST_KINDS.map((k) => ({ value: k, label: t(`requests.kind.${k}`) }))} />
        </Form.Item>
        <Form.Item
          name="hospitals"
          label={t('requests.field.hospitals')}
          rules={[{ required: true, type: 'array', min: 1, message: t('requests.field.hospitalsRule') }]}
        >
          <Checkbox.Group
            data-testid="request-hospitals"
            options={props.hospitals.map((h) => ({ value: h.name, label: `${h.displayName} (${h.name})` }))}
          />
        </Form.Item>
        <Space size="large" wrap>
          <Form.Item name="months" label={t('requests.field.period')}>
            <Select
              style={{ width: 180 }}
              options={REQUEST_PERIOD_MONTHS.map((m) => ({ value: m, label: t('requests.months', { n: m }) }))}
            />
          </Form.Item>
          <Form.Item name="epsilon" label={t('requests.field.epsilon')} tooltip={t('requests.field.epsilonHelp')}>
            <InputNumber min={0} max={settings?.epsilonMax ?? 100} step={0.1} style={{ width: 160 }} />
          </Form.Item>
        </Space>
      </Form>
    </Drawer>
  );
}
