/**
 * The panorama handlers of a running node, wired to its stores, its linkage key and its own ledger replica.
 * A node without a linkage key or without a ledger serves no panorama: it could neither name the patient's
 * token nor check an access record, and the hub then reports that hospital as unavailable.
 */
import type { TlsMaterial } from '../ca/index.ts';
import type { NodeConfig } from '../config/schema.ts';
import type { LinkageKey } from '../identity/tokens.ts';
import { LedgerClient, readLedgerConfig } from '../ledger/host/index.ts';
import type { TaskHandler } from '../node/hub-channel.ts';
import type { FieldCrypto } from '../privacy/field-crypto.ts';
import type { Lake } from '../store/index.ts';
import { ledgerAccessReader } from './access.ts';
import { panoramaTaskHandlers } from './node.ts';

/** The `panorama.*` handlers and what to close when the node stops, or undefined without a key or a ledger. */
export function nodePanorama(opts: {
  config: NodeConfig;
  tls: TlsMaterial;
  lake: Pick<Lake, 'query' | 'tables'>;
  crypto: Pick<FieldCrypto, 'blindIndex' | 'decrypt' | 'decryptRow'>;
  key: LinkageKey | null;
}): { handlers: Record<string, TaskHandler>; close(): void } | undefined {
  const ledger = opts.config.node.ledger;
  if (ledger === undefined || opts.key === null) return undefined;
  const ledgerConfig = readLedgerConfig(ledger.configFile);
  const client = new LedgerClient({ config: ledgerConfig, tls: opts.tls });
  const validators = ledgerConfig.validators.map((v) => v.name);
  const name = opts.config.node.name;
  const prefer = ledger.prefer ?? (validators.includes(name) ? name : (validators[0] as string));
  const handlers = panoramaTaskHandlers({
    lake: opts.lake,
    crypto: opts.crypto,
    key: opts.key,
    hospital: name,
    ledger: ledgerAccessReader({ client, prefer, order: validators }),
  });
  return { handlers, close: () => client.close() };
}
