/**
 * 患者全景 / Patient panorama for clinicians: search a patient by ID number at the clinician's own hospital, open
 * the record (or, without a visit there, break the glass with a reason code and a reason), and read one merged
 * timeline across hospitals — visits, diagnoses, labs with trend charts, drugs, procedures, imaging studies and
 * notes — each entry tagged with its hospital, filterable by type and hospital. Every view is recorded on the
 * consortium ledger first; the page shows each hospital's access record (transaction and block height).
 */
import { AlertOutlined, FileSearchOutlined, SafetyCertificateOutlined, SearchOutlined } from '@ant-design/icons';
import {
  Alert,
  Button,
  type ButtonProps,
  Card,
  Checkbox,
  Col,
  Descriptions,
  Empty,
  Form,
  Input,
  Modal,
  Row,
  Select,
  Space,
  Spin,
  Tag,
  Timeline,
  Tooltip,
  Typography,
} from 'antd';
import { useMemo, useState } from 'react';
import type { OpenAnswerBody, SearchAnswerBody } from '../../../src/hub/panorama/schemas.ts';
import {
  BREAK_GLASS_REASON_MAX,
  BREAK_GLASS_REASON_MIN,
  BREAK_GLASS_REASONS,
  type BreakGlassReason,
} from '../../../src/panorama/reasons.ts';
import { ENTRY_KINDS, type EntryKind, type LabSeries, type TimelineEntry } from '../../../src/panorama/timeline.ts';
import { ApiError, isApiError } from '../api.ts';
import { EChart, type EChartOption } from '../components/echart.tsx';
import { ErrorDetail, errorHeadline } from '../components/error-text.tsx';
import { NoPermission } from '../components/no-permission.tsx';
import { type Translate, useLang, useT } from '../i18n/i18n-context.tsx';
import type { Lang } from '../i18n/messages.ts';
import { useSession, useUser } from '../session/session-context.tsx';

/** Entries drawn at first; more on demand, so a long history stays responsive. */
const ENTRIES_SHOWN = 100;
/** Opening a patient records on the ledger and reads every hospital: allow more than a plain call. */
const OPEN_TIMEOUT_MS = 45_000;
/** One colour per hospital, in the order hospitals are listed. */
const HOSPITAL_COLORS = ['#1668dc', '#d4380d', '#389e0d', '#722ed1', '#c41d7f', '#d48806'];

const KIND_COLORS: Record<EntryKind, string> = {
  visit: 'blue',
  diagnosis: 'volcano',
  lab: 'cyan',
  observation: 'geekblue',
  drug: 'green',
  procedure: 'purple',
  imaging: 'magenta',
  note: 'gold',
};

const VISIT_CLASS: Record<
  string,
  'panorama.visit.outpatient' | 'panorama.visit.emergency' | 'panorama.visit.inpatient'
> = {
  AMB: 'panorama.visit.outpatient',
  EMER: 'panorama.visit.emergency',
  IMP: 'panorama.visit.inpatient',
};

function kindLabel(t: Translate, kind: EntryKind): string {
  return t(`panorama.kind.${kind}`);
}

function asApiError(e: unknown): ApiError {
  return isApiError(e) ? e : new ApiError('MER_INTERNAL', String(e), 0);
}

/** The panorama page (clinicians only). */
export function PanoramaPage() {
  const user = useUser();
  if (user.role !== 'clinician') return <NoPermission />;
  return <PanoramaContent hospital={user.hospital} />;
}

