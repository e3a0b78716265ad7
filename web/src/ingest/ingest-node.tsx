/**
 * Which hospital node the stewards' pages show. A steward always sees their own hospital; an admin picks a
 * node (kept in the `?node=` query and for the tab's session, so switching pages keeps the choice). Other
 * roles have no node here: the hub refuses them, and the pages say so before asking.
 */
import { Select, Tag, Typography } from 'antd';
import { useCallback, useEffect, useMemo } from 'react';
import { useSearchParams } from 'react-router-dom';
import type { NodeInfo, NodesResponse, Role } from '../api-types.ts';
import { useFetch } from '../components/use-fetch.ts';
import { useT } from '../i18n/i18n-context.tsx';
import { useSession, useUser } from '../session/session-context.tsx';

/** Roles the ingest pages serve (the hub's INGEST_READ_ROLES). */
export const INGEST_PAGE_ROLES: ReadonlySet<Role> = new Set<Role>(['admin', 'steward']);

const NODE_STORAGE_KEY = 'meridian.ingestNode';

/** The node shown, the known nodes, and whether the user may pick another or change this one. */
export interface IngestNode {
  node: string | null;
  nodes: readonly NodeInfo[];
  setNode: (name: string) => void;
  pickable: boolean;
  canEdit: boolean;
  allowed: boolean;
}

function storedNode(): string | null {
  try {
    return window.sessionStorage.getItem(NODE_STORAGE_KEY);
  } catch {
    return null;
  }
}

/** The node the current user's ingest pages are about. */
export function useIngestNode(): IngestNode {
  const user = useUser();
  const { api } = useSession();
  const [params, setParams] = useSearchParams();
  const allowed = INGEST_PAGE_ROLES.has(user.role);
  const loadNodes = useCallback((signal: AbortSignal) => api.request<NodesResponse>('/api/nodes', { signal }), [api]);
  const { data } = useFetch(allowed ? loadNodes : null);
  const nodes = useMemo(() => data?.nodes ?? [], [data]);

  const steward = user.role === 'steward';
  const requested = params.get('node') ?? storedNode();
  const fallback = nodes.find((n) => n.state === 'up')?.name ?? nodes[0]?.name ?? null;
  const node = !allowed
    ? null
    : steward
      ? user.hospital
      : requested && (nodes.length === 0 || nodes.some((n) => n.name === requested))
        ? requested
        : fallback;

  const setNode = useCallback(
    (name: string) => {
      try {
        window.sessionStorage.setItem(NODE_STORAGE_KEY, name);
      } catch {
        // Storage blocked: the query parameter still carries the choice.
      }
      setParams(
        (prev) => {
          const next = new URLSearchParams(prev);
          next.set('node', name);
          return next;
        },
        { replace: true },
      );
    },
    [setParams],
  );

  useEffect(() => {
    if (!steward && node && params.get('node') !== node) setNode(node);
  }, [steward, node, params, setNode]);

  return { node, nodes, setNode, pickable: allowed && !steward, canEdit: steward, allowed };
}

/** The hospital a page is about: a picker for an admin, the hospital's name and state for a steward. */
export function NodeBar({ ingest }: { ingest: IngestNode }) {
  const t = useT();
  const current = ingest.nodes.find((n) => n.name === ingest.node);
  const state = current ? (
    <Tag color={current.state === 'up' ? 'success' : 'error'} style={{ margin: 0 }}>
      {t(current.state === 'up' ? 'nodes.state.up' : 'nodes.state.down')}
    </Tag>
  ) : null;
  if (ingest.pickable) {
    return (
      <div style={{ display: 'flex', alignItems: 'center', gap: 8, flexWrap: 'wrap' }}>
        <Typography.Text type="secondary">{t('ingest.node')}</Typography.Text>
        <Select
          data-testid="ingest-node-picker"
          style={{ minWidth: 320 }}
          value={ingest.node ?? undefined}
          placeholder={t('ingest.pickNode')}
          onChange={ingest.setNode}
          options={ingest.nodes.map((n) => ({
            value: n.name,
            label: `${n.displayName} (${n.name})`,
          }))}
        />
        {state}
      </div>
    );
  }
  return (
    <div style={{ display: 'flex', alignItems: 'center', gap: 8, flexWrap: 'wrap' }}>
      <Typography.Text type="secondary">{t('ingest.node')}</Typography.Text>
      <Typography.Text strong data-testid="ingest-node">
        {current?.displayName ?? ingest.node}
      </Typography.Text>
      {current ? <Typography.Text code>{current.name}</Typography.Text> : null}
      {state}
    </div>
  );
}
