/**
 * The create/edit drawer of an account: username, display name, role, hospital (required for the roles that act
 * for one hospital, chosen from the nodes the hub knows) and, for a new account, the initial password. The form
 * checks what the hub checks; the hub's refusal, if any, is shown as it answered.
 */
import { Button, Drawer, Form, Input, Select, Space } from 'antd';
import { useEffect } from 'react';
import { ADMIN_HOSPITAL_ROLES } from '../../../src/hub/admin/admin-shared.ts';
import { PASSWORD_LENGTH_MAX, PASSWORD_LENGTH_MIN } from '../../../src/hub/auth/password-rules.ts';
import { ROLES, type Role } from '../../../src/hub/auth/role-names.ts';
import type { AccountView } from '../../../src/hub/auth/users.ts';
import { useT } from '../i18n/i18n-context.tsx';

/** Width of the account drawer. */
const DRAWER_WIDTH_PX = 480;

/** What the drawer submits: a new account, or the changes to one. */
export interface AccountForm {
  username: string;
  displayName: string;
  role: Role;
  hospital: string | null;
  password?: string;
}

/** The drawer; `user` null creates an account, otherwise edits it. */
export function UserDrawer({
  open,
  user,
  hospitals,
  busy,
  onSubmit,
  onClose,
}: {
  open: boolean;
  user: AccountView | null;
  hospitals: readonly { name: string; displayName: string }[];
  busy: boolean;
  onSubmit: (form: AccountForm) => void;
  onClose: () => void;
}) {
  const t = useT();
  const [form] = Form.useForm<AccountForm>();
  const role = Form.useWatch('role', form);
  const needsHospital = role !== undefined && ADMIN_HOSPITAL_ROLES.has(role);

  useEffect(() => {
    if (!open) return;
    form.resetFields();
    form.setFieldsValue(
      user
        ? { username: user.username, displayName: user.displayName, role: user.role, hospital: user.hospital }
        : { role: 'researcher', hospital: null },
    );
  }, [open, user, form]);

  return (
    <Drawer
      open={open}
      onClose={onClose}
      size={DRAWER_WIDTH_PX}
      destroyOnHidden
      title={user ? t('admin.form.editTitle', { name: user.username }) : t('admin.form.createTitle')}
      extra={
        <Space>
          <Button onClick={onClose}>{t('admin.form.cancel')}</Button>
          <Button type="primary" loading={busy} onClick={() => form.submit()} data-testid="user-form-submit">
            {user ? t('admin.form.save') : t('admin.form.create')}
          </Button>
        </Space>
      }
    >
      <Form<AccountForm>
        form={form}
        layout="vertical"
        data-testid="user-form"
        onFinish={(values) => onSubmit({ ...values, hospital: values.hospital ?? null })}
      >
        <Form.Item
          name="username"
          label={t('admin.form.username')}
          extra={user ? undefined : t('admin.form.usernameHelp')}
          rules={[
            { required: true, message: t('admin.form.required') },
            { pattern: /^[a-z0-9][a-z0-9._-]{1,63}$/, message: t('admin.form.usernameInvalid') },
          ]}
        >
          <Input data-testid="user-form-username" disabled={user !== null} autoComplete="off" />
        </Form.Item>
        <Form.Item
          name="displayName"
          label={t('admin.form.displayName')}
          rules={[{ required: true, whitespace: true, max: 100, message: t('admin.form.required') }]}
        >
          <Input data-testid="user-form-display-name" autoComplete="off" />
        </Form.Item>
        <Form.Item name="role" label={t('admin.form.role')} rules={[{ required: true }]}>
          <Select
            data-testid="user-form-role"
            options={ROLES.map((r) => ({ value: r, label: t(`role.${r}`) }))}
            onChange={(next: Role) => {
              if (!ADMIN_HOSPITAL_ROLES.has(next) && user === null) form.setFieldValue('hospital', null);
            }}
          />
        </Form.Item>
        <Form.Item
          name="hospital"
          label={t('admin.form.hospital')}
          extra={t('admin.form.hospitalHelp')}
          rules={[{ required: needsHospital, message: t('admin.form.hospitalRequired') }]}
        >
          <Select
            data-testid="user-form-hospital"
            allowClear
            options={hospitals.map((h) => ({ value: h.name, label: `${h.displayName} (${h.name})` }))}
          />
        </Form.Item>
        {user ? null : (
          <Form.Item
            name="password"
            label={t('admin.form.password')}
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
            <Input.Password data-testid="user-form-password" autoComplete="new-password" />
          </Form.Item>
        )}
      </Form>
    </Drawer>
  );
}