function PanoramaContent({ hospital }: { hospital: string | null }) {
  const t = useT();
  const { api } = useSession();
  const [idNumber, setIdNumber] = useState('');
  const [searching, setSearching] = useState(false);
  const [search, setSearch] = useState<SearchAnswerBody | null>(null);
  const [opening, setOpening] = useState(false);
  const [view, setView] = useState<OpenAnswerBody | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [glassOpen, setGlassOpen] = useState(false);

  const runSearch = async () => {
    setSearching(true);
    setError(null);
    setSearch(null);
    setView(null);
    try {
      setSearch(await api.request<SearchAnswerBody>('/api/panorama/search', { method: 'POST', body: { idNumber } }));
    } catch (e) {
      setError(asApiError(e));
    } finally {
      setSearching(false);
    }
  };

  const open = async (breakGlass?: { reasonCode: BreakGlassReason; reason: string }) => {
    if (!search) return;
    setOpening(true);
    setError(null);
    try {
      const body = { handle: search.handle, ...(breakGlass ? { breakGlass } : {}) };
      setView(
        await api.request<OpenAnswerBody>('/api/panorama/open', { method: 'POST', body, timeoutMs: OPEN_TIMEOUT_MS }),
      );
      setGlassOpen(false);
    } catch (e) {
      setError(asApiError(e));
    } finally {
      setOpening(false);
    }
  };

  return (
    <div style={{ display: 'flex', flexDirection: 'column', gap: 16 }} data-testid="panorama-page">
      <Card title={t('panorama.title')} extra={hospital ? <Tag color="blue">{hospital}</Tag> : null}>
        {hospital === null ? (
          <Alert type="warning" showIcon title={t('panorama.noHospital')} />
        ) : (
          <>
            <Typography.Paragraph type="secondary">{t('panorama.searchHelp', { hospital })}</Typography.Paragraph>
            <Space.Compact style={{ width: '100%', maxWidth: 560 }}>
              <Input
                data-testid="panorama-id-input"
                value={idNumber}
                onChange={(e) => setIdNumber(e.target.value)}
                onPressEnter={() => void runSearch()}
                placeholder={t('panorama.idPlaceholder')}
                maxLength={64}
                allowClear
                autoComplete="off"
              />
              <Button
                type="primary"
                icon={<SearchOutlined />}
                loading={searching}
                disabled={idNumber.trim() === ''}
                onClick={() => void runSearch()}
                data-testid="panorama-search"
              >
                {t('panorama.search')}
              </Button>
            </Space.Compact>
          </>
        )}
        {error ? (
          <Alert
            style={{ marginTop: 16 }}
            type="error"
            showIcon
            data-testid="panorama-error"
            title={errorHeadline(t, error, t('panorama.failed'))}
            description={<ErrorDetail t={t} error={error} />}
          />
        ) : null}
      </Card>

      {search && !view ? (
        <Card title={t('panorama.found.title')} data-testid="panorama-found">
          <Descriptions size="small" column={{ xs: 1, md: 3 }} bordered>
            <Descriptions.Item label={t('panorama.found.globalId')}>
              {search.globalId ?? t('panorama.found.notLinked')}
            </Descriptions.Item>
            <Descriptions.Item label={t('panorama.found.localVisits', { hospital: search.hospital })}>
              {search.localVisits}
            </Descriptions.Item>
            <Descriptions.Item label={t('panorama.found.hospitals')}>
              <Space wrap>
                {search.hospitals.map((h) => (
                  <Tag key={h.hospital} data-testid={`panorama-found-${h.hospital}`}>
                    {h.hospital}
                  </Tag>
                ))}
              </Space>
            </Descriptions.Item>
          </Descriptions>
          <div style={{ marginTop: 16 }}>
            {search.breakGlassRequired ? (
              <Space orientation="vertical" style={{ width: '100%' }}>
                <Alert
                  type="warning"
                  showIcon
                  title={t('panorama.breakGlass.required', { hospital: search.hospital })}
                />
                <Button
                  danger
                  type="primary"
                  icon={<AlertOutlined />}
                  onClick={() => setGlassOpen(true)}
                  data-testid="panorama-break-glass"
                >
                  {t('panorama.breakGlass.button')}
                </Button>
              </Space>
            ) : (
              <Space>
                <Button
                  type="primary"
                  icon={<FileSearchOutlined />}
                  loading={opening}
                  onClick={() => void open()}
                  data-testid="panorama-open"
                >
                  {t('panorama.open')}
                </Button>
                <Typography.Text type="secondary">{t('panorama.openNotice')}</Typography.Text>
              </Space>
            )}
          </div>
        </Card>
      ) : null}

      {opening && !view ? (
        <Card>
          <div style={{ textAlign: 'center', padding: 24 }}>
            <Spin />
            <Typography.Paragraph style={{ marginTop: 12 }}>{t('panorama.opening')}</Typography.Paragraph>
          </div>
        </Card>
      ) : null}

      {view ? <PatientView view={view} /> : null}

      <BreakGlassModal open={glassOpen} busy={opening} onCancel={() => setGlassOpen(false)} onConfirm={open} />
    </div>
  );
}

