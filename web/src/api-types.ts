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

/** The federation's answer bodies (the hub's own Zod schemas, inferred: the portal reads exactly what is sent). */
import type { z } from 'zod';
import type { CohortDefinition as FederationCohortDefinition } from '../../src/federation/cohort/schema.ts';
import type {
  CountAnswerSchema,
  CoxAnswerSchema,
  DescriptiveAnswerSchema,
  FedAvgAnswerSchema,
  GlmAnswerSchema,
  KmAnswerSchema,
  LedgerTrailSchema,
} from '../../src/hub/federation/routes.ts';
import type {
  ProjectSummary as HubProjectSummary,
  SavedCohort as HubSavedCohort,
} from '../../src/hub/projects/store.ts';

/** A cohort definition: the federation's JSON condition tree. */
export type CohortDefinition = FederationCohortDefinition;
/** Body of `POST /api/federation/count` and `POST /api/cohorts/count`. */
export type CountAnswer = z.infer<typeof CountAnswerSchema>;
/** Body of `POST /api/federation/glm`. */
export type GlmAnswer = z.infer<typeof GlmAnswerSchema>;
/** Body of `POST /api/federation/km`. */
export type KmAnswer = z.infer<typeof KmAnswerSchema>;
/** Body of `POST /api/federation/cox`. */
export type CoxAnswer = z.infer<typeof CoxAnswerSchema>;
/** Body of `POST /api/federation/descriptive`. */
export type DescriptiveAnswer = z.infer<typeof DescriptiveAnswerSchema>;
/** Body of `POST /api/federation/fedavg`. */
export type FedAvgAnswer = z.infer<typeof FedAvgAnswerSchema>;
/** A task's receipts and release on the ledger. */
export type LedgerTrail = z.infer<typeof LedgerTrailSchema>;

/** The analyses a project runs on a saved cohort. */
export type AnalysisKind = 'descriptive' | 'km' | 'cox' | 'glm' | 'fedavg';

/** One project as `GET /api/projects` lists it (the hub's own type). */
export type ProjectSummary = HubProjectSummary;

/** Body of `GET /api/projects`. */
export interface ProjectsResponse {
  projects: ProjectSummary[];
}

/** A cohort saved in a project (the hub's own type; its definition was validated when saved). */
export type SavedCohort = HubSavedCohort;

/** A data-use request of a project, as the project page lists it (the fields the analysis form reads). */
export interface ProjectRequest {
  requestId: string;
  status: string;
  analysisKinds: string[];
  hospitals: string[];
  cohortId: string | null;
  purpose?: string;
}

/** The answer of each analysis kind. */
export interface AnalysisAnswers {
  descriptive: DescriptiveAnswer;
  km: KmAnswer;
  cox: CoxAnswer;
  glm: GlmAnswer;
  fedavg: FedAvgAnswer;
}

/** Fields every analysis record carries, whatever its kind. */
interface AnalysisRecordBase {
  analysisId: string;
  cohortId: string;
  requestId: string;
  status: 'done' | 'failed';
  error?: { code: string; message: string } | null;
  /** The hospitals asked and the variables and parameters sent (records read back from the project). */
  hospitals?: string[];
  body?: { variables?: unknown[]; parameters?: Record<string, unknown> };
  createdBy: string;
  createdAt: string;
}

/** One analysis run in a project: its kind, and the federation's answer (done) or the error (failed). */
export type AnalysisRecord = {
  [K in AnalysisKind]: AnalysisRecordBase & { kind: K; result?: AnalysisAnswers[K] | null };
}[AnalysisKind];

/** Body of `GET /api/projects/:projectId` (the parts the cohort and analysis pages read). */
export interface ProjectDetail {
  project: ProjectSummary;
  members: unknown[];
  documents: unknown[];
  cohorts: SavedCohort[];
  requests: ProjectRequest[];
  analyses: AnalysisRecord[];
  timeline: unknown[];
}

/** Body of `POST /api/projects/:projectId/cohorts`. */
export interface SaveCohortResponse {
  cohort: SavedCohort;
}

/** Body of `POST /api/projects/:projectId/analyses`. */
export interface RunAnalysisResponse {
  analysis: AnalysisRecord;
}

/** One concept of a cohort vocabulary, with its Chinese and English names (and a lab's standard unit). */
export interface Concept {
  vocabulary: 'ICD-10' | 'ICD-9-CM-3' | 'LOINC' | 'ATC';
  code: string;
  zh: string;
  en: string;
  synonyms?: string[];
  unit?: string;
}

/** Body of `GET /api/federation/concepts`. */
export interface ConceptSearchResponse {
  hits: (Concept & { score: number })[];
}

/** Body of `POST /api/federation/concepts/lookup`. */
export interface ConceptLookupResponse {
  known: (Concept & { input: string })[];
  unknown: string[];
}
