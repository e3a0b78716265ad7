/**
 * The app: language and antd locale, the session, and the routes. `/login` is public; every other route sits
 * behind the sign-in guard inside the portal layout. The built pages (and with them ECharts) load on demand.
 */
import { App as AntApp, ConfigProvider, Spin, type ThemeConfig } from 'antd';
import { lazy } from 'react';
import { BrowserRouter, Navigate, Route, Routes, useLocation } from 'react-router-dom';
import { ANTD_LOCALES } from './i18n/antd-locales.ts';
import { I18nProvider, useLang } from './i18n/i18n-context.tsx';
import type { Lang } from './i18n/messages.ts';
import { PortalLayout } from './layout/portal-layout.tsx';
import { LoginPage } from './pages/login-page.tsx';
import { NotFoundPage } from './pages/not-found-page.tsx';
import { homePathFor, SessionProvider, useSession } from './session/session-context.tsx';

const DashboardPage = lazy(() => import('./pages/dashboard-page.tsx').then((m) => ({ default: m.DashboardPage })));
const CatalogPage = lazy(() => import('./pages/catalog-page.tsx').then((m) => ({ default: m.CatalogPage })));
const NodesPage = lazy(() => import('./pages/nodes-page.tsx').then((m) => ({ default: m.NodesPage })));
const SourcesPage = lazy(() => import('./pages/sources-page.tsx').then((m) => ({ default: m.SourcesPage })));
const MappingsPage = lazy(() => import('./pages/mappings-page.tsx').then((m) => ({ default: m.MappingsPage })));
const QualityPage = lazy(() => import('./pages/quality-page.tsx').then((m) => ({ default: m.QualityPage })));
const IdentityPage = lazy(() => import('./pages/identity-page.tsx').then((m) => ({ default: m.IdentityPage })));
const DeidPage = lazy(() => import('./pages/deid-page.tsx').then((m) => ({ default: m.DeidPage })));
const LedgerPage = lazy(() => import('./pages/ledger-page.tsx').then((m) => ({ default: m.LedgerPage })));
const ValidatorsPage = lazy(() => import('./pages/validators-page.tsx').then((m) => ({ default: m.ValidatorsPage })));
const PanoramaPage = lazy(() => import('./pages/panorama-page.tsx').then((m) => ({ default: m.PanoramaPage })));
const AuditPage = lazy(() => import('./pages/audit-page.tsx').then((m) => ({ default: m.AuditPage })));
const AdminPage = lazy(() => import('./pages/admin-page.tsx').then((m) => ({ default: m.AdminPage })));
const ProjectsPage = lazy(() => import('./pages/projects-page.tsx').then((m) => ({ default: m.ProjectsPage })));
const ProjectPage = lazy(() => import('./pages/project-page.tsx').then((m) => ({ default: m.ProjectPage })));
const RequestsPage = lazy(() => import('./pages/requests-page.tsx').then((m) => ({ default: m.RequestsPage })));
const RequestPage = lazy(() => import('./pages/requests-page.tsx').then((m) => ({ default: m.RequestPage })));
const CohortsPage = lazy(() => import('./pages/cohorts-page.tsx').then((m) => ({ default: m.CohortsPage })));

const THEME: ThemeConfig = {
  token: {
    colorPrimary: '#1668dc',
    fontFamily:
      "-apple-system, BlinkMacSystemFont, 'Segoe UI', 'PingFang SC', 'Hiragino Sans GB', 'Microsoft YaHei', 'Noto Sans CJK SC', 'Noto Sans SC', 'Helvetica Neue', Arial, sans-serif",
  },
};

/** Lets signed-in users through; sends everyone else to /login, remembering where they were going. */
function RequireSession() {
  const { state } = useSession();
  const location = useLocation();
  if (state.status === 'checking') {
    return (
      <div style={{ minHeight: '100vh', display: 'grid', placeItems: 'center' }}>
        <Spin size="large" />
      </div>
    );
  }
  if (state.status === 'anonymous') {
    const from = state.loggedOut ? undefined : location.pathname + location.search;
    return <Navigate to="/login" replace state={{ from }} />;
  }
  return <PortalLayout />;
}

/** `/`: the user's start page. */
function HomeRedirect() {
  const { state } = useSession();
  return <Navigate to={state.status === 'signed-in' ? homePathFor(state.user.role) : '/login'} replace />;
}

function LocalizedApp() {
  const { lang } = useLang();
  return (
    <ConfigProvider locale={ANTD_LOCALES[lang]} theme={THEME}>
      <AntApp>
        <SessionProvider>
          <BrowserRouter>
            <Routes>
              <Route path="/login" element={<LoginPage />} />
              <Route element={<RequireSession />}>
                <Route index element={<HomeRedirect />} />
                <Route path="/dashboard" element={<DashboardPage />} />
                <Route path="/catalog" element={<CatalogPage />} />
                <Route path="/nodes" element={<NodesPage />} />
                <Route path="/sources" element={<SourcesPage />} />
                <Route path="/mappings" element={<MappingsPage />} />
                <Route path="/quality" element={<QualityPage />} />
                <Route path="/identity" element={<IdentityPage />} />
                <Route path="/deid" element={<DeidPage />} />
                <Route path="/ledger" element={<LedgerPage />} />
                <Route path="/validators" element={<ValidatorsPage />} />
                <Route path="/panorama" element={<PanoramaPage />} />
                <Route path="/audit" element={<AuditPage />} />
                <Route path="/admin" element={<AdminPage />} />
                <Route path="/cohorts" element={<CohortsPage />} />
                <Route path="/projects" element={<ProjectsPage />} />
                <Route path="/projects/:projectId" element={<ProjectPage />} />
                <Route path="/requests" element={<RequestsPage />} />
                <Route path="/requests/:requestId" element={<RequestPage />} />
                <Route path="*" element={<NotFoundPage />} />
              </Route>
            </Routes>
          </BrowserRouter>
        </SessionProvider>
      </AntApp>
    </ConfigProvider>
  );
}

/** The whole portal, starting in `initialLang`. */
export function App({ initialLang }: { initialLang: Lang }) {
  return (
    <I18nProvider initialLang={initialLang}>
      <LocalizedApp />
    </I18nProvider>
  );
}
