/**
 * 系统管理 / Administration (administrators only): accounts, the consortium's institutions from the ledger, the
 * hospital nodes, and the consortium settings, one tab each. The open tab is kept in the address (`?tab=`), so
 * a reload or a shared link opens the same tab.
 */
import { Card, Tabs } from 'antd';
import { useSearchParams } from 'react-router-dom';
import { InstitutionsTab } from '../admin/institutions-tab.tsx';
import { NodesTab } from '../admin/nodes-tab.tsx';
import { SettingsTab } from '../admin/settings-tab.tsx';
import { UsersTab } from '../admin/users-tab.tsx';
import { useT } from '../i18n/i18n-context.tsx';

const TABS = ['users', 'institutions', 'nodes', 'settings'] as const;
type AdminTab = (typeof TABS)[number];

function isTab(value: string | null): value is AdminTab {
  return (TABS as readonly (string | null)[]).includes(value);
}

/** The admin page. */
export function AdminPage() {
  const t = useT();
  const [params, setParams] = useSearchParams();
  const requested = params.get('tab');
  const active: AdminTab = isTab(requested) ? requested : 'users';
  const label = (key: AdminTab) => <span data-testid={`admin-tab-${key}`}>{t(`admin.tab.${key}`)}</span>;

  return (
    <Card data-testid="admin-page">
      <Tabs
        activeKey={active}
        onChange={(key) => setParams(key === 'users' ? {} : { tab: key }, { replace: true })}
        destroyOnHidden
        items={[
          { key: 'users', label: label('users'), children: <UsersTab /> },
          { key: 'institutions', label: label('institutions'), children: <InstitutionsTab /> },
          { key: 'nodes', label: label('nodes'), children: <NodesTab /> },
          { key: 'settings', label: label('settings'), children: <SettingsTab /> },
        ]}
      />
    </Card>
  );
}
