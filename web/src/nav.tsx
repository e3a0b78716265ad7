/** The navigation of the whole product: one entry per page, in menu order, with its route and icon. */
import {
  AuditOutlined,
  BlockOutlined,
  ClusterOutlined,
  ContactsOutlined,
  DashboardOutlined,
  DatabaseOutlined,
  DeploymentUnitOutlined,
  ExperimentOutlined,
  EyeInvisibleOutlined,
  FileProtectOutlined,
  IdcardOutlined,
  ImportOutlined,
  SafetyCertificateOutlined,
  SettingOutlined,
  SwapOutlined,
  TeamOutlined,
} from '@ant-design/icons';
import type { ReactNode } from 'react';
import { LEDGER_ROLES, PROJECT_READ_ROLES, REQUEST_READ_ROLES } from '../../src/hub/auth/role-names.ts';
import { DASHBOARD_ROLES } from '../../src/hub/dashboard/roles.ts';
import type { Role } from './api-types.ts';
import { COHORT_ROLES } from './cohort/roles.ts';

/** The menu keys; each page's route is `/<key>` and its menu item has `data-testid="nav-<key>"`. */
export const NAV_KEYS = [
  'dashboard',
  'catalog',
  'sources',
  'mappings',
  'quality',
  'identity',
  'deid',
  'cohorts',
  'projects',
  'requests',
  'panorama',
  'ledger',
  'validators',
  'audit',
  'nodes',
  'admin',
] as const;

/** One page of the product. */
export type NavKey = (typeof NAV_KEYS)[number];

/** The icon shown beside each menu entry. */
export const NAV_ICONS: Record<NavKey, ReactNode> = {
  dashboard: <DashboardOutlined />,
  catalog: <DatabaseOutlined />,
  sources: <ImportOutlined />,
  mappings: <SwapOutlined />,
  quality: <SafetyCertificateOutlined />,
  identity: <ContactsOutlined />,
  deid: <EyeInvisibleOutlined />,
  cohorts: <TeamOutlined />,
  projects: <ExperimentOutlined />,
  requests: <FileProtectOutlined />,
  panorama: <IdcardOutlined />,
  ledger: <BlockOutlined />,
  validators: <DeploymentUnitOutlined />,
  audit: <AuditOutlined />,
  nodes: <ClusterOutlined />,
  admin: <SettingOutlined />,
};

/** Pages only some roles may open (the hub refuses everyone else); every other page is listed for all. */
export const NAV_ROLES: Partial<Record<NavKey, readonly Role[]>> = {
  dashboard: DASHBOARD_ROLES,
  ledger: LEDGER_ROLES,
  validators: LEDGER_ROLES,
  admin: ['admin'],
  cohorts: COHORT_ROLES,
  projects: PROJECT_READ_ROLES,
  requests: REQUEST_READ_ROLES,
  panorama: ['clinician'],
  audit: LEDGER_ROLES,
};

/** The menu entries a user of `role` sees, in menu order. */
export function navKeysFor(role: Role): NavKey[] {
  return NAV_KEYS.filter((key) => NAV_ROLES[key]?.includes(role) ?? true);
}

/** The route of a page. */
export function navPath(key: NavKey): string {
  return `/${key}`;
}

/** The page a pathname belongs to (its first segment), or null for an unknown path. */
export function navKeyOf(pathname: string): NavKey | null {
  const first = pathname.split('/')[1] ?? '';
  return (NAV_KEYS as readonly string[]).includes(first) ? (first as NavKey) : null;
}