function BreakGlassModal({
  open,
  busy,
  onCancel,
  onConfirm,
}: {
  open: boolean;
  busy: boolean;
  onCancel: () => void;
  onConfirm: (bg: { reasonCode: BreakGlassReason; reason: string }) => Promise<void>;
}) {
  const t = useT();
  const [reasonCode, setReasonCode] = useState<BreakGlassReason | undefined>(undefined);
  const [reason, setReason] = useState('');
  const valid = reasonCode !== undefined && reason.trim().length >= BREAK_GLASS_REASON_MIN;
  return (
    <Modal
      open={open}
      title={
        <Space>
          <AlertOutlined style={{ color: '#cf1322' }} />
          {t('panorama.breakGlass.title')}
        </Space>
      }
      onCancel={onCancel}
      destroyOnHidden
      okText={t('panorama.breakGlass.confirm')}
      cancelText={t('panorama.breakGlass.cancel')}
      okButtonProps={
        { danger: true, disabled: !valid, loading: busy, 'data-testid': 'panorama-bg-confirm' } as ButtonProps
      }
      onOk={() => (reasonCode ? void onConfirm({ reasonCode, reason: reason.trim() }) : undefined)}
    >
      <Alert type="warning" showIcon title={t('panorama.breakGlass.warning')} style={{ marginBottom: 16 }} />
      <Form layout="vertical">
        <Form.Item label={t('panorama.breakGlass.reasonCode')} required>
          <Select<BreakGlassReason>
            data-testid="panorama-bg-reason"
            value={reasonCode}
            onChange={setReasonCode}
            placeholder={t('panorama.breakGlass.reasonCodePlaceholder')}
            options={BREAK_GLASS_REASONS.map((r) => ({ value: r, label: t(`panorama.reason.${r}`) }))}
          />
        </Form.Item>
        <Form.Item label={t('panorama.breakGlass.reason')} required help={t('panorama.breakGlass.reasonHelp')}>
          <Input.TextArea
            data-testid="panorama-bg-text"
            rows={3}
            maxLength={BREAK_GLASS_REASON_MAX}
            showCount
            value={reason}
            onChange={(e) => setReason(e.target.value)}
          />
        </Form.Item>
      </Form>
    </Modal>
  );
}

