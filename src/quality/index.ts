/** The quality engine's public API: rules, templates, compilation, the service, reports and hub task handlers. */
export {
  type CompileContext,
  type CompiledRule,
  compileQuarantineSummary,
  compileRule,
  SAMPLE_ROWS_MAX,
} from './compile.ts';
export {
  buildReport,
  type QualityReport,
  QualityReportSchema,
  REPORT_LANGUAGES,
  type ReportLanguage,
} from './report.ts';
export { renderReportHtml } from './report-html.ts';
export {
  evaluate,
  type QuarantineCount,
  type RuleResult,
  type RunInfo,
  type RunResults,
  type TrendPoint,
} from './results.ts';
export {
  type Category,
  parseRule,
  parseRuleSet,
  type QualityRule,
  type QualityRuleInput,
  QualityRuleSchema,
  ruleSetVersion,
} from './rules.ts';
export { QUALITY_MIGRATIONS, type QualityDatabase } from './schema.ts';
export { QualityService, type QualityServiceOptions, type RunSummary, type SavedRule } from './service.ts';
export { qualityTaskHandlers } from './tasks.ts';
export { BUILTIN_RULE_IDS, BUILTIN_RULES } from './templates.ts';
