/**
 * The demo consortium: one hub and three hospital nodes on localhost, with one account per role.
 * Passwords are printed at start; they are for a local demonstration only.
 */
import type { NewUser } from '../hub/auth/users.ts';

/** A demo hospital node. */
export interface DemoHospital {
  name: string;
  displayName: string;
}

/** The three demo hospitals (node names are also their certificate names). */
export const DEMO_HOSPITALS: readonly DemoHospital[] = [
  { name: 'hospital-a', displayName: '华东第一人民医院 East China First People’s Hospital' },
  { name: 'hospital-b', displayName: '江南大学附属医院 Jiangnan University Hospital' },
  { name: 'hospital-c', displayName: '滨海市第三人民医院 Binhai Third People’s Hospital' },
];

/**
 * Analysis kinds the demo hospitals run without a steward's approval: every kind, FedAvg model training included
 * (the node default leaves FedAvg to the steward), so a researcher can try each analysis on the demo at once.
 */
export const DEMO_AUTO_APPROVE = ['count', 'descriptive', 'km', 'glm', 'cox', 'fedavg'] as const;

/**
 * Same-question repeats the demo hub allows a researcher per day: the demo's data are synthetic and its tests and
 * tours ask the same cohort many times, so the production default (3) is relaxed here.
 */
export const DEMO_QUERY_REPEATS_MAX = 50;

/** Password of every demo account (local demo only; printed at start). */
export const DEMO_PASSWORD = 'Meridian-demo-2026';

/** One account per role; stewards are bound to their hospital. */
export const DEMO_ACCOUNTS: NewUser[] = [
  { username: 'admin', displayName: '系统管理员 Admin', role: 'admin', hospital: null, password: DEMO_PASSWORD },
  {
    username: 'researcher',
    displayName: '王研究 Wang (researcher)',
    role: 'researcher',
    hospital: null,
    password: DEMO_PASSWORD,
  },
  {
    username: 'clinician',
    displayName: '李医生 Dr Li',
    role: 'clinician',
    hospital: 'hospital-a',
    password: DEMO_PASSWORD,
  },
  {
    username: 'steward-a',
    displayName: '张治理 Zhang (steward A)',
    role: 'steward',
    hospital: 'hospital-a',
    password: DEMO_PASSWORD,
  },
  {
    username: 'steward-b',
    displayName: '陈治理 Chen (steward B)',
    role: 'steward',
    hospital: 'hospital-b',
    password: DEMO_PASSWORD,
  },
  {
    username: 'steward-c',
    displayName: '刘治理 Liu (steward C)',
    role: 'steward',
    hospital: 'hospital-c',
    password: DEMO_PASSWORD,
  },
  {
    username: 'ethics',
    displayName: '伦理委员会 Ethics committee',
    role: 'ethics',
    hospital: null,
    password: DEMO_PASSWORD,
  },
  { username: 'auditor', displayName: '审计员 Auditor', role: 'auditor', hospital: null, password: DEMO_PASSWORD },
  { username: 'manager', displayName: '院领导 Manager', role: 'manager', hospital: null, password: DEMO_PASSWORD },
];
