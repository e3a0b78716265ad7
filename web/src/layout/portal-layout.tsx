/**
 * The frame around every page after login: a side menu with the whole product's navigation, and a header
 * with the page title, the user's hospital, name and role, the language switch and the account menu.
 */
import { BankOutlined, DownOutlined, LogoutOutlined, UserOutlined } from '@ant-design/icons';
import { Avatar, Dropdown, Layout, Menu, type MenuProps, Spin, Tag, Typography, theme } from 'antd';
import { Suspense, useEffect, useMemo, useState } from 'react';
import { Link, Outlet, useLocation, useNavigate } from 'react-router-dom';
import { LangSwitch } from '../components/lang-switch.tsx';
import { Logo } from '../components/logo.tsx';
import { useT } from '../i18n/i18n-context.tsx';
import { NAV_ICONS, navKeyOf, navKeysFor, navPath } from '../nav.tsx';
import { useSession, useUser } from '../session/session-context.tsx';

const SIDER_WIDTH_PX = 232;
const SIDER_COLLAPSED_WIDTH_PX = 64;

/** The signed-in shell: side menu, header, and the current page in the content area. */
export function PortalLayout() {
  const t = useT();
  const user = useUser();
  const { logout } = useSession();
  const navigate = useNavigate();
  const { pathname } = useLocation();
  const { token } = theme.useToken();
  const [collapsed, setCollapsed] = useState(false);

  const current = navKeyOf(pathname);
  const pageTitle = current ? t(`nav.${current}`) : t('notFound.title');

  useEffect(() => {
    document.title = `${pageTitle} · ${t('app.title')}`;
  }, [pageTitle, t]);

  const menuItems = useMemo<MenuProps['items']>(
    () =>
      navKeysFor(user.role).map((key) => ({
        key,
        icon: NAV_ICONS[key],
        label: <Link to={navPath(key)}>{t(`nav.${key}`)}</Link>,
        'data-testid': `nav-${key}`,
      })),
    [t, user.role],
  );

  const userMenu: MenuProps = {
    items: [
      {
        key: 'logout',
        icon: <LogoutOutlined />,
        label: t('header.logout'),
        danger: true,
        'data-testid': 'logout',
      },
    ],
    onClick: ({ key }) => {
      if (key === 'logout') {
        logout();
        void navigate('/login', { replace: true });
      }
    },
  };

  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Layout.Sider
        collapsible
        collapsed={collapsed}
        onCollapse={setCollapsed}
        breakpoint="lg"
        width={SIDER_WIDTH_PX}
        collapsedWidth={SIDER_COLLAPSED_WIDTH_PX}
        style={{ position: 'sticky', top: 0, height: '100vh', overflow: 'auto' }}
      >
        <div
          style={{
            height: 64,
            display: 'flex',
            alignItems: 'center',
            gap: 10,
            padding: collapsed ? '0 16px' : '0 20px',
            overflow: 'hidden',
            whiteSpace: 'nowrap',
          }}
        >
          <Logo size={32} />
          {collapsed ? null : (
            <span style={{ color: '#fff', fontWeight: 600, fontSize: 18 }}>{t('app.shortTitle')}</span>
          )}
        </div>
        <Menu theme="dark" mode="inline" selectedKeys={current ? [current] : []} items={menuItems} />
      </Layout.Sider>
      <Layout>
        <Layout.Header
          style={{
            position: 'sticky',
            top: 0,
            zIndex: 10,
            display: 'flex',
            alignItems: 'center',
            justifyContent: 'space-between',
            gap: 16,
            padding: '0 24px',
            background: token.colorBgContainer,
            borderBottom: `1px solid ${token.colorBorderSecondary}`,
          }}
        >
          <Typography.Title level={4} style={{ margin: 0, whiteSpace: 'nowrap' }}>
            {pageTitle}
          </Typography.Title>
          <div style={{ display: 'flex', alignItems: 'center', gap: 12, minWidth: 0 }}>
            <Tag data-testid="user-hospital" icon={<BankOutlined />} title={t('header.hospital')} style={{ margin: 0 }}>
              {user.hospital ?? t('header.hubUser')}
            </Tag>
            <LangSwitch />
            <Dropdown menu={userMenu} trigger={['click']} placement="bottomRight">
              <button
                type="button"
                data-testid="user-menu"
                aria-label={t('header.userMenu')}
                style={{
                  display: 'flex',
                  alignItems: 'center',
                  gap: 8,
                  height: 40,
                  padding: '0 8px',
                  border: 'none',
                  borderRadius: token.borderRadius,
                  background: 'transparent',
                  cursor: 'pointer',
                  font: 'inherit',
                  color: token.colorText,
                }}
              >
                <Avatar size="small" icon={<UserOutlined />} style={{ background: token.colorPrimary }} />
                <span data-testid="user-name" style={{ whiteSpace: 'nowrap' }}>
                  {user.displayName}
                </span>
                <Tag data-testid="user-role" color="blue" title={t('header.role')} style={{ margin: 0 }}>
                  {t(`role.${user.role}`)}
                </Tag>
                <DownOutlined style={{ fontSize: 10, color: token.colorTextSecondary }} />
              </button>
            </Dropdown>
          </div>
        </Layout.Header>
        <Layout.Content style={{ padding: 24 }}>
          <Suspense
            fallback={
              <div style={{ padding: 48, textAlign: 'center' }}>
                <Spin />
              </div>
            }
          >
            <Outlet />
          </Suspense>
        </Layout.Content>
      </Layout>
    </Layout>
  );
}
