/** The analysis pieces the project page mounts: the form (run an analysis) and the result (plots, tables, exports). */
export { AnalysisForm, type AnalysisFormProps } from './analysis-form.tsx';
export { AnalysisResult, type AnalysisResultProps } from './analysis-result.tsx';
export {
  ANALYSIS_KINDS,
  type AnalysisDraft,
  analysisProblems,
  buildAnalysisBody,
  defaultDraft,
  runBody,
} from './body.ts';
export { toCsv } from './csv.ts';
export { LedgerTrailView } from './ledger-trail.tsx';
export { type AnalysisRowLike, resultCsvRows, toAnalysisRecord } from './result-data.ts';
