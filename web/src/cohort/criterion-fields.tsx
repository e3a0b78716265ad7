/**
 * The fields of one criterion of the cohort editor, per kind (README of src/federation/cohort): demographics
 * (age, sex), event matches with their codes, ranges and types, and the qualifiers every event criterion takes
 * (first occurrence, at least N days, window around the index date). Each field edits a copy of the criterion
 * and hands it up; validation lives in tree.ts.
 */
import { Checkbox, Input, InputNumber, Segmented, Select, Switch, Typography } from 'antd';
import type { ReactNode } from 'react';
import type {
  Criterion,
  EventCriterion,
  EventMatch,
  LabRange,
  ValueRange,
} from '../../../src/federation/cohort/schema.ts';
import { useT } from '../i18n/i18n-context.tsx';
import { CodePicker, CodesPicker } from './code-picker.tsx';
import { isEvent, SEX_VALUES, VISIT_TYPE_VALUES, vocabularyOf } from './tree.ts';

/** A labelled field: a small caption over the control. */
export function Field({ label, children, grow }: { label: string; children: ReactNode; grow?: boolean }) {
  return (
    <div style={{ display: 'flex', flexDirection: 'column', gap: 2, ...(grow ? { flex: '1 1 320px' } : {}) }}>
      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
        {label}
      </Typography.Text>
      <div style={{ display: 'flex', alignItems: 'center', gap: 8, flexWrap: 'wrap' }}>{children}</div>
    </div>
  );
}

const num = (v: number | string | null | undefined): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) ? v : undefined;

/** Sets or removes one key of an object (undefined removes it, so the JSON has no empty fields). */
function withKey<T extends object, K extends keyof T>(o: T, key: K, value: T[K] | undefined): T {
  const out = { ...o };
  if (value === undefined) delete out[key];
  else out[key] = value;
  return out;
}

/** A min … max range of numbers, with optional exclusive bounds; both cleared means no range. */
function RangeFields<R extends ValueRange>({
  value,
  onChange,
  exclusive,
  testId,
}: {
  value: R | undefined;
  onChange: (range: R | undefined) => void;
  exclusive: boolean;
  testId: string;
}) {
  const t = useT();
  const range = (value ?? {}) as R;
  const set = (next: R) => {
    const kept = next.min !== undefined || next.max !== undefined || (next as LabRange).unit !== undefined;
    onChange(kept ? next : undefined);
  };
  return (
    <>
      <InputNumber
        data-testid={`${testId}-min`}
        placeholder={t('cohort.field.min')}
        value={range.min ?? null}
        onChange={(v) => set(withKey(range, 'min', num(v)) as R)}
        style={{ width: 110 }}
      />
      {exclusive ? (
        <Checkbox
          checked={range.minExclusive === true}
          onChange={(e) => set(withKey(range, 'minExclusive', e.target.checked ? true : undefined) as R)}
        >
          {t('cohort.field.exclusive')}
        </Checkbox>
      ) : null}
      <Typography.Text type="secondary">–</Typography.Text>
      <InputNumber
        data-testid={`${testId}-max`}
        placeholder={t('cohort.field.max')}
        value={range.max ?? null}
        onChange={(v) => set(withKey(range, 'max', num(v)) as R)}
        style={{ width: 110 }}
      />
      {exclusive ? (
        <Checkbox
          checked={range.maxExclusive === true}
          onChange={(e) => set(withKey(range, 'maxExclusive', e.target.checked ? true : undefined) as R)}
        >
          {t('cohort.field.exclusive')}
        </Checkbox>
      ) : null}
    </>
  );
}

