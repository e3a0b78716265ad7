/**
 * The analysis variables of a run (src/federation/dataset README): one row per variable — its column name, its
 * kind and the kind's fields (codes with name search, value pick, window around the index date, unit, survival
 * event and censoring). Each hospital builds the same analysis table from them; only aggregates leave.
 */
import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { Button, Dropdown, Input, InputNumber, Segmented, Select, Switch, Typography } from 'antd';
import type { AnalysisVariable } from '../../../src/federation/dataset/schema.ts';
import { CodePicker, CodesPicker } from '../cohort/code-picker.tsx';
import { Field } from '../cohort/criterion-fields.tsx';
import { useT } from '../i18n/i18n-context.tsx';
import { freshVariableName, newVariable, VARIABLE_KINDS } from './body.ts';

const VALUE_PICKS = ['first', 'last', 'nearest', 'min', 'max', 'mean'] as const;

type Window = { start?: number; end?: number };

const num = (v: number | string | null | undefined): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) ? v : undefined;

/** Days around the index date; an empty end is unbounded. */
function WindowFields({ value, onChange }: { value: Window | undefined; onChange: (w: Window | undefined) => void }) {
  const t = useT();
  const set = (key: 'start' | 'end', v: number | undefined) => {
    const next: Window = { ...(value ?? {}) };
    if (v === undefined) delete next[key];
    else next[key] = v;
    onChange(next.start === undefined && next.end === undefined ? undefined : next);
  };
  return (
    <Field label={t('analysis.var.window')}>
      <InputNumber
        precision={0}
        style={{ width: 90 }}
        placeholder={t('analysis.var.unbounded')}
        value={value?.start ?? null}
        onChange={(v) => set('start', num(v))}
      />
      <Typography.Text type="secondary">–</Typography.Text>
      <InputNumber
        precision={0}
        style={{ width: 90 }}
        placeholder={t('analysis.var.unbounded')}
        value={value?.end ?? null}
        onChange={(v) => set('end', num(v))}
      />
    </Field>
  );
}

function withWindow<V extends AnalysisVariable & { window?: Window }>(v: V, w: Window | undefined): V {
  const { window: _old, ...rest } = v;
  return (w === undefined ? rest : { ...rest, window: w }) as V;
}

