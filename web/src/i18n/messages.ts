/**
 * Every user-facing string of the portal, in English and Simplified Chinese. The English table defines the
 * keys; the Chinese table is typed as `Record<MessageKey, string>`, so the compiler refuses a missing key and
 * (object-literal excess property check) an extra one. `{name}` placeholders are filled by `useT()`;
 * test/web/i18n.test.ts checks that both languages use the same placeholders.
 */
import type { ErrorCode } from '../../../src/errors/registry.ts';

/** The languages the portal speaks; zh-CN is the default. */
export const LANGS = ['zh-CN', 'en'] as const;

/** One of the portal's languages. */
export type Lang = (typeof LANGS)[number];

/** The language used when the browser has no stored choice. */
export const DEFAULT_LANG: Lang = 'zh-CN';

/** Error codes the portal explains in the user's language; any other code falls back to the server's message. */
export const EXPLAINED_ERROR_CODES = [
  'MER_AUTH_BAD_CREDENTIALS',
  'MER_AUTH_TOKEN_MISSING',
  'MER_AUTH_TOKEN_EXPIRED',
  'MER_AUTH_TOKEN_INVALID',
  'MER_AUTH_FORBIDDEN',
  'MER_AUTH_USER_DISABLED',
  'MER_HTTP_VALIDATION',
  'MER_HUB_UNREACHABLE',
  'MER_INTERNAL',
] as const satisfies readonly ErrorCode[];

const en = {
  'app.title': 'Meridian clinical data sharing',
  'app.shortTitle': 'Meridian',
  'app.tagline': 'Cross-hospital clinical data: usable, not visible',
  'app.auditNotice': 'Every access to this platform is recorded in the audit trail.',
  'app.loading': 'Loading…',

  'lang.switch': 'Switch language',
  'lang.other': '中文',

  'login.heading': 'Log in',
  'login.username': 'Username',
  'login.password': 'Password',
  'login.usernameRequired': 'Enter your username',
  'login.passwordRequired': 'Enter your password',
  'login.submit': 'Log in',
  'login.failed': 'Login failed',
  'login.sessionEnded': 'Your session has ended',
  'login.with': 'Log in with {name}',
  'login.or': 'or',

  'header.hubUser': 'Regional hub',
  'header.userMenu': 'Account',
  'header.logout': 'Log out',
  'header.hospital': 'Hospital',
  'header.role': 'Role',

  'nav.dashboard': 'Dashboard',
  'nav.catalog': 'Data catalog',
  'nav.cohorts': 'Cohort search',
  'nav.projects': 'Research projects',
  'nav.requests': 'Requests & approvals',
  'nav.panorama': 'Patient panorama',
  'nav.ledger': 'Consortium ledger',
  'nav.audit': 'Audit trail',
  'nav.nodes': 'Nodes',
  'nav.admin': 'Administration',

  'notBuilt.dashboard':
    'This page is not built yet: it will show data volume, data quality, usage and research output per hospital.',
  'notBuilt.catalog':
    'This page is not built yet: it will list the standardized tables and fields each hospital offers, with quality scores and lineage.',
  'notBuilt.cohorts':
    'This page is not built yet: it will let you build a cohort with a condition tree across all hospitals and see disclosure-controlled counts.',
  'notBuilt.projects':
    'This page is not built yet: it will hold research projects with their members, cohorts, federated analyses and released results.',
  'notBuilt.requests':
    'This page is not built yet: it will carry data-use requests through ethics and data-owner review, with every decision on the ledger.',
  'notBuilt.panorama':
    "This page is not built yet: it will show one patient's history across hospitals to clinicians, with every view audited.",
  'notBuilt.ledger':
    "This page is not built yet: it will show the consortium ledger's blocks, validators and receipts, and verify a receipt offline.",
  'notBuilt.audit':
    'This page is not built yet: it will let auditors search every data access, request and computation with its outcome.',
  'notBuilt.admin': 'This page is not built yet: it will manage users, roles, hospitals and platform settings.',

  'notFound.title': 'Page not found',
  'notFound.subtitle': 'There is no page at this address.',
  'notFound.back': 'Back to my start page',

  'forbidden.title': 'No permission',
  'forbidden.subtitle': 'Your role ({role}) may not view this page. Ask an administrator if you need access.',

  'role.admin': 'Administrator',
  'role.researcher': 'Researcher',
  'role.clinician': 'Clinician',
  'role.steward': 'Data steward',
  'role.ethics': 'Ethics committee',
  'role.auditor': 'Auditor',
  'role.manager': 'Manager',

  'nodes.title': 'Hospital nodes',
  'nodes.up': 'Up',
  'nodes.down': 'Down',
  'nodes.total': 'Total',
  'nodes.state.up': 'up',
  'nodes.state.down': 'down',
  'nodes.stateSince': 'Since {time}',
  'nodes.chartTitle': 'Data volume per node (rows)',
  'nodes.chartLabel': 'Bar chart of the number of rows held by each hospital node',
  'nodes.rowsSeries': 'Rows',
  'nodes.live': 'Refreshed every {seconds} s · updated {time}',
  'nodes.empty': 'No hospital node has announced itself to the hub yet.',
  'nodes.refreshFailed': 'Refreshing the node list failed; retrying.',
  'nodes.loadFailed': 'The node list could not be loaded',
  'nodes.col.hospital': 'Hospital',
  'nodes.col.state': 'State',
  'nodes.col.lastSeen': 'Last seen',
  'nodes.col.versions': 'Versions',
  'nodes.col.dataVolume': 'Data volume',
  'nodes.col.address': 'Address',
  'nodes.version.meridian': 'Meridian',
  'nodes.version.node': 'Node.js',
  'nodes.version.schema': 'Schema',
  'nodes.rows': '{n} rows',
  'nodes.tables': '{n} tables',
  'nodes.moreTables': '… and {n} more',
  'nodes.never': 'never',

  'time.ago.seconds': '{n} s ago',
  'time.ago.minutes': '{n} min ago',
  'time.ago.hours': '{n} h ago',
  'time.ago.days': '{n} d ago',

  'error.code': 'Error code: {code}',
  'error.MER_AUTH_BAD_CREDENTIALS': 'Wrong username or password',
  'error.MER_AUTH_TOKEN_MISSING': 'Please log in',
  'error.MER_AUTH_TOKEN_EXPIRED': 'Your session has expired; please log in again',
  'error.MER_AUTH_TOKEN_INVALID': 'Your session is no longer valid; please log in again',
  'error.MER_AUTH_FORBIDDEN': 'Your role is not allowed to do this',
  'error.MER_AUTH_USER_DISABLED': 'This account is disabled',
  'error.MER_HTTP_VALIDATION': 'A field is missing or not allowed',
  'error.MER_HUB_UNREACHABLE': 'The platform server cannot be reached',
  'error.MER_INTERNAL': 'The server hit an unexpected error',
} as const;

