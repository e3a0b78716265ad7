/**
 * The login page: username and password against `POST /api/auth/login`, or a button per identity provider
 * (OpenID Connect: the hub redirects there and back, then returns here with `#token=…` or `#error=…` in the
 * URL fragment). The server's error is shown as it came (translated headline + message and code), as is the
 * reason a previous session ended. A signed-in user who lands here is sent on to their start page.
 */
import { LockOutlined, UserOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Divider, Form, Input, Typography, theme } from 'antd';
import { useEffect, useState } from 'react';
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

interface RedirectProvider {
  id: string;
  kind: 'redirect';
  displayName: string;
}

/** A portal path worth returning to, or null. */
function safePath(path: string | null | undefined): string | null {
  return typeof path === 'string' && /^\/[^/\\]/.test(path) && path !== '/login' ? path : null;
}

/** The hub route that starts a login at an identity provider, returning to `returnTo` afterwards. */
function oidcStartHref(provider: string, returnTo: string | null): string {
  const start = `/api/auth/oidc/${encodeURIComponent(provider)}/start`;
  return returnTo ? `${start}?${new URLSearchParams({ returnTo })}` : start;
}

/** Where the guard sent the user from, if anywhere worth returning to. */
function returnPathOf(state: unknown): string | null {
  const from = (state as { from?: unknown } | null)?.from;
  return typeof from === 'string' && from !== '/' ? safePath(from) : null;
}

/** The full-screen login form. */
export function LoginPage() {
  const t = useT();
  const { token } = theme.useToken();
  const { state, api, login, adoptToken } = useSession();
  const navigate = useNavigate();
  const location = useLocation();
  const [error, setError] = useState<ApiError | null>(null);
  const [submitting, setSubmitting] = useState(false);
  const [providers, setProviders] = useState<RedirectProvider[]>([]);

  useEffect(() => {
    const controller = new AbortController();
    api
      .request<{ providers: (RedirectProvider | { id: string; kind: 'password' })[] }>('/api/auth/providers', {
        signal: controller.signal,
      })
      .then((body) => setProviders(body.providers.filter((p): p is RedirectProvider => p.kind === 'redirect')))
      .catch(() => setProviders([]));
    return () => controller.abort();
  }, [api]);

  useEffect(() => {
    const fragment = new URLSearchParams(window.location.hash.slice(1));
    const returned = fragment.get('token');
    const failed = fragment.get('error');
    if (!returned && !failed) return;
    window.history.replaceState(null, '', '/login');
    if (failed) {
      setError(new ApiError(failed, fragment.get('message') ?? failed, 401));
      return;
    }
    adoptToken(returned as string).then(
      (user) => void navigate(safePath(fragment.get('returnTo')) ?? homePathFor(user.role), { replace: true }),
      (e: unknown) => setError(isApiError(e) ? e : new ApiError('MER_INTERNAL', String(e), 0)),
    );
  }, [adoptToken, navigate]);

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
        {providers.length > 0 ? <Divider plain>{t('login.or')}</Divider> : null}
        {providers.map((p) => (
          <Button
            key={p.id}
            data-testid={`login-oidc-${p.id}`}
            block
            size="large"
            style={{ marginBottom: 8 }}
            href={oidcStartHref(p.id, returnPathOf(location.state))}
          >
            {t('login.with', { name: p.displayName })}
          </Button>
        ))}
      </Card>
      <Typography.Text type="secondary" style={{ marginTop: 24, fontSize: 12 }}>
        {t('app.auditNotice')}
      </Typography.Text>
    </div>
  );
}
