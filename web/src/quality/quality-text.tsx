/** Small shared pieces of the quality dashboard: score, outcome, severity and category tags in the current language. */
import { Progress, Tag, Typography } from 'antd';
import type { OverviewState, RuleResultView } from '../api-types.ts';
import type { Translate } from '../i18n/i18n-context.tsx';
import { type CategoryKey, pctText, scoreColor } from './quality-helpers.ts';

/** A score as a large coloured number, or a dash when nothing was checked. */
export function ScoreText({ score, size = 24 }: { score: number | null; size?: number }) {
  return (
    <span style={{ color: scoreColor(score), fontSize: size, fontWeight: 600, fontVariantNumeric: 'tabular-nums' }}>
      {pctText(score)}
    </span>
  );
}

/** A score as a thin bar with its number, for table cells. */
export function ScoreBar({ score }: { score: number | null }) {
  if (score === null) return <Typography.Text type="secondary">—</Typography.Text>;
  return (
    <div style={{ display: 'flex', alignItems: 'center', gap: 8, minWidth: 120 }}>
      <Progress
        percent={score}
        showInfo={false}
        size="small"
        strokeColor={scoreColor(score)}
        style={{ flex: 1, margin: 0 }}
      />
      <span style={{ color: scoreColor(score), fontWeight: 600, minWidth: 44, textAlign: 'right' }}>
        {pctText(score)}
      </span>
    </div>
  );
}

/** A rule's outcome under the threshold in force: pass, fail, not applicable, or could not run. */
export function OutcomeTag({ t, result }: { t: Translate; result: Pick<RuleResultView, 'status' | 'passed'> }) {
  if (result.status === 'error') return <Tag color="magenta">{t('quality.outcome.error')}</Tag>;
  if (result.passed === null) return <Tag>{t('quality.outcome.na')}</Tag>;
  return result.passed ? (
    <Tag color="success">{t('quality.outcome.pass')}</Tag>
  ) : (
    <Tag color="error">{t('quality.outcome.fail')}</Tag>
  );
}

/** A severity tag: error red, warning orange, info blue. */
export function SeverityTag({ t, severity }: { t: Translate; severity: RuleResultView['severity'] }) {
  const color = { error: 'red', warning: 'orange', info: 'blue' }[severity];
  return (
    <Tag color={color} bordered={false}>
      {t(`quality.severity.${severity}`)}
    </Tag>
  );
}

/** A category with its subcategory, e.g. "Conformance · unit". */
export function CategoryText({
  t,
  category,
  subcategory,
}: {
  t: Translate;
  category: CategoryKey;
  subcategory: RuleResultView['subcategory'];
}) {
  return (
    <div style={{ whiteSpace: 'nowrap' }}>
      <Typography.Text>{t(`quality.category.${category}`)}</Typography.Text>
      <div>
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {t(`quality.sub.${subcategory}`)}
        </Typography.Text>
      </div>
    </div>
  );
}

/** How a node stands in the overview, as a tag. */
export function NodeStateTag({ t, state }: { t: Translate; state: OverviewState }) {
  const color = { ok: 'success', 'no-run': 'default', down: 'error', unavailable: 'warning', failed: 'error' }[state];
  return (
    <Tag color={color} style={{ marginInlineEnd: 0 }}>
      {t(`quality.state.${state}`)}
    </Tag>
  );
}
