/**
 * 用户 / Users: every account with its role, hospital, state and last login; create and edit in a drawer,
 * disable or enable (confirmed), and reset a password. An administrator's own row cannot be disabled.
 */
import {
  App,
  Button,
  Form,
  Input,
  Modal,
  Popconfirm,
  Space,
  Table,
  type TableProps,
  Tag,
  Tooltip,
  Typography,
} from 'antd';
import { type HTMLAttributes, useCallback, useMemo, useState } from 'react';
import { PASSWORD_LENGTH_MAX, PASSWORD_LENGTH_MIN } from '../../../src/hub/auth/password-rules.ts';
import type { AccountView } from '../../../src/hub/auth/users.ts';
import { isApiError } from '../api.ts';
import type { NodesResponse } from '../api-types.ts';
import { ErrorDetail, errorHeadline } from '../components/error-text.tsx';
import { useFetch } from '../components/use-fetch.ts';
import { formatDateTime, parseTimestamp } from '../i18n/format.ts';
import { type Translate, useLang, useT } from '../i18n/i18n-context.tsx';
import type { Lang } from '../i18n/messages.ts';
import { useSession, useUser } from '../session/session-context.tsx';
import { LoadFailed } from './load-failed.tsx';
import { type AccountForm, UserDrawer } from './user-drawer.tsx';

const ROLE_COLOR: Record<AccountView['role'], string> = {
  admin: 'magenta',
  researcher: 'blue',
  clinician: 'green',
  steward: 'gold',
  ethics: 'purple',
  auditor: 'cyan',
  manager: 'geekblue',
};

function dateText(iso: string | null, lang: Lang, never: string): string {
  const at = parseTimestamp(iso);
  return at === null ? never : formatDateTime(at, lang);
}

function buildColumns(
  t: Translate,
  lang: Lang,
  meId: string,
  act: {
    edit: (u: AccountView) => void;
    toggle: (u: AccountView) => void;
    reset: (u: AccountView) => void;
  },
): TableProps<AccountView>['columns'] {
  return [
    {
      title: t('admin.users.col.user'),
      key: 'user',
      sorter: (a, b) => a.username.localeCompare(b.username),
      render: (_, u) => (
        <div>
          <Typography.Text strong>{u.displayName}</Typography.Text>
          {u.id === meId ? <Tag style={{ marginInlineStart: 8 }}>{t('admin.users.you')}</Tag> : null}
          <br />
          <Typography.Text type="secondary" code>
            {u.username}
          </Typography.Text>
          {u.login.oidc ? <Tag style={{ marginInlineStart: 4 }}>{t('admin.users.sso')}</Tag> : null}
        </div>
      ),
    },
    {
      title: t('admin.users.col.role'),
      key: 'role',
      filters: Object.keys(ROLE_COLOR).map((r) => ({ text: t(`role.${r as AccountView['role']}`), value: r })),
      onFilter: (value, u) => u.role === value,
      render: (_, u) => (
        <Tag data-testid={`user-role-${u.username}`} color={ROLE_COLOR[u.role]}>
          {t(`role.${u.role}`)}
        </Tag>
      ),
    },
    {
      title: t('admin.users.col.hospital'),
      key: 'hospital',
      render: (_, u) =>
        u.hospital ? <Typography.Text code>{u.hospital}</Typography.Text> : t('admin.users.noHospital'),
    },
    {
      title: t('admin.users.col.status'),
      key: 'status',
      render: (_, u) => (
        <Tag data-testid={`user-status-${u.username}`} color={u.disabled ? 'error' : 'success'}>
          {t(u.disabled ? 'admin.users.status.disabled' : 'admin.users.status.active')}
        </Tag>
      ),
    },
    {
      title: t('admin.users.col.lastLogin'),
      key: 'lastLogin',
      render: (_, u) => dateText(u.lastLoginAt, lang, t('admin.users.neverLoggedIn')),
    },
    {
      title: t('admin.users.col.actions'),
      key: 'actions',
      render: (_, u) => (
        <Space size={4} wrap>
          <Button size="small" data-testid={`user-edit-${u.username}`} onClick={() => act.edit(u)}>
            {t('admin.users.edit')}
          </Button>
          {u.disabled ? (
            <Button size="small" data-testid={`user-enable-${u.username}`} onClick={() => act.toggle(u)}>
              {t('admin.users.enable')}
            </Button>
          ) : (
            <Popconfirm
              title={t('admin.users.disableConfirm', { name: u.username })}
              onConfirm={() => act.toggle(u)}
              disabled={u.id === meId}
            >
              <Button size="small" danger disabled={u.id === meId} data-testid={`user-disable-${u.username}`}>
                {t('admin.users.disable')}
              </Button>
            </Popconfirm>
          )}
          {u.login.password || !u.login.oidc ? (
            <Button size="small" data-testid={`user-reset-${u.username}`} onClick={() => act.reset(u)}>
              {t('admin.users.resetPassword')}
            </Button>
          ) : null}
        </Space>
      ),
    },
  ];
}