function PatientView({ view }: { view: OpenAnswerBody }) {
  const t = useT();
  const hospitals = view.hospitals.map((h) => h.hospital);
  const colorOf = useMemo(() => {
    const m = new Map(hospitals.map((h, i) => [h, HOSPITAL_COLORS[i % HOSPITAL_COLORS.length] as string]));
    return (h: string) => m.get(h) ?? '#8c8c8c';
  }, [hospitals]);
  const [kinds, setKinds] = useState<EntryKind[]>([...ENTRY_KINDS]);
  const [shownHospitals, setShownHospitals] = useState<string[]>(hospitals);
  const [limit, setLimit] = useState(ENTRIES_SHOWN);
  const entries = useMemo(
    () => view.timeline.entries.filter((e) => kinds.includes(e.kind) && shownHospitals.includes(e.hospital)),
    [view, kinds, shownHospitals],
  );
  const notes = useMemo(
    () => view.timeline.entries.filter((e) => e.kind === 'note' && shownHospitals.includes(e.hospital)),
    [view, shownHospitals],
  );
  const failed = view.hospitals.filter((h) => h.status === 'failed');

  return (
    <>
      <Card
        data-testid="panorama-patient"
        title={
          <Space>
            {t('panorama.patient.title')}
            {view.breakGlass ? (
              <Tag color="red" data-testid="panorama-bg-tag">
                {t('panorama.breakGlass.tag')}
              </Tag>
            ) : null}
          </Space>
        }
      >
        <Descriptions size="small" column={{ xs: 1, md: 4 }}>
          <Descriptions.Item label={t('panorama.patient.sex')}>
            {view.patient ? t(`panorama.sex.${sexKey(view.patient.gender)}`) : '—'}
          </Descriptions.Item>
          <Descriptions.Item label={t('panorama.patient.birthYear')}>
            {view.patient?.birthYear ?? '—'}
          </Descriptions.Item>
          <Descriptions.Item label={t('panorama.found.globalId')}>{view.globalId ?? '—'}</Descriptions.Item>
          <Descriptions.Item label={t('panorama.patient.entries')}>{view.timeline.entries.length}</Descriptions.Item>
        </Descriptions>
        <Typography.Title level={5} style={{ marginTop: 8 }}>
          {t('panorama.legend')}
        </Typography.Title>
        <Space wrap data-testid="panorama-legend">
          {view.hospitals.map((h) => (
            <Tag
              key={h.hospital}
              color={h.status === 'ok' ? colorOf(h.hospital) : 'default'}
              data-testid={`panorama-legend-${h.hospital}`}
            >
              {h.hospital} · {t('panorama.legendCount', { n: view.timeline.hospitals[h.hospital] ?? 0 })}
            </Tag>
          ))}
        </Space>
        <Typography.Title level={5} style={{ marginTop: 16 }}>
          <SafetyCertificateOutlined /> {t('panorama.access.title')}
        </Typography.Title>
        <Space orientation="vertical" size={2} data-testid="panorama-access">
          {view.access.map((a) => (
            <Typography.Text key={a.contentHash} type="secondary">
              {t('panorama.access.line', { hospital: a.hospital, height: a.height })}{' '}
              <Tooltip title={<span style={{ wordBreak: 'break-all' }}>{a.txHash}</span>}>
                <Typography.Text code>{a.txHash.slice(0, 16)}…</Typography.Text>
              </Tooltip>
            </Typography.Text>
          ))}
        </Space>
        {failed.length > 0 ? (
          <Alert
            style={{ marginTop: 16 }}
            type="warning"
            showIcon
            data-testid="panorama-partial"
            title={t('panorama.partial')}
            description={failed.map((h) => (
              <div key={h.hospital}>
                {h.hospital}: {h.error?.message ?? ''} ({h.error?.code ?? ''})
              </div>
            ))}
          />
        ) : null}
      </Card>

      <Card size="small">
        <Space orientation="vertical" style={{ width: '100%' }}>
          <Space wrap>
            <Typography.Text strong>{t('panorama.filter.kind')}</Typography.Text>
            <Checkbox.Group
              data-testid="panorama-filter-kind"
              value={kinds}
              onChange={(v) => setKinds(v as EntryKind[])}
              options={ENTRY_KINDS.map((k) => ({ value: k, label: kindLabel(t, k) }))}
            />
          </Space>
          <Space wrap>
            <Typography.Text strong>{t('panorama.filter.hospital')}</Typography.Text>
            <Checkbox.Group
              data-testid="panorama-filter-hospital"
              value={shownHospitals}
              onChange={(v) => setShownHospitals(v as string[])}
              options={hospitals.map((h) => ({ value: h, label: h }))}
            />
          </Space>
        </Space>
      </Card>

      <Row gutter={[16, 16]}>
        <Col xs={24} xl={14}>
          <Card title={t('panorama.timeline.title')} data-testid="panorama-timeline">
            {entries.length === 0 ? (
              <Empty description={t('panorama.timeline.empty')} />
            ) : (
              <>
                <Timeline
                  items={entries.slice(0, limit).map((e) => ({
                    key: e.id,
                    color: colorOf(e.hospital),
                    content: <EntryView entry={e} color={colorOf(e.hospital)} />,
                  }))}
                />
                {entries.length > limit ? (
                  <Button block onClick={() => setLimit((n) => n + ENTRIES_SHOWN)} data-testid="panorama-more">
                    {t('panorama.timeline.more', { n: entries.length - limit })}
                  </Button>
                ) : null}
              </>
            )}
          </Card>
        </Col>
        <Col xs={24} xl={10}>
          <Space orientation="vertical" style={{ width: '100%' }} size={16}>
            <LabTrends labs={view.timeline.labs} hospitals={shownHospitals} colorOf={colorOf} />
            <Card title={t('panorama.notes.title')} data-testid="panorama-notes">
              {notes.length === 0 ? (
                <Empty description={t('panorama.notes.empty')} />
              ) : (
                notes.slice(0, 50).map((n) => (
                  <div key={n.id} style={{ marginBottom: 12 }}>
                    <Space size={4}>
                      <Tag color={colorOf(n.hospital)}>{n.hospital}</Tag>
                      <Typography.Text strong>{n.title}</Typography.Text>
                      <Typography.Text type="secondary">{n.date.slice(0, 10)}</Typography.Text>
                    </Space>
                    <Typography.Paragraph ellipsis={{ rows: 3, expandable: true }} style={{ marginTop: 4 }}>
                      {n.text ?? ''}
                    </Typography.Paragraph>
                  </div>
                ))
              )}
            </Card>
          </Space>
        </Col>
      </Row>
    </>
  );
}