/** A key of the message tables. */
export type MessageKey = keyof typeof en;

/** A full message table: exactly the keys of the English one. */
export type Messages = Record<MessageKey, string>;

/** The English text of each key, as literal types (used to type placeholders). */
export type EnglishMessages = typeof en;

const zhCN: Messages = {
  'app.title': 'Meridian 医疗数据共享平台',
  'app.shortTitle': 'Meridian',
  'app.tagline': '跨医院临床数据共享 · 数据可用不可见',
  'app.auditNotice': '本平台的所有访问均记录在审计日志中。',
  'app.loading': '加载中…',

  'lang.switch': '切换语言',
  'lang.other': 'English',

  'login.heading': '用户登录',
  'login.username': '用户名',
  'login.password': '密码',
  'login.usernameRequired': '请输入用户名',
  'login.passwordRequired': '请输入密码',
  'login.submit': '登录',
  'login.failed': '登录失败',
  'login.sessionEnded': '登录会话已结束',
  'login.with': '使用{name}登录',
  'login.or': '或',

  'header.hubUser': '区域平台',
  'header.userMenu': '账户',
  'header.logout': '退出登录',
  'header.hospital': '所属医院',
  'header.role': '角色',

  'nav.dashboard': '数据驾驶舱',
  'nav.catalog': '数据目录',
  'nav.cohorts': '队列检索',
  'nav.projects': '临床研究',
  'nav.requests': '数据申请与审批',
  'nav.panorama': '患者全景',
  'nav.ledger': '区块链账本',
  'nav.audit': '审计',
  'nav.nodes': '节点',
  'nav.admin': '系统管理',

  'notBuilt.dashboard': '此页面尚未建成：它将按医院展示数据量、数据质量、使用情况和科研产出。',
  'notBuilt.catalog': '此页面尚未建成：它将列出各医院提供的标准化数据表和字段，以及质量评分和数据血缘。',
  'notBuilt.cohorts': '此页面尚未建成：它将支持用条件树跨医院构建研究队列，并查看经过披露控制的人数统计。',
  'notBuilt.projects': '此页面尚未建成：它将管理临床研究项目及其成员、队列、联邦分析任务和已发布的结果。',
  'notBuilt.requests': '此页面尚未建成：它将承载数据使用申请的伦理审查和数据所有方审批，每项决定都记录在账本上。',
  'notBuilt.panorama': '此页面尚未建成：它将为临床医务人员展示患者在各医院的诊疗全景，每次查看都会被审计。',
  'notBuilt.ledger': '此页面尚未建成：它将展示联盟链账本的区块、验证节点和存证回执，并可离线验证回执。',
  'notBuilt.audit': '此页面尚未建成：它将供审计人员检索每一次数据访问、申请和计算及其结果。',
  'notBuilt.admin': '此页面尚未建成：它将管理用户、角色、医院和平台设置。',

  'notFound.title': '页面不存在',
  'notFound.subtitle': '此地址没有对应的页面。',
  'notFound.back': '返回我的首页',

  'forbidden.title': '无权访问',
  'forbidden.subtitle': '您的角色（{role}）无权查看此页面。如需访问，请联系系统管理员。',

  'role.admin': '系统管理员',
  'role.researcher': '医学研究人员',
  'role.clinician': '临床医务人员',
  'role.steward': '数据治理员',
  'role.ethics': '伦理审查委员',
  'role.auditor': '审计监管人员',
  'role.manager': '管理决策者',

  'nodes.title': '医院节点',
  'nodes.up': '在线',
  'nodes.down': '离线',
  'nodes.total': '合计',
  'nodes.state.up': '在线',
  'nodes.state.down': '离线',
  'nodes.stateSince': '自 {time} 起',
  'nodes.chartTitle': '各节点数据量（行）',
  'nodes.chartLabel': '各医院节点数据行数柱状图',
  'nodes.rowsSeries': '行数',
  'nodes.live': '每 {seconds} 秒自动刷新 · 更新于 {time}',
  'nodes.empty': '尚无医院节点接入区域平台。',
  'nodes.refreshFailed': '刷新节点列表失败，正在重试。',
  'nodes.loadFailed': '无法加载节点列表',
  'nodes.col.hospital': '医院',
  'nodes.col.state': '状态',
  'nodes.col.lastSeen': '最近心跳',
  'nodes.col.versions': '版本',
  'nodes.col.dataVolume': '数据量',
  'nodes.col.address': '地址',
  'nodes.version.meridian': 'Meridian',
  'nodes.version.node': 'Node.js',
  'nodes.version.schema': '数据模型',
  'nodes.rows': '{n} 行',
  'nodes.tables': '{n} 张表',
  'nodes.moreTables': '……另有 {n} 张表',
  'nodes.never': '从未',

  'time.ago.seconds': '{n} 秒前',
  'time.ago.minutes': '{n} 分钟前',
  'time.ago.hours': '{n} 小时前',
  'time.ago.days': '{n} 天前',

  'error.code': '错误代码：{code}',
  'error.MER_AUTH_BAD_CREDENTIALS': '用户名或密码错误',
  'error.MER_AUTH_TOKEN_MISSING': '请先登录',
  'error.MER_AUTH_TOKEN_EXPIRED': '登录已过期，请重新登录',
  'error.MER_AUTH_TOKEN_INVALID': '登录凭证已失效，请重新登录',
  'error.MER_AUTH_FORBIDDEN': '您的角色无权执行此操作',
  'error.MER_AUTH_USER_DISABLED': '该账户已被停用',
  'error.MER_HTTP_VALIDATION': '有字段缺失或取值不被允许',
  'error.MER_HUB_UNREACHABLE': '无法连接到平台服务器',
  'error.MER_INTERNAL': '服务器发生意外错误',
};

/** The message tables, one per language. */
export const messages: Record<Lang, Messages> = { en, 'zh-CN': zhCN };

/** Names inside `{…}` in a message, e.g. `'{n} rows'` → `'n'`. */
export type Placeholders<S extends string> = S extends `${string}{${infer P}}${infer Rest}`
  ? P | Placeholders<Rest>
  : never;

/** Fills `{name}` placeholders; a missing value leaves the placeholder visible rather than printing "undefined". */
export function interpolate(template: string, params: Readonly<Record<string, string | number>> = {}): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = params[name];
    return value === undefined ? whole : String(value);
  });
}

/** True when `lang` is one of the portal's languages. */
export function isLang(lang: unknown): lang is Lang {
  return typeof lang === 'string' && (LANGS as readonly string[]).includes(lang);
}