/** The accounts table with its drawer and password dialog. */
export function UsersTab() {
  const t = useT();
  const { lang } = useLang();
  const { api } = useSession();
  const me = useUser();
  const { message } = App.useApp();
  const load = useCallback(
    (signal: AbortSignal) => api.request<{ users: AccountView[] }>('/api/admin/users', { signal }),
    [api],
  );
  const users = useFetch(load);
  const loadNodes = useCallback(
    (signal: AbortSignal) => api.request<NodesResponse>('/api/admin/nodes', { signal }),
    [api],
  );
  const nodes = useFetch(loadNodes);
  const [drawer, setDrawer] = useState<{ user: AccountView | null } | null>(null);
  const [resetFor, setResetFor] = useState<AccountView | null>(null);
  const [busy, setBusy] = useState(false);
  const [resetForm] = Form.useForm<{ password: string }>();

  const fail = useCallback(
    (e: unknown) => {
      const content = isApiError(e) ? (
        <span>
          {errorHeadline(t, e, t('admin.users.saveFailed'))}
          <ErrorDetail t={t} error={e} />
        </span>
      ) : (
        String(e)
      );
      void message.error({ content, duration: 8 });
    },
    [t, message],
  );

  const run = useCallback(
    async (call: () => Promise<unknown>, done: string) => {
      setBusy(true);
      try {
        await call();
        void message.success(done);
        users.reload();
        return true;
      } catch (e) {
        fail(e);
        return false;
      } finally {
        setBusy(false);
      }
    },
    [message, users, fail],
  );

  const submit = useCallback(
    async (form: AccountForm) => {
      const editing = drawer?.user ?? null;
      const ok = editing
        ? await run(
            () =>
              api.request(`/api/admin/users/${encodeURIComponent(editing.id)}`, {
                method: 'PATCH',
                body: { displayName: form.displayName, role: form.role, hospital: form.hospital },
              }),
            t('admin.users.saved', { name: editing.username }),
          )
        : await run(
            () => api.request('/api/admin/users', { method: 'POST', body: form }),
            t('admin.users.created', { name: form.username }),
          );
      if (ok) setDrawer(null);
    },
    [api, drawer, run, t],
  );

  const columns = useMemo(
    () =>
      buildColumns(t, lang, me.id, {
        edit: (user) => setDrawer({ user }),
        toggle: (u) =>
          void run(
            () =>
              api.request(`/api/admin/users/${encodeURIComponent(u.id)}/${u.disabled ? 'enable' : 'disable'}`, {
                method: 'POST',
              }),
            t(u.disabled ? 'admin.users.enabled' : 'admin.users.disabled', { name: u.username }),
          ),
        reset: (u) => {
          resetForm.resetFields();
          setResetFor(u);
        },
      }),
    [t, lang, me.id, run, api, resetForm],
  );

  if (users.error && !users.data) {
    return <LoadFailed error={users.error} title={t('admin.loadFailed')} onRetry={users.reload} />;
  }
  const rows = users.data?.users ?? [];
  const active = rows.filter((u) => !u.disabled).length;
  const hospitals = (nodes.data?.nodes ?? []).map((n) => ({ name: n.name, displayName: n.displayName }));

  return (
    <div style={{ display: 'flex', flexDirection: 'column', gap: 12 }}>
      <Space style={{ justifyContent: 'space-between', width: '100%' }}>
        <Typography.Text type="secondary" data-testid="users-count">
          {t('admin.users.count', { n: rows.length, active })}
        </Typography.Text>
        <Space>
          <Button onClick={users.reload}>{t('admin.reload')}</Button>
          <Button type="primary" data-testid="user-new" onClick={() => setDrawer({ user: null })}>
            {t('admin.users.new')}
          </Button>
        </Space>
      </Space>
      <Table<AccountView>
        data-testid="users-table"
        rowKey="id"
        size="middle"
        columns={columns}
        dataSource={rows}
        loading={users.loading && !users.data}
        locale={{ emptyText: t('admin.users.empty') }}
        pagination={{ pageSize: 20, hideOnSinglePage: true }}
        scroll={{ x: 'max-content' }}
        onRow={(u) => ({ 'data-testid': `user-row-${u.username}` }) as HTMLAttributes<HTMLElement>}
      />
      <UserDrawer
        open={drawer !== null}
        user={drawer?.user ?? null}
        hospitals={hospitals}
        busy={busy}
        onSubmit={(form) => void submit(form)}
        onClose={() => setDrawer(null)}
      />
      <Modal
        open={resetFor !== null}
        title={resetFor ? `${t('admin.users.resetPassword')} · ${resetFor.username}` : ''}
        okText={t('admin.form.save')}
        cancelText={t('admin.form.cancel')}
        confirmLoading={busy}
        okButtonProps={{ 'data-testid': 'reset-password-submit' } as Record<string, string>}
        onCancel={() => setResetFor(null)}
        onOk={() => resetForm.submit()}
        destroyOnHidden
      >
        <Form
          form={resetForm}
          layout="vertical"
          onFinish={async ({ password }) => {
            const user = resetFor;
            if (!user) return;
            const ok = await run(
              () =>
                api.request(`/api/admin/users/${encodeURIComponent(user.id)}/password`, {
                  method: 'POST',
                  body: { password },
                }),
              t('admin.users.passwordReset', { name: user.username }),
            );
            if (ok) setResetFor(null);
          }}
        >
          <Form.Item
            name="password"
            label={t('admin.form.newPassword')}
            extra={t('admin.form.passwordRule', { min: PASSWORD_LENGTH_MIN })}
            rules={[
              { required: true, message: t('admin.form.required') },
              {
                min: PASSWORD_LENGTH_MIN,
                max: PASSWORD_LENGTH_MAX,
                message: t('admin.form.passwordTooShort', { min: PASSWORD_LENGTH_MIN }),
              },
            ]}
          >
            <Input.Password data-testid="reset-password-input" autoComplete="new-password" />
          </Form.Item>
        </Form>
      </Modal>
      {users.error ? (
        <Tooltip title={users.error.message}>
          <Typography.Text type="warning">{errorHeadline(t, users.error, t('admin.loadFailed'))}</Typography.Text>
        </Tooltip>
      ) : null}
    </div>
  );
}