/** The fields of an event match (what makes a row an event): codes, lab range and unit, visit types, text values. */
export function MatchFields<E extends EventMatch>({
  value,
  onChange,
  testId,
  invalid,
}: {
  value: E;
  onChange: (next: E) => void;
  testId: string;
  invalid: boolean;
}) {
  const t = useT();
  const e = value as EventMatch;
  const set = (next: EventMatch) => onChange(next as E);
  const status = invalid ? ('error' as const) : undefined;
  switch (e.kind) {
    case 'diagnosis':
    case 'drug':
    case 'procedure': {
      const vocabulary = vocabularyOf(e.kind) ?? 'ICD-10';
      return (
        <>
          <Field label={t(`cohort.codes.${e.kind}`)} grow>
            <CodesPicker
              vocabulary={vocabulary}
              testId={`${testId}-codes`}
              value={e.codes}
              onChange={(codes) => set({ ...e, codes })}
              {...(status ? { status } : {})}
            />
          </Field>
          <Field label={t('cohort.field.descendants')}>
            <Switch
              checked={e.descendants === true}
              onChange={(on) => set(withKey(e, 'descendants', on ? true : undefined))}
            />
          </Field>
        </>
      );
    }
    case 'death':
      return (
        <>
          <Field label={t('cohort.field.causes')}>
            <Segmented<'any' | 'codes'>
              value={e.causes === undefined ? 'any' : 'codes'}
              onChange={(v) => set(v === 'any' ? { kind: 'death' } : { ...e, causes: e.causes ?? [] })}
              options={[
                { value: 'any', label: t('cohort.death.any') },
                { value: 'codes', label: t('cohort.death.codes') },
              ]}
            />
          </Field>
          {e.causes !== undefined ? (
            <>
              <Field label={t('cohort.codes.death')} grow>
                <CodesPicker
                  vocabulary="ICD-10"
                  testId={`${testId}-codes`}
                  value={e.causes}
                  onChange={(causes) => set({ ...e, causes })}
                  {...(status ? { status } : {})}
                />
              </Field>
              <Field label={t('cohort.field.descendants')}>
                <Switch
                  checked={e.descendants === true}
                  onChange={(on) => set(withKey(e, 'descendants', on ? true : undefined))}
                />
              </Field>
            </>
          ) : null}
        </>
      );
    case 'visit':
      return (
        <Field label={t('cohort.field.visitTypes')}>
          <Checkbox.Group
            value={e.types}
            onChange={(types) => set({ ...e, types: VISIT_TYPE_VALUES.filter((v) => types.includes(v)) })}
            options={VISIT_TYPE_VALUES.map((v) => ({ value: v, label: t(`cohort.visit.${v}`) }))}
          />
        </Field>
      );
    case 'lab':
      return (
        <>
          <Field label={t('cohort.codes.lab')} grow>
            <CodePicker
              vocabulary="LOINC"
              testId={`${testId}-code`}
              value={e.code}
              onChange={(code, concept) => {
                const range =
                  e.range && concept?.unit && e.range.unit === undefined ? { ...e.range, unit: concept.unit } : e.range;
                set(withKey({ ...e, code }, 'range', range));
              }}
              {...(status ? { status } : {})}
            />
          </Field>
          <Field label={t('cohort.field.range')}>
            <RangeFields<LabRange>
              value={e.range}
              exclusive
              testId={`${testId}-range`}
              onChange={(range) => set(withKey(e, 'range', range))}
            />
            <Input
              style={{ width: 110 }}
              placeholder={t('cohort.field.unit')}
              value={e.range?.unit ?? ''}
              disabled={e.range === undefined}
              onChange={(ev) => {
                if (!e.range) return;
                const unit = ev.target.value === '' ? undefined : ev.target.value;
                set({ ...e, range: withKey(e.range, 'unit', unit) });
              }}
            />
          </Field>
        </>
      );
    case 'observation': {
      const mode = e.text !== undefined ? 'text' : e.range !== undefined ? 'range' : 'any';
      return (
        <>
          <Field label={t('cohort.codes.observation')} grow>
            <CodePicker
              vocabulary="LOINC"
              testId={`${testId}-code`}
              value={e.code}
              onChange={(code) => set({ ...e, code })}
              {...(status ? { status } : {})}
            />
          </Field>
          <Field label={t('cohort.field.observationValue')}>
            <Segmented<'any' | 'text' | 'range'>
              value={mode}
              onChange={(m) => {
                const { text: _text, range: _range, ...base } = e;
                if (m === 'any') set(base);
                else if (m === 'text') set({ ...base, text: [] });
                else set({ ...base, range: { min: 0 } });
              }}
              options={[
                { value: 'any', label: t('cohort.observation.any') },
                { value: 'text', label: t('cohort.observation.text') },
                { value: 'range', label: t('cohort.observation.range') },
              ]}
            />
            {mode === 'text' ? (
              <Select<string[]>
                mode="tags"
                style={{ minWidth: 220 }}
                value={e.text ?? []}
                onChange={(text) => set({ ...e, text })}
                placeholder={t('cohort.field.textValues')}
                open={false}
              />
            ) : null}
            {mode === 'range' ? (
              <RangeFields<ValueRange>
                value={e.range}
                exclusive
                testId={`${testId}-range`}
                onChange={(range) => set(withKey(e, 'range', range ?? {}))}
              />
            ) : null}
          </Field>
        </>
      );
    }
  }
}