function KindFields({ value: v, onChange }: { value: AnalysisVariable; onChange: (v: AnalysisVariable) => void }) {
  const t = useT();
  switch (v.kind) {
    case 'age':
      return (
        <Field label={t('analysis.var.ageAt')}>
          <Typography.Text>{v.at && v.at !== 'index' ? v.at : t('cohort.age.atIndex')}</Typography.Text>
        </Field>
      );
    case 'sex':
      return (
        <Field label={t('analysis.var.sexLevel')}>
          <Select<string>
            style={{ width: 200 }}
            value={v.level ?? ''}
            onChange={(level) => {
              const { level: _l, ...rest } = v;
              onChange(level === '' ? rest : { ...rest, level: level as 'M' | 'F' | 'U' });
            }}
            options={[
              { value: '', label: t('analysis.var.sexCategorical') },
              { value: 'F', label: t('analysis.var.sexIs', { sex: t('cohort.sex.F') }) },
              { value: 'M', label: t('analysis.var.sexIs', { sex: t('cohort.sex.M') }) },
            ]}
          />
        </Field>
      );
    case 'measurement':
      return (
        <>
          <Field label={t('cohort.codes.lab')} grow>
            <CodePicker vocabulary="LOINC" value={v.code} onChange={(code) => onChange({ ...v, code })} />
          </Field>
          <Field label={t('analysis.var.pick')}>
            <Select
              style={{ width: 120 }}
              value={v.value}
              onChange={(value) => onChange({ ...v, value })}
              options={VALUE_PICKS.map((p) => ({ value: p, label: t(`analysis.pick.${p}`) }))}
            />
          </Field>
          <WindowFields value={v.window} onChange={(w) => onChange(withWindow(v, w))} />
          <Field label={t('cohort.field.unit')}>
            <Input
              style={{ width: 90 }}
              value={v.unit ?? ''}
              onChange={(e) => {
                const { unit: _u, ...rest } = v;
                onChange(e.target.value === '' ? rest : { ...rest, unit: e.target.value });
              }}
            />
          </Field>
        </>
      );
    case 'condition':
      return (
        <>
          <Field label={t('cohort.codes.diagnosis')} grow>
            <CodesPicker vocabulary="ICD-10" value={v.codes} onChange={(codes) => onChange({ ...v, codes })} />
          </Field>
          <Field label={t('cohort.field.descendants')}>
            <Switch checked={v.descendants === true} onChange={(on) => onChange({ ...v, descendants: on })} />
          </Field>
          <Field label={t('analysis.var.conditionValue')}>
            <Select
              style={{ width: 150 }}
              value={v.value ?? 'indicator'}
              onChange={(value) => onChange({ ...v, value })}
              options={[
                { value: 'indicator', label: t('analysis.var.indicator') },
                { value: 'first_day', label: t('analysis.var.firstDay') },
              ]}
            />
          </Field>
          <WindowFields value={v.window} onChange={(w) => onChange(withWindow(v, w))} />
        </>
      );
    case 'drug':
      return (
        <>
          <Field label={t('cohort.codes.drug')} grow>
            <CodesPicker vocabulary="ATC" value={v.codes} onChange={(codes) => onChange({ ...v, codes })} />
          </Field>
          <WindowFields value={v.window} onChange={(w) => onChange(withWindow(v, w))} />
        </>
      );
    case 'procedure':
      return (
        <>
          <Field label={t('cohort.codes.procedure')} grow>
            <CodesPicker vocabulary="ICD-9-CM-3" value={v.codes} onChange={(codes) => onChange({ ...v, codes })} />
          </Field>
          <WindowFields value={v.window} onChange={(w) => onChange(withWindow(v, w))} />
        </>
      );
    case 'observation':
      return (
        <>
          <Field label={t('cohort.codes.observation')} grow>
            <CodePicker vocabulary="LOINC" value={v.code} onChange={(code) => onChange({ ...v, code })} />
          </Field>
          <Field label={t('analysis.var.pick')}>
            <Select
              style={{ width: 140 }}
              value={v.value}
              onChange={(value) => {
                const { text: _t, ...rest } = v;
                onChange(value === 'indicator' ? { ...rest, value, text: v.text ?? [] } : { ...rest, value });
              }}
              options={[...VALUE_PICKS, 'indicator' as const].map((p) => ({
                value: p,
                label: t(`analysis.pick.${p}`),
              }))}
            />
          </Field>
          {v.value === 'indicator' ? (
            <Field label={t('cohort.field.textValues')}>
              <Select<string[]>
                mode="tags"
                open={false}
                style={{ minWidth: 200 }}
                value={v.text ?? []}
                onChange={(text) => onChange({ ...v, text })}
              />
            </Field>
          ) : null}
          <WindowFields value={v.window} onChange={(w) => onChange(withWindow(v, w))} />
        </>
      );
    case 'death':
      return (
        <>
          <Field label={t('analysis.var.deathValue')}>
            <Select
              style={{ width: 150 }}
              value={v.value ?? 'indicator'}
              onChange={(value) => onChange({ ...v, value })}
              options={[
                { value: 'indicator', label: t('analysis.var.indicator') },
                { value: 'days', label: t('analysis.var.days') },
              ]}
            />
          </Field>
          <WindowFields value={v.window} onChange={(w) => onChange(withWindow(v, w))} />
        </>
      );
    case 'survival':
      return (
        <>
          <Field label={t('analysis.var.event')}>
            <Segmented<'death' | 'condition'>
              value={v.event.kind}
              onChange={(k) =>
                onChange({
                  ...v,
                  event: k === 'death' ? { kind: 'death' } : { kind: 'condition', codes: [], descendants: true },
                })
              }
              options={[
                { value: 'death', label: t('analysis.var.eventDeath') },
                { value: 'condition', label: t('analysis.var.eventCondition') },
              ]}
            />
          </Field>
          {v.event.kind === 'condition' ? (
            <Field label={t('cohort.codes.diagnosis')} grow>
              <CodesPicker
                vocabulary="ICD-10"
                value={v.event.codes}
                onChange={(codes) => onChange({ ...v, event: { kind: 'condition', codes, descendants: true } })}
              />
            </Field>
          ) : null}
          <Field label={t('analysis.var.censor')}>
            <Select
              style={{ width: 150 }}
              value={v.censor}
              onChange={(censor) => onChange({ ...v, censor })}
              options={[
                { value: 'last_visit', label: t('analysis.var.censorLastVisit') },
                { value: 'end_date', label: t('analysis.var.censorEndDate') },
              ]}
            />
          </Field>
          <Field label={t('analysis.var.endDate')}>
            <Input
              type="date"
              style={{ width: 160 }}
              value={v.endDate ?? ''}
              onChange={(e) => {
                const { endDate: _e, ...rest } = v;
                onChange(e.target.value === '' ? rest : { ...rest, endDate: e.target.value });
              }}
            />
          </Field>
        </>
      );
  }
}

