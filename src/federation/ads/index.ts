/** The node's analysis layer (ADS): DWD re-laid in DuckDB tables for fast cohort queries, rebuilt after each load. */
export {
  ADS_THREADS_MAX,
  type AdsSnapshot,
  type AnalysisLayer,
  type AnalysisLayerOptions,
  openAnalysisLayer,
  PERFECT_HASH_BITS_MAX,
  type RefreshResult,
} from './analysis-layer.ts';
export { type CodeDictionary, type IdRange, idRanges } from './dictionary.ts';
export { ADS_EVENT_TABLES, type AdsEventTable } from './layout.ts';
export { adsCohortSource, type GenerationInfo } from './source.ts';
