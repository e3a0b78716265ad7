/**
 * 联盟设置 / Consortium settings: the minimum cell size every federated task carries as its floor, and the
 * default and maximum ε of a data-use request. The form checks the same bounds as the hub.
 */
import { Alert, App, Button, Card, Form, InputNumber, Typography } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import {
  type ConsortiumSettings,
  type ConsortiumSettingsView,
  EPSILON_SETTING_MAX,
  EPSILON_SETTING_STEP,
  MIN_CELL_SETTING_MAX,
  MIN_CELL_SETTING_MIN,
} from '../../../src/hub/admin/admin-shared.ts';
import { isApiError } from '../api.ts';
import { ErrorDetail, errorHeadline } from '../components/error-text.tsx';
import { useFetch } from '../components/use-fetch.ts';
import { formatDateTime, parseTimestamp } from '../i18n/format.ts';
import { useLang, useT } from '../i18n/i18n-context.tsx';
import { useSession } from '../session/session-context.tsx';
import { LoadFailed } from './load-failed.tsx';

/** Widest the settings form grows. */
const FORM_WIDTH_MAX_PX = 560;

/** The settings form. */
export function SettingsTab() {
  const t = useT();
  const { lang } = useLang();
  const { api } = useSession();
  const { message } = App.useApp();
  const [form] = Form.useForm<ConsortiumSettings>();
  const [saving, setSaving] = useState(false);
  const load = useCallback(
    (signal: AbortSignal) => api.request<{ settings: ConsortiumSettingsView }>('/api/admin/settings', { signal }),
    [api],
  );
  const { data, error, reload } = useFetch(load);
  const settings = data?.settings;

  useEffect(() => {
    if (settings) {
      form.setFieldsValue({
        minCell: settings.minCell,
        epsilonDefault: settings.epsilonDefault,
        epsilonMax: settings.epsilonMax,
      });
    }
  }, [settings, form]);

  const save = useCallback(
    async (values: ConsortiumSettings) => {
      setSaving(true);
      try {
        await api.request('/api/admin/settings', { method: 'PUT', body: values });
        void message.success(t('admin.settings.saved'));
        reload();
      } catch (e) {
        const content = isApiError(e) ? (
          <span>
            {errorHeadline(t, e, t('admin.users.saveFailed'))}
            <ErrorDetail t={t} error={e} />
          </span>
        ) : (
          String(e)
        );
        void message.error({ content, duration: 8 });
      } finally {
        setSaving(false);
      }
    },
    [api, message, t, reload],
  );

  if (error && !data) return <LoadFailed error={error} title={t('admin.loadFailed')} onRetry={reload} />;
  const updatedAt = parseTimestamp(settings?.updatedAt);
  const epsilonRange = t('admin.settings.range', { min: EPSILON_SETTING_STEP, max: EPSILON_SETTING_MAX });

  return (
    <Card style={{ maxWidth: FORM_WIDTH_MAX_PX }} loading={!data}>
      <Alert type="info" showIcon title={t('admin.settings.about')} style={{ marginBottom: 16 }} />
      <Form<ConsortiumSettings>
        form={form}
        layout="vertical"
        onFinish={(v) => void save(v)}
        data-testid="settings-form"
      >
        <Form.Item
          name="minCell"
          label={t('admin.settings.minCell')}
          extra={t('admin.settings.minCellHelp', { min: MIN_CELL_SETTING_MIN, max: MIN_CELL_SETTING_MAX })}
          rules={[
            { required: true, message: t('admin.form.required') },
            {
              type: 'integer',
              min: MIN_CELL_SETTING_MIN,
              max: MIN_CELL_SETTING_MAX,
              message: t('admin.settings.range', { min: MIN_CELL_SETTING_MIN, max: MIN_CELL_SETTING_MAX }),
            },
          ]}
        >
          <InputNumber data-testid="settings-min-cell" precision={0} style={{ width: '100%' }} />
        </Form.Item>
        <Form.Item
          name="epsilonDefault"
          label={t('admin.settings.epsilonDefault')}
          extra={t('admin.settings.epsilonDefaultHelp')}
          dependencies={['epsilonMax']}
          rules={[
            { required: true, message: t('admin.form.required') },
            { type: 'number', min: EPSILON_SETTING_STEP, max: EPSILON_SETTING_MAX, message: epsilonRange },
            ({ getFieldValue }) => ({
              validator: (_, value: number | null) => {
                const max = getFieldValue('epsilonMax') as number | null;
                return value === null || max === null || value <= max
                  ? Promise.resolve()
                  : Promise.reject(new Error(t('admin.settings.defaultOverMax')));
              },
            }),
          ]}
        >
          <InputNumber data-testid="settings-epsilon-default" step={0.1} style={{ width: '100%' }} />
        </Form.Item>
        <Form.Item
          name="epsilonMax"
          label={t('admin.settings.epsilonMax')}
          extra={t('admin.settings.epsilonMaxHelp', { max: EPSILON_SETTING_MAX })}
          rules={[
            { required: true, message: t('admin.form.required') },
            { type: 'number', min: EPSILON_SETTING_STEP, max: EPSILON_SETTING_MAX, message: epsilonRange },
          ]}
        >
          <InputNumber data-testid="settings-epsilon-max" step={0.5} style={{ width: '100%' }} />
        </Form.Item>
        <Button type="primary" htmlType="submit" loading={saving} data-testid="settings-save">
          {t('admin.settings.save')}
        </Button>
      </Form>
      <Typography.Paragraph type="secondary" style={{ marginTop: 16, marginBottom: 0 }} data-testid="settings-updated">
        {settings?.updatedBy && updatedAt !== null
          ? t('admin.settings.updated', { by: settings.updatedBy, at: formatDateTime(updatedAt, lang) })
          : t('admin.settings.neverChanged')}
      </Typography.Paragraph>
    </Card>
  );
}