/** The list of variables with add, rename, change kind and remove. */
export function VariablesEditor({
  value,
  onChange,
}: {
  value: readonly AnalysisVariable[];
  onChange: (next: AnalysisVariable[]) => void;
}) {
  const t = useT();
  const set = (i: number, v: AnalysisVariable) => onChange(value.map((old, j) => (j === i ? v : old)));
  return (
    <div data-testid="analysis-variables" style={{ display: 'flex', flexDirection: 'column', gap: 8 }}>
      {value.map((v, i) => (
        <div
          // biome-ignore lint/suspicious/noArrayIndexKey: a variable is known by its place in the list (its name is being edited)
          key={`${i}-${v.kind}`}
          style={{
            display: 'flex',
            gap: 12,
            alignItems: 'flex-start',
            flexWrap: 'wrap',
            border: '1px solid #f0f0f0',
            background: '#fafafa',
            borderRadius: 8,
            padding: '8px 12px',
          }}
        >
          <Field label={t('analysis.var.name')}>
            <Input
              style={{ width: 140, fontFamily: 'monospace' }}
              value={v.name}
              onChange={(e) => set(i, { ...v, name: e.target.value })}
            />
          </Field>
          <Field label={t('analysis.var.kind')}>
            <Select
              style={{ width: 130 }}
              value={v.kind}
              onChange={(kind) => set(i, newVariable(kind, v.name))}
              options={VARIABLE_KINDS.map((k) => ({ value: k, label: t(`analysis.varKind.${k}`) }))}
            />
          </Field>
          <KindFields value={v} onChange={(next) => set(i, next)} />
          <Button
            type="text"
            danger
            icon={<DeleteOutlined />}
            aria-label={t('cohort.tree.remove')}
            onClick={() => onChange(value.filter((_, j) => j !== i))}
            style={{ marginInlineStart: 'auto' }}
          />
        </div>
      ))}
      <div>
        <Dropdown
          trigger={['click']}
          menu={{
            items: VARIABLE_KINDS.map((k) => ({
              key: k,
              label: t(`analysis.varKind.${k}`),
              onClick: () => onChange([...value, newVariable(k, freshVariableName(k, value))]),
            })),
          }}
        >
          <Button size="small" type="dashed" icon={<PlusOutlined />}>
            {t('analysis.var.add')}
          </Button>
        </Dropdown>
      </div>
    </div>
  );
}
