/**
 * One configuration schema for the hub and the hospital node. A value comes from, in increasing priority:
 * the defaults below, a JSON file (`--config`), and MERIDIAN_* environment variables (plus DATABASE_URL).
 * Unknown keys are refused, so a typo never silently falls back to a default.
 */
import { z } from 'zod';

/** An integer in [min, max] (environment values arrive as strings), with an error that says what is allowed. */
function int(min: number, max: number) {
  const allowed = `an integer from ${min} to ${max}`;
  return z.coerce
    .number({ error: allowed })
    .int({ error: allowed })
    .min(min, { error: allowed })
    .max(max, { error: allowed });
}
const port = int(0, 65535);
const host = z.string().min(1).max(253);
const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);
const identityName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'lowercase letters, digits and dashes, 2–63 characters');

/** Settings both servers share. */
const common = {
  /** Everything this process writes lives under this directory. */
  dataDir: z.string().min(1),
  /** PostgreSQL connection string; PGlite under dataDir/db when absent. */
  databaseUrl: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'a postgres:// or postgresql:// URL')
    .optional(),
  logLevel: logLevel.default('info'),
  /** Consortium CA directory and this institution's identity name in it. */
  pki: z.strictObject({ caDir: z.string().min(1), identity: identityName }),
  /** How long a graceful shutdown may take before the process exits anyway. */
  shutdownTimeoutMs: int(100, 120_000).default(10_000),
};

/** One OpenID Connect identity provider the hub offers for login (hub.oidc[]). */
export const OidcProviderConfigSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{1,31}$/, 'lowercase letters, digits and dashes, 2–32 characters'),
  displayName: z.string().min(1).max(100),
  issuer: z.url({ error: 'the issuer URL (its /.well-known/openid-configuration must answer)' }),
  clientId: z.string().min(1).max(200),
  clientSecret: z.string().min(1).max(500).optional(),
  scopes: z
    .array(z.string().regex(/^[\w.:-]+$/))
    .max(20)
    .default(['openid', 'profile']),
});

/** A configured OIDC provider. */
export type OidcProviderConfig = z.infer<typeof OidcProviderConfigSchema>;

/** The hub: portal + API for people (HTTP), and the institution port (HTTPS, mutual TLS) for nodes. */
export const HubConfigSchema = z.strictObject({
  role: z.literal('hub'),
  ...common,
  hub: z
    .strictObject({
      host: host.default('127.0.0.1'),
      /** Portal and user API. */
      port: port.default(8080),
      /** Institution port: nodes' task channel, mutual TLS 1.3 only. */
      peerPort: port.default(8443),
      /** Directory of the built portal (web/dist). */
      portalDir: z.string().min(1).optional(),
      /** Lifetime of a login session token. */
      sessionTtlSec: int(60, 86_400).default(900),
      /** A node is `down` when nothing was heard from it for this long. */
      nodeDownAfterMs: int(1_000, 600_000).default(5_000),
      /** Longest a node's task poll is held open. */
      pollHoldMs: int(100, 60_000).default(20_000),
      /** Address browsers reach the portal at (for login redirects); taken from the request when absent. */
      publicUrl: z.url().optional(),
      /** OpenID Connect providers offered on the login page, besides local passwords. */
      oidc: z.array(OidcProviderConfigSchema).max(10).default([]),
      /** How often the hub links the nodes' identity tokens into the master patient index (0: only on request). */
      linkageSweepMs: int(0, 86_400_000).default(600_000),
      /**
       * The consortium ledger the hub authorizes federated tasks on (absent: no federated analysis is offered).
       * The hub signs as its identity (pki), which the ledger's genesis lists as the `hub` institution.
       */
      ledger: z
        .strictObject({
          /** The ledger config file the validators run. */
          configFile: z.string().min(1),
        })
        .optional(),
      /**
       * Rate limit of federated analyses per researcher against averaging attacks: at most `repeatsMax` of the
       * same or a near-identical analysis, and `distinctMax` different ones, in any sliding `windowMs`.
       */
      queryLimit: z
        .strictObject({
          repeatsMax: int(1, 1_000).default(3),
          windowMs: int(1_000, 30 * 86_400_000).default(86_400_000),
          distinctMax: int(1, 10_000).default(500),
        })
        .prefault({}),
    })
    .prefault({}),
});

