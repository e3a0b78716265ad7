/**
 * Shapes of the hub API bodies the portal reads, taken from the hub's own types (type-only imports, so the
 * browser bundle carries none of the server code).
 */
import type { Role as HubRole } from '../../src/hub/auth/role-names.ts';
import type { PublicUser } from '../../src/hub/auth/users.ts';
import type { SweepSummary } from '../../src/hub/identity/sweep.ts';
import type { NodeView } from '../../src/hub/nodes/node-tracker.ts';
import type { consortiumView } from '../../src/hub/nodes/routes.ts';
import type { IdentityEventTable } from '../../src/identity/schema.ts';
import type { IndexStats, ReviewItem } from '../../src/identity/service.ts';

/** One of the portal roles (the hub's own type). */
export type Role = HubRole;

/** The signed-in user as the hub describes them; `hospital` is a node name, or null for hub-level users. */
export type User = PublicUser;

/** Body of `POST /api/auth/login` on success. */
export interface LoginResponse {
  token: string;
  expiresAt: string;
  user: User;
}

/** Body of `GET /api/auth/me`. */
export interface MeResponse {
  user: User;
}

/** One hospital node as the hub sees it (the hub's own type, so the two cannot drift). */
export type NodeInfo = NodeView;

/** Body of `GET /api/nodes`. */
export type NodesResponse = ReturnType<typeof consortiumView>;

/** Bodies of the master patient index API (the hub's own types; record ids, tokens' counts and levels only). */
export type { SweepNodeResult, SweepSummary } from '../../src/hub/identity/sweep.ts';
/** Bodies of the stewards' ingest API (the hub's own Zod-inferred types). */
export type {
  CodesBody,
  CodesResponse,
  FileSummaryView,
  LineageView,
  LoadRow,
  LoadSummaryView,
  LoadsResponse,
  LoadTotals,
  QuarantineResponse,
  QuarantineRow,
  RerunResponse,
  SpecsResponse,
  Suggestion,
  UnmappedResponse,
  UnmappedRow,
} from '../../src/hub/ingest/schemas.ts';
/** Bodies of the quality dashboard's API (the hub's own Zod-inferred types). */
export type {
  CategoryOutcome,
  CategoryTrendPoint,
  Outcome,
  OverviewNode,
  OverviewState,
  QualityOverviewResponse,
  QualityRulesResponse,
  QualityRun,
  QualityRunsResponse,
  QualityTrendResponse,
  ReportResponse,
  RuleResultView,
  RunResultsResponse,
  RunSummaryView,
  SampleResponse,
  ThresholdBody,
  ThresholdResponse,
} from '../../src/hub/quality/schemas.ts';
export type { IndexStats, ReviewItem } from '../../src/identity/service.ts';

/** Body of `GET /api/identity/summary`. */
export type IdentitySummary = IndexStats & { lastSweep: SweepSummary | null };

/** Body of `GET /api/identity/reviews`. */
export interface IdentityReviewsResponse {
  reviews: ReviewItem[];
}

/** One merge, split or review decision of the index, as JSON carries it. */
export interface IdentityEvent {
  seq: number;
  at: string;
  kind: IdentityEventTable['kind'];
  global_id: string;
  other_global_id: string | null;
  record_id: string | null;
  actor: string;
  batch_id: string | null;
  detail: Record<string, unknown>;
}

/** Body of `GET /api/identity/events`. */
export interface IdentityEventsResponse {
  events: IdentityEvent[];
}

/** Bodies of the ledger explorer's routes (`/api/ledger/…`), the hub's own Zod-inferred types. */
export type {
  BlockDetail,
  BlockList,
  BlockSummary,
  TrustedSet,
  TxHit,
  TxSearch,
  TxSummary,
  ValidatorRow,
  ValidatorStatusList,
} from '../../src/hub/ledger/schemas.ts';
/** Body of `GET /api/privacy/:node/preview` and the rule of a field (the node's own Zod-inferred types). */
export type { FieldRule } from '../../src/privacy/spec.ts';
export type { PrivacyPreview } from '../../src/privacy/tasks.ts';
