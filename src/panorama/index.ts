/** The patient panorama: FHIR shaping of DWD rows, the merged timeline, the node's tasks and its ledger check. */
export {
  ACCESS_RECORD_MAX_AGE_MS,
  type AccessClaim,
  type AccessLedger,
  isAccessRecord,
  type LedgerAccessRecord,
  ledgerAccessReader,
  matchAccessRecord,
  requireAccessRecord,
} from './access.ts';
export { HOSPITAL_TAG_SYSTEM, hospitalOf, type PanoramaResource, type PersonRows, toFhirResources } from './fhir.ts';
export {
  PANORAMA_TASKS,
  type PanoramaNodeDeps,
  panoramaTaskHandlers,
  RecordsAnswerSchema,
  ResolveAnswerSchema,
} from './node.ts';
export {
  BREAK_GLASS_REASON_MAX,
  BREAK_GLASS_REASON_MIN,
  BREAK_GLASS_REASONS,
  type BreakGlassReason,
} from './reasons.ts';
export {
  ENTRY_KINDS,
  type EntryKind,
  entryOf,
  type LabSeries,
  type MergedTimeline,
  mergeTimeline,
  type TimelineEntry,
} from './timeline.ts';