/** A hospital node: keeps the data at home, opens the task channel to the hub itself. */
export const NodeConfigSchema = z.strictObject({
  role: z.literal('node'),
  ...common,
  node: z.strictObject({
    /** Node name; must equal the identity name in its certificate. */
    name: identityName,
    /** Human-readable hospital name shown in the portal. */
    displayName: z.string().min(1).max(200),
    host: host.default('127.0.0.1'),
    /** Peer port (HTTPS, mutual TLS 1.3) for node ↔ node and health. */
    port: port.default(9443),
    /** The hub's institution port, e.g. https://127.0.0.1:8443. */
    hubUrl: z.url({ protocol: /^https$/, error: 'an https:// URL (the hub institution port, mutual TLS)' }),
    /** How often the node tells the hub it is alive (also its channel poll cadence when idle). */
    heartbeatMs: int(200, 60_000).default(2_000),
    /** Live HL7 v2 feed: MLLP listener port (absent: no listener). */
    mllpPort: port.optional(),
    /** Source profile the MLLP feed's messages are loaded under (default: the node's only profile). */
    mllpSource: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'a source name')
      .optional(),
    /** Messages per feed file before it is loaded; a file is also loaded after `mllpFlushMs` of quiet. */
    mllpBatchMessages: int(1, 1_000_000).default(1_000),
    mllpFlushMs: int(100, 3_600_000).default(5_000),
    /**
     * The consortium's record-linkage key (32+ random bytes, mode 0600), the same at every hospital and never at
     * the hub; default `<dataDir>/keys/linkage.key` when that file exists. Without one the node takes no part
     * in linkage.
     */
    linkageKeyFile: z.string().min(1).optional(),
    /**
     * The key-encryption key of the fields encrypted at rest (32 bytes, mode 0600); default `<dataDir>/keys/kek.key`,
     * created with the keyring on a node's first start. Keep a copy apart from the data: without it nothing opens.
     */
    keyFile: z.string().min(1).optional(),
    /**
     * The consortium ledger this node notarizes its loads on (absent: the local notary log only). The node signs
     * with its identity's signing key (pki) and must be listed in the ledger config.
     */
    ledger: z
      .strictObject({
        /** The ledger config file the validators run (chain id, validators' addresses and keys, institutions). */
        configFile: z.string().min(1),
        /** The validator asked first for receipts, usually the institution's own (default: the first listed). */
        prefer: identityName.optional(),
        /** Longest a load waits for its notarization to be committed before it fails (and can be run again). */
        timeoutMs: int(1_000, 600_000).default(15_000),
      })
      .optional(),
    /** Federated analyses this node runs (only with `ledger`: every task is checked against its authorization). */
    federation: z
      .strictObject({
        /** The consortium's minimum cell size: a count below it never leaves the node. */
        minCell: int(1, 1_000).default(5),
        /** Analysis kinds that run without the data steward's approval. */
        autoApprove: z
          .array(z.enum(['count', 'descriptive', 'km', 'glm', 'cox', 'fedavg']))
          .max(6)
          .default(['count', 'descriptive', 'km', 'glm', 'cox']),
        /**
         * How counts leave the node (a consortium option): `suppress` releases exact counts and withholds those
         * under minCell; `obfuscate` releases SHRINE-style noisy counts rounded to 5, "10 or fewer" below.
         */
        countRelease: z.enum(['suppress', 'obfuscate']).default('suppress'),
      })
      .prefault({}),
  }),
});

/** Either server's configuration. */
export const ConfigSchema = z.discriminatedUnion('role', [HubConfigSchema, NodeConfigSchema]);

/** A validated hub configuration. */
export type HubConfig = z.infer<typeof HubConfigSchema>;
/** A validated node configuration. */
export type NodeConfig = z.infer<typeof NodeConfigSchema>;
/** A validated configuration of either role. */
export type Config = z.infer<typeof ConfigSchema>;

/** Environment variables and the config path each one sets; any other MERIDIAN_* variable is refused. */
export const ENV_KEYS: Record<string, readonly string[]> = {
  MERIDIAN_DATA: ['dataDir'],
  DATABASE_URL: ['databaseUrl'],
  MERIDIAN_LOG_LEVEL: ['logLevel'],
  MERIDIAN_CA_DIR: ['pki', 'caDir'],
  MERIDIAN_IDENTITY: ['pki', 'identity'],
  MERIDIAN_SHUTDOWN_TIMEOUT_MS: ['shutdownTimeoutMs'],
  MERIDIAN_HUB_HOST: ['hub', 'host'],
  MERIDIAN_HUB_PORT: ['hub', 'port'],
  MERIDIAN_HUB_PEER_PORT: ['hub', 'peerPort'],
  MERIDIAN_HUB_PORTAL_DIR: ['hub', 'portalDir'],
  MERIDIAN_HUB_SESSION_TTL_SEC: ['hub', 'sessionTtlSec'],
  MERIDIAN_HUB_NODE_DOWN_AFTER_MS: ['hub', 'nodeDownAfterMs'],
  MERIDIAN_HUB_LINKAGE_SWEEP_MS: ['hub', 'linkageSweepMs'],
  MERIDIAN_NODE_NAME: ['node', 'name'],
  MERIDIAN_NODE_DISPLAY_NAME: ['node', 'displayName'],
  MERIDIAN_NODE_HOST: ['node', 'host'],
  MERIDIAN_NODE_PORT: ['node', 'port'],
  MERIDIAN_NODE_HUB_URL: ['node', 'hubUrl'],
  MERIDIAN_NODE_HEARTBEAT_MS: ['node', 'heartbeatMs'],
  MERIDIAN_NODE_MLLP_PORT: ['node', 'mllpPort'],
  MERIDIAN_NODE_MLLP_SOURCE: ['node', 'mllpSource'],
  MERIDIAN_NODE_LINKAGE_KEY_FILE: ['node', 'linkageKeyFile'],
  MERIDIAN_NODE_KEY_FILE: ['node', 'keyFile'],
};

/** MERIDIAN_* variables that belong to tools around the servers (CLI, tests), not to a server's config. */
export const ENV_IGNORED = new Set(['MERIDIAN_HOME', 'MERIDIAN_TEST_DATABASE_URL', 'MERIDIAN_CONFIG']);
