/** The research workflow's answer bodies, as the hub's own modules type them (type-only imports). */
import type { RequestView } from '../../../src/hub/projects/routes.ts';
import type {
  AnalysisRow,
  ProjectDocument,
  ProjectMember,
  ProjectSummary,
  RequestEvent,
  SavedCohort,
  TimelineEntry,
} from '../../../src/hub/projects/store.ts';

export type { AnalysisRow, ProjectDocument, ProjectMember, ProjectSummary, RequestEvent, RequestView, TimelineEntry };

/** A hospital a request may name, with its live state. */
export interface HospitalOption {
  name: string;
  displayName: string;
  state: 'up' | 'down';
}

/** Body of `GET /api/projects`. */
export interface ProjectList {
  projects: ProjectSummary[];
}

/** Body of `GET /api/projects/:projectId`. */
export interface ProjectFull {
  project: ProjectSummary;
  members: ProjectMember[];
  documents: ProjectDocument[];
  cohorts: SavedCohort[];
  requests: RequestView[];
  analyses: AnalysisRow[];
  timeline: TimelineEntry[];
  hospitals: HospitalOption[];
}

/** Body of `GET /api/requests`. */
export interface RequestList {
  requests: RequestView[];
}

/** Body of `GET /api/requests/:requestId`. */
export interface RequestFull {
  request: RequestView;
  cohort: SavedCohort;
  events: RequestEvent[];
  project: ProjectSummary;
}

/** Purposes a data-use request may state (ledger codes). */
export const REQUEST_PURPOSES = ['research', 'quality-improvement', 'public-health', 'teaching'] as const;

/** Analysis kinds a request may name. */
export const REQUEST_KINDS = ['count', 'descriptive', 'km', 'cox', 'glm', 'fedavg'] as const;

/** The color of a request status tag. */
export const STATUS_COLOR: Record<RequestView['status'], string> = {
  pending: 'processing',
  approved: 'success',
  refused: 'error',
  expired: 'default',
  unknown: 'warning',
};