function sexKey(gender: string): 'male' | 'female' | 'unknown' {
  return gender === 'male' || gender === 'female' ? gender : 'unknown';
}

/** The entry's name in the reader's language: the standard concept's English name when reading English. */
function nameOf(x: { title: string; display?: string }, lang: Lang): string {
  return lang === 'en' && x.display ? x.display : x.title;
}

function EntryView({ entry: e, color }: { entry: TimelineEntry; color: string }) {
  const t = useT();
  const { lang } = useLang();
  const visitKey = e.kind === 'visit' ? VISIT_CLASS[e.title] : undefined;
  const title = visitKey ? t(visitKey) : nameOf(e, lang);
  return (
    <div data-testid="timeline-entry" data-hospital={e.hospital} data-kind={e.kind}>
      <Space size={6} wrap>
        <Typography.Text type="secondary">
          {e.date.slice(0, 10)}
          {e.endDate ? ` → ${e.endDate.slice(0, 10)}` : ''}
        </Typography.Text>
        <Tag color={KIND_COLORS[e.kind]}>{kindLabel(t, e.kind)}</Tag>
        <Typography.Text strong>{title}</Typography.Text>
        {e.code && e.kind !== 'visit' ? <Typography.Text code>{e.code}</Typography.Text> : null}
        {e.detail ? <Typography.Text>{e.detail}</Typography.Text> : null}
        {e.flag && e.flag !== 'N' ? (
          <Tag color={e.flag === 'principal' ? 'default' : 'red'}>
            {e.flag === 'principal' ? t('panorama.principal') : e.flag}
          </Tag>
        ) : null}
        <Tag color={color} style={{ marginInlineStart: 4 }}>
          {e.hospital}
        </Tag>
      </Space>
      {e.kind === 'note' && e.text ? (
        <Typography.Paragraph type="secondary" ellipsis={{ rows: 2, expandable: true }} style={{ margin: '4px 0 0' }}>
          {e.text}
        </Typography.Paragraph>
      ) : null}
    </div>
  );
}

function LabTrends({
  labs,
  hospitals,
  colorOf,
}: {
  labs: LabSeries[];
  hospitals: string[];
  colorOf: (h: string) => string;
}) {
  const t = useT();
  const { lang } = useLang();
  const [code, setCode] = useState<string | undefined>(
    () => [...labs].sort((a, b) => b.points.length - a.points.length)[0]?.code,
  );
  const series = labs.find((l) => l.code === code) ?? labs[0];
  const option = useMemo<EChartOption | null>(() => {
    if (!series) return null;
    const shown = hospitals.filter((h) => series.points.some((p) => p.hospital === h));
    return {
      tooltip: { trigger: 'axis' },
      legend: { data: shown, top: 0 },
      grid: { left: 48, right: 16, top: 32, bottom: 32 },
      xAxis: { type: 'time' },
      yAxis: { type: 'value', name: series.unit ?? '', scale: true },
      series: shown.map((h) => ({
        name: h,
        type: 'line' as const,
        showSymbol: true,
        itemStyle: { color: colorOf(h) },
        data: series.points.filter((p) => p.hospital === h).map((p) => [p.date, p.value]),
      })),
    };
  }, [series, hospitals, colorOf]);
  return (
    <Card
      title={t('panorama.labs.title')}
      data-testid="panorama-labs"
      extra={
        labs.length > 0 ? (
          <Select
            data-testid="panorama-lab-select"
            style={{ minWidth: 200 }}
            value={series?.code}
            onChange={setCode}
            options={labs.map((l) => ({ value: l.code, label: `${nameOf(l, lang)} (${l.points.length})` }))}
          />
        ) : null
      }
    >
      {series && option ? (
        <EChart
          option={option}
          height={260}
          ariaLabel={t('panorama.labs.aria', { test: nameOf(series, lang), n: series.points.length })}
        />
      ) : (
        <Empty description={t('panorama.labs.empty')} />
      )}
    </Card>
  );
}
