/**
 * Hub task handlers for the quality engine (`quality.*`), shaped like the ingest handlers: the hub forwards a
 * steward's request to the node, the node answers with counts, rule definitions, lineage positions and
 * reports, never with record values.
 */
import { z } from 'zod';
import type { TaskHandler } from '../node/hub-channel.ts';
import { REPORT_LANGUAGES } from './report.ts';
import type { QualityService } from './service.ts';

const RunBodySchema = z.strictObject({ loadId: z.string().min(1).max(128).optional() });
const RunsQuerySchema = z.strictObject({ limit: z.coerce.number().int().min(1).max(500).optional() });
const RunIdSchema = z.string().min(1).max(100);
const ResultsQuerySchema = z.strictObject({ runId: RunIdSchema });
const ReportQuerySchema = z.strictObject({
  runId: RunIdSchema,
  format: z.enum(['json', 'html']).default('json'),
  lang: z.enum(REPORT_LANGUAGES).default('zh-CN'),
});
const SaveRuleBodySchema = z.strictObject({ rule: z.unknown(), by: z.string().min(1).max(200) });
const ThresholdBodySchema = z.strictObject({
  ruleId: z.string().min(1).max(100),
  thresholdPct: z.number().min(0).max(100),
  by: z.string().min(1).max(200).optional(),
});

/** Task handlers through which the hub serves the quality pages of the portal. */
export function qualityTaskHandlers(quality: QualityService): Record<string, TaskHandler> {
  return {
    'quality.run': async (payload) => quality.run(RunBodySchema.parse(payload ?? {})),
    'quality.runs': async (payload) => ({ runs: await quality.runs(RunsQuerySchema.parse(payload ?? {}).limit) }),
    'quality.results': async (payload) => quality.results(ResultsQuerySchema.parse(payload).runId),
    'quality.report': async (payload) => {
      const { runId, format, lang } = ReportQuerySchema.parse(payload);
      if (format === 'html') return { format, lang, html: await quality.report(runId, 'html', { lang }) };
      return { format, report: await quality.report(runId, 'json') };
    },
    'quality.rules': async () => {
      const rules = await quality.rules();
      return { rules, ruleSetVersion: quality.versionOf(rules) };
    },
    'quality.saveRule': async (payload) => {
      const { rule, by } = SaveRuleBodySchema.parse(payload);
      const saved = await quality.saveRule(rule, by);
      return {
        ruleId: saved.rule.id,
        version: saved.version,
        created: saved.created,
        ruleSetVersion: saved.ruleSetVersion,
      };
    },
    'quality.threshold': async (payload) => {
      const { ruleId, thresholdPct, by } = ThresholdBodySchema.parse(payload);
      return quality.setThreshold(ruleId, thresholdPct, by);
    },
  };
}
