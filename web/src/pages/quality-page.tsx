/**
 * Data quality (数据质量): the consortium view (every hospital's score per Kahn category) and one hospital's
 * view (runs, trend, worst rules, thresholds, failing rows for its own steward). Every signed-in role sees
 * scores and counts; the view and hospital are kept in the query (`?view=node&node=…`), so a link shares them.
 * A steward starts on their own hospital, everyone else on the consortium.
 */
import { ApartmentOutlined, BankOutlined } from '@ant-design/icons';
import { Segmented, Typography } from 'antd';
import { useCallback } from 'react';
import { useSearchParams } from 'react-router-dom';
import type { QualityOverviewResponse } from '../api-types.ts';
import { useFetch } from '../components/use-fetch.ts';
import { useT } from '../i18n/i18n-context.tsx';
import { ConsortiumView } from '../quality/consortium-view.tsx';
import { NodeView } from '../quality/node-view.tsx';
import { useSession, useUser } from '../session/session-context.tsx';

type View = 'consortium' | 'node';

/** The data quality page. */
export function QualityPage() {
  const t = useT();
  const user = useUser();
  const { api } = useSession();
  const [params, setParams] = useSearchParams();
  const loadOverview = useCallback(
    (signal: AbortSignal) => api.request<QualityOverviewResponse>('/api/quality/overview', { signal }),
    [api],
  );
  const overview = useFetch(loadOverview);
  const nodes = overview.data?.nodes ?? [];

  const requested = params.get('view');
  const view: View =
    requested === 'node' || requested === 'consortium' ? requested : user.hospital ? 'node' : 'consortium';
  const node =
    params.get('node') ?? user.hospital ?? nodes.find((n) => n.state === 'ok')?.node ?? nodes[0]?.node ?? null;
  const steward = user.role === 'steward' && user.hospital === node;

  const show = useCallback(
    (next: { view: View; node?: string }) =>
      setParams(
        (prev) => {
          const q = new URLSearchParams(prev);
          q.set('view', next.view);
          if (next.node) q.set('node', next.node);
          return q;
        },
        { replace: true },
      ),
    [setParams],
  );
  const openNode = useCallback((name: string) => show({ view: 'node', node: name }), [show]);

  return (
    <div data-testid="quality-page" style={{ display: 'flex', flexDirection: 'column', gap: 16 }}>
      <div
        style={{ display: 'flex', alignItems: 'center', justifyContent: 'space-between', gap: 16, flexWrap: 'wrap' }}
      >
        <Segmented<View>
          data-testid="quality-view"
          value={view}
          onChange={(v) => show({ view: v, ...(node ? { node } : {}) })}
          options={[
            { value: 'consortium', icon: <ApartmentOutlined />, label: t('quality.view.consortium') },
            { value: 'node', icon: <BankOutlined />, label: t('quality.view.node') },
          ]}
        />
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {t('quality.kahn')}
        </Typography.Text>
      </div>
      {view === 'consortium' ? (
        <ConsortiumView data={overview.data} error={overview.error} loading={overview.loading} onOpen={openNode} />
      ) : node ? (
        <NodeView key={node} node={node} nodes={nodes} onNode={openNode} steward={steward} />
      ) : null}
    </div>
  );
}
