/**
 * The login page: username and password against `POST /api/auth/login`, the server's error shown as it came
 * (translated headline + the server's message and code), the reason a previous session ended, and the
 * language switch. A signed-in user who lands here is sent on to their start page.
 */
import { LockOutlined, UserOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Form, Input, Typography, theme } from 'antd';
import { useState } from 'react';
import { Navigate, useLocation, useNavigate } from 'react-router-dom';
import { ApiError, isApiError } from '../api.ts';
import { ErrorDetail, errorHeadline } from '../components/error-text.tsx';
import { LangSwitch } from '../components/lang-switch.tsx';
import { Logo } from '../components/logo.tsx';
import { useT } from '../i18n/i18n-context.tsx';
import { homePathFor, useSession } from '../session/session-context.tsx';

interface LoginForm {
  username: string;
  password: string;
}

/** Where the guard sent the user from, if anywhere worth returning to. */
function returnPathOf(state: unknown): string | null {
  const from = (state as { from?: unknown } | null)?.from;
  return typeof from === 'string' && from.startsWith('/') && from !== '/' && from !== '/login' ? from : null;
}

/** The full-screen login form. */
export function LoginPage() {
  const t = useT();
  const { token } = theme.useToken();
  const { state, login } = useSession();
  const navigate = useNavigate();
  const location = useLocation();
  const [error, setError] = useState<ApiError | null>(null);
  const [submitting, setSubmitting] = useState(false);

  if (state.status === 'signed-in') {
    return <Navigate to={returnPathOf(location.state) ?? homePathFor(state.user.role)} replace />;
  }

  const notice = state.status === 'anonymous' ? state.notice : null;

  const onFinish = async ({ username, password }: LoginForm) => {
    setError(null);
    setSubmitting(true);
    try {
      const user = await login(username.trim(), password);
      void navigate(returnPathOf(location.state) ?? homePathFor(user.role), { replace: true });
    } catch (e) {
      setError(isApiError(e) ? e : new ApiError('MER_INTERNAL', String(e), 0));
      setSubmitting(false);
    }
  };

  return (
    <div
      style={{
        minHeight: '100vh',
        boxSizing: 'border-box',
        display: 'flex',
        flexDirection: 'column',
        alignItems: 'center',
        justifyContent: 'center',
        padding: 24,
        background: `linear-gradient(135deg, ${token.colorPrimaryBg} 0%, ${token.colorBgLayout} 55%, #e6f4f1 100%)`,
      }}
    >
      <div style={{ position: 'fixed', top: 16, right: 24 }}>
        <LangSwitch />
      </div>
      <Card style={{ width: '100%', maxWidth: 420, boxShadow: token.boxShadowTertiary }}>
        <div style={{ textAlign: 'center', marginBottom: 24 }}>
          <Logo size={48} />
          <Typography.Title level={3} style={{ marginTop: 12, marginBottom: 4 }}>
            {t('app.title')}
          </Typography.Title>
          <Typography.Text type="secondary">{t('app.tagline')}</Typography.Text>
        </div>
        {notice && !error ? (
          <Alert
            data-testid="login-notice"
            type="warning"
            showIcon
            style={{ marginBottom: 16 }}
            title={errorHeadline(t, notice, t('login.sessionEnded'))}
            description={<ErrorDetail t={t} error={notice} />}
          />
        ) : null}
        {error ? (
          <Alert
            data-testid="login-error"
            type="error"
            showIcon
            style={{ marginBottom: 16 }}
            title={errorHeadline(t, error, t('login.failed'))}
            description={<ErrorDetail t={t} error={error} />}
          />
        ) : null}
        <Form<LoginForm> layout="vertical" requiredMark={false} onFinish={onFinish} disabled={submitting}>
          <Form.Item
            name="username"
            label={t('login.username')}
            rules={[{ required: true, whitespace: true, message: t('login.usernameRequired') }]}
          >
            <Input data-testid="login-username" prefix={<UserOutlined />} autoComplete="username" autoFocus />
          </Form.Item>
          <Form.Item
            name="password"
            label={t('login.password')}
            rules={[{ required: true, message: t('login.passwordRequired') }]}
          >
            <Input.Password data-testid="login-password" prefix={<LockOutlined />} autoComplete="current-password" />
          </Form.Item>
          <Button data-testid="login-submit" type="primary" htmlType="submit" block size="large" loading={submitting}>
            {t('login.submit')}
          </Button>
        </Form>
      </Card>
      <Typography.Text type="secondary" style={{ marginTop: 24, fontSize: 12 }}>
        {t('app.auditNotice')}
      </Typography.Text>
    </div>
  );
}