/** The qualifiers of an event criterion: which occurrences count, how many days, and the window. */
function QualifierFields({
  value,
  onChange,
  hasIndex,
}: {
  value: EventCriterion;
  onChange: (next: EventCriterion) => void;
  hasIndex: boolean;
}) {
  const t = useT();
  const c = value;
  return (
    <>
      <Field label={t('cohort.field.occurrence')}>
        <Select<'any' | 'first'>
          style={{ width: 150 }}
          value={c.occurrence ?? 'any'}
          onChange={(o) => onChange(withKey(c, 'occurrence', o === 'any' ? undefined : o))}
          options={[
            { value: 'any', label: t('cohort.occurrence.any') },
            { value: 'first', label: t('cohort.occurrence.first') },
          ]}
        />
      </Field>
      <Field label={t('cohort.field.atLeast')}>
        <InputNumber
          min={1}
          precision={0}
          style={{ width: 90 }}
          value={c.atLeast ?? 1}
          onChange={(v) => {
            const n = num(v);
            onChange(withKey(c, 'atLeast', n === undefined || n === 1 ? undefined : n));
          }}
        />
      </Field>
      <Field label={t('cohort.field.window')}>
        <Switch
          checked={c.window !== undefined}
          disabled={!hasIndex && c.window === undefined}
          onChange={(on) => onChange(withKey(c, 'window', on ? { start: -365, end: 0 } : undefined))}
        />
        {c.window ? (
          <>
            <InputNumber
              precision={0}
              style={{ width: 100 }}
              value={c.window.start}
              onChange={(v) => c.window && onChange({ ...c, window: { ...c.window, start: num(v) ?? 0 } })}
            />
            <Typography.Text type="secondary">–</Typography.Text>
            <InputNumber
              precision={0}
              style={{ width: 100 }}
              value={c.window.end}
              onChange={(v) => c.window && onChange({ ...c, window: { ...c.window, end: num(v) ?? 0 } })}
            />
            <Typography.Text type="secondary">{t('cohort.field.windowDays')}</Typography.Text>
          </>
        ) : !hasIndex ? (
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {t('cohort.field.windowNeedsIndex')}
          </Typography.Text>
        ) : null}
      </Field>
    </>
  );
}

/** Every field of one criterion, laid out in a wrapping row. */
export function CriterionFields({
  value,
  onChange,
  hasIndex,
  testId,
  invalid,
  today,
}: {
  value: Criterion;
  onChange: (next: Criterion) => void;
  hasIndex: boolean;
  testId: string;
  invalid: boolean;
  /** The date an age is measured at when the user switches away from the index date. */
  today: string;
}) {
  const t = useT();
  const c = value;
  let fields: ReactNode;
  if (c.kind === 'age') {
    fields = (
      <>
        <Field label={t('cohort.field.ageAt')}>
          <Segmented<'index' | 'date'>
            value={c.at === 'index' ? 'index' : 'date'}
            onChange={(v) => onChange({ ...c, at: v === 'index' ? 'index' : today })}
            options={[
              { value: 'index', label: t('cohort.age.atIndex') },
              { value: 'date', label: t('cohort.age.atDate') },
            ]}
          />
          {c.at !== 'index' ? (
            <Input
              type="date"
              style={{ width: 160 }}
              value={c.at}
              onChange={(e) => onChange({ ...c, at: e.target.value })}
            />
          ) : null}
        </Field>
        <Field label={t('cohort.field.ageRange')}>
          <RangeFields
            value={c.range}
            exclusive={false}
            testId={`${testId}-age`}
            onChange={(range) => onChange({ ...c, range: range ?? {} })}
          />
        </Field>
      </>
    );
  } else if (c.kind === 'sex') {
    fields = (
      <Field label={t('cohort.field.sex')}>
        <Checkbox.Group
          value={c.values}
          onChange={(values) => onChange({ ...c, values: SEX_VALUES.filter((v) => values.includes(v)) })}
          options={SEX_VALUES.map((v) => ({ value: v, label: t(`cohort.sex.${v}`) }))}
        />
      </Field>
    );
  } else {
    fields = (
      <>
        <MatchFields value={c} onChange={(next) => onChange(next)} testId={testId} invalid={invalid} />
        {isEvent(c) ? <QualifierFields value={c} onChange={onChange} hasIndex={hasIndex} /> : null}
      </>
    );
  }
  return <div style={{ display: 'flex', alignItems: 'flex-start', gap: 16, flexWrap: 'wrap' }}>{fields}</div>;
}
