/**
 * The visual cohort editor (条件树): the index event, the calendar window, and the condition tree of groups
 * (all of / any of / none of) and criteria, each with its problems in the user's language. Controlled: the
 * state lives with the caller (tree.ts converts it to and from the definition JSON).
 */
import { ArrowDownOutlined, ArrowUpOutlined, BranchesOutlined, DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { Button, Card, Dropdown, Input, Select, Switch, Tag, Tooltip, Typography } from 'antd';
import { type ReactNode, useMemo } from 'react';
import type { Translate } from '../i18n/i18n-context.tsx';
import { useT } from '../i18n/i18n-context.tsx';
import { CriterionFields, Field, MatchFields } from './criterion-fields.tsx';
import {
  addChild,
  CALENDAR_AT,
  type CohortEditorState,
  CRITERION_KINDS,
  type EditorNode,
  type EditorProblem,
  EVENT_KINDS,
  type GroupNode,
  type IdSource,
  INDEX_AT,
  moveNode,
  newCriterion,
  newIndexEvent,
  removeNode,
  setCriterion,
  setGroupOp,
} from './tree.ts';

/** Colours of the group operators, so nesting reads at a glance. */
const OP_COLORS: Record<GroupNode['op'], string> = { and: '#1668dc', or: '#13a8a8', not: '#d4380d' };

/** One problem in the user's language. */
export function problemText(t: Translate, p: EditorProblem): string {
  const text = t(`cohort.problem.${p.code}`);
  return p.value === undefined ? text : `${text} (${p.value})`;
}

function Problems({ problems }: { problems: readonly EditorProblem[] }) {
  const t = useT();
  if (problems.length === 0) return null;
  return (
    <ul style={{ margin: '6px 0 0', paddingInlineStart: 18 }}>
      {problems.map((p) => (
        <li key={`${p.code}-${p.value ?? ''}`}>
          <Typography.Text type="danger" style={{ fontSize: 12 }}>
            {problemText(t, p)}
          </Typography.Text>
        </li>
      ))}
    </ul>
  );
}

/** Props of the editor: the state, its setter, an id source for new nodes, and the current problems. */
export interface CohortEditorProps {
  value: CohortEditorState;
  onChange: (next: CohortEditorState) => void;
  ids: IdSource;
  problems: readonly EditorProblem[];
  /** Today's date (YYYY-MM-DD), the default date of an age measured at a date. */
  today: string;
}

/** The whole editor: index event and calendar window on top, the condition tree below. */
export function CohortEditor({ value, onChange, ids, problems, today }: CohortEditorProps) {
  const t = useT();
  const byNode = useMemo(() => {
    const m = new Map<string, EditorProblem[]>();
    for (const p of problems) m.set(p.at, [...(m.get(p.at) ?? []), p]);
    return m;
  }, [problems]);
  const hasIndex = value.index !== null;
  const ctx: NodeContext = { value, onChange, ids, byNode, hasIndex, today };

  return (
    <div data-testid="cohort-editor" style={{ display: 'flex', flexDirection: 'column', gap: 12 }}>
      <Card size="small" title={t('cohort.index.title')} extra={<IndexSwitch value={value} onChange={onChange} />}>
        {value.index ? (
          <div style={{ display: 'flex', gap: 16, flexWrap: 'wrap', alignItems: 'flex-start' }}>
            <Field label={t('cohort.index.kind')}>
              <Select
                data-testid="cohort-index-kind"
                style={{ width: 160 }}
                value={value.index.kind}
                onChange={(kind) => onChange({ ...value, index: newIndexEvent(kind) })}
                options={EVENT_KINDS.map((k) => ({ value: k, label: t(`cohort.kind.${k}`) }))}
              />
            </Field>
            <MatchFields
              value={value.index}
              onChange={(index) => onChange({ ...value, index })}
              testId="cohort-index"
              invalid={byNode.has(INDEX_AT)}
            />
          </div>
        ) : (
          <Typography.Text type="secondary">{t('cohort.index.none')}</Typography.Text>
        )}
        <Problems problems={byNode.get(INDEX_AT) ?? []} />
      </Card>

      <Card size="small" title={t('cohort.calendar.title')}>
        <div style={{ display: 'flex', gap: 16, flexWrap: 'wrap', alignItems: 'flex-end' }}>
          <Field label={t('cohort.calendar.from')}>
            <Input
              type="date"
              data-testid="cohort-calendar-from"
              style={{ width: 170 }}
              value={value.calendar?.from ?? ''}
              onChange={(e) => onChange({ ...value, calendar: calendarWith(value.calendar, 'from', e.target.value) })}
            />
          </Field>
          <Field label={t('cohort.calendar.to')}>
            <Input
              type="date"
              data-testid="cohort-calendar-to"
              style={{ width: 170 }}
              value={value.calendar?.to ?? ''}
              onChange={(e) => onChange({ ...value, calendar: calendarWith(value.calendar, 'to', e.target.value) })}
            />
          </Field>
          <Typography.Text type="secondary" style={{ fontSize: 12, paddingBottom: 6 }}>
            {t('cohort.calendar.hint')}
          </Typography.Text>
        </div>
        <Problems problems={byNode.get(CALENDAR_AT) ?? []} />
      </Card>

      <Card
        size="small"
        title={
          <span>
            <BranchesOutlined style={{ marginInlineEnd: 8 }} />
            {t('cohort.tree.title')}
          </span>
        }
      >
        <GroupView node={value.root} ctx={ctx} root />
      </Card>
    </div>
  );
}

function calendarWith(
  calendar: CohortEditorState['calendar'],
  key: 'from' | 'to',
  text: string,
): CohortEditorState['calendar'] {
  const next = { ...(calendar ?? {}) };
  if (text === '') delete next[key];
  else next[key] = text;
  return next.from === undefined && next.to === undefined ? null : next;
}

function IndexSwitch({ value, onChange }: { value: CohortEditorState; onChange: (s: CohortEditorState) => void }) {
  const t = useT();
  return (
    <Switch
      data-testid="cohort-index-switch"
      checked={value.index !== null}
      checkedChildren={t('cohort.index.on')}
      unCheckedChildren={t('cohort.index.off')}
      onChange={(on) => onChange({ ...value, index: on ? newIndexEvent('diagnosis') : null })}
    />
  );
}

interface NodeContext {
  value: CohortEditorState;
  onChange: (next: CohortEditorState) => void;
  ids: IdSource;
  byNode: Map<string, EditorProblem[]>;
  hasIndex: boolean;
  today: string;
}

function AddMenu({ group, ctx }: { group: GroupNode; ctx: NodeContext }) {
  const t = useT();
  const add = (node: EditorNode) => ctx.onChange(addChild(ctx.value, group.id, node));
  const items = [
    ...CRITERION_KINDS.map((kind) => ({
      key: kind,
      label: t(`cohort.kind.${kind}`),
      onClick: () =>
        add({ id: ctx.ids(), type: 'criterion', criterion: newCriterion(kind, ctx.hasIndex ? 'index' : ctx.today) }),
    })),
    { type: 'divider' as const },
    ...(['and', 'or', 'not'] as const).map((op) => ({
      key: `group-${op}`,
      label: t(`cohort.group.add.${op}`),
      onClick: () => add({ id: ctx.ids(), type: 'group', op, children: [] }),
    })),
  ];
  return (
    <Dropdown menu={{ items }} trigger={['click']}>
      <Button size="small" type="dashed" icon={<PlusOutlined />} data-testid={`cohort-add-${group.id}`}>
        {t('cohort.tree.add')}
      </Button>
    </Dropdown>
  );
}

function NodeActions({ node, ctx }: { node: EditorNode; ctx: NodeContext }) {
  const t = useT();
  return (
    <span style={{ display: 'inline-flex', gap: 2 }}>
      <Tooltip title={t('cohort.tree.up')}>
        <Button
          size="small"
          type="text"
          icon={<ArrowUpOutlined />}
          aria-label={t('cohort.tree.up')}
          onClick={() => ctx.onChange(moveNode(ctx.value, node.id, -1))}
        />
      </Tooltip>
      <Tooltip title={t('cohort.tree.down')}>
        <Button
          size="small"
          type="text"
          icon={<ArrowDownOutlined />}
          aria-label={t('cohort.tree.down')}
          onClick={() => ctx.onChange(moveNode(ctx.value, node.id, 1))}
        />
      </Tooltip>
      <Tooltip title={t('cohort.tree.remove')}>
        <Button
          size="small"
          type="text"
          danger
          icon={<DeleteOutlined />}
          aria-label={t('cohort.tree.remove')}
          data-testid={`cohort-remove-${node.id}`}
          onClick={() => ctx.onChange(removeNode(ctx.value, node.id))}
        />
      </Tooltip>
    </span>
  );
}

function GroupView({ node, ctx, root = false }: { node: GroupNode; ctx: NodeContext; root?: boolean }) {
  const t = useT();
  const color = OP_COLORS[node.op];
  const header: ReactNode = root ? (
    <Typography.Text strong>{t('cohort.group.root')}</Typography.Text>
  ) : (
    <Select<GroupNode['op']>
      size="small"
      style={{ width: 190 }}
      value={node.op}
      onChange={(op) => ctx.onChange(setGroupOp(ctx.value, node.id, op))}
      options={(['and', 'or', 'not'] as const).map((op) => ({ value: op, label: t(`cohort.group.${op}`) }))}
    />
  );
  return (
    <div
      data-testid={root ? 'cohort-root' : `cohort-group-${node.id}`}
      style={{
        borderInlineStart: `3px solid ${color}`,
        paddingInlineStart: 12,
        paddingBlock: 4,
        display: 'flex',
        flexDirection: 'column',
        gap: 8,
      }}
    >
      <div style={{ display: 'flex', alignItems: 'center', gap: 8, justifyContent: 'space-between' }}>
        <span style={{ display: 'inline-flex', alignItems: 'center', gap: 8 }}>
          {header}
          <Tag color={node.op === 'and' ? 'blue' : node.op === 'or' ? 'cyan' : 'volcano'}>
            {t(`cohort.group.tag.${node.op}`)}
          </Tag>
        </span>
        {root ? null : <NodeActions node={node} ctx={ctx} />}
      </div>
      {node.children.length === 0 ? (
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {root ? t('cohort.tree.emptyRoot') : t('cohort.tree.emptyGroup')}
        </Typography.Text>
      ) : (
        node.children.map((child) =>
          child.type === 'group' ? (
            <GroupView key={child.id} node={child} ctx={ctx} />
          ) : (
            <CriterionView key={child.id} node={child} ctx={ctx} />
          ),
        )
      )}
      <Problems problems={ctx.byNode.get(node.id) ?? []} />
      <div>
        <AddMenu group={node} ctx={ctx} />
      </div>
    </div>
  );
}

function CriterionView({ node, ctx }: { node: Extract<EditorNode, { type: 'criterion' }>; ctx: NodeContext }) {
  const t = useT();
  const problems = ctx.byNode.get(node.id) ?? [];
  return (
    <div
      data-testid={`cohort-criterion-${node.id}`}
      style={{
        border: `1px solid ${problems.length > 0 ? '#ffccc7' : '#f0f0f0'}`,
        background: problems.length > 0 ? '#fff2f0' : '#fafafa',
        borderRadius: 8,
        padding: '8px 12px',
      }}
    >
      <div style={{ display: 'flex', alignItems: 'center', justifyContent: 'space-between', marginBottom: 6 }}>
        <Tag color="geekblue">{t(`cohort.kind.${node.criterion.kind}`)}</Tag>
        <NodeActions node={node} ctx={ctx} />
      </div>
      <CriterionFields
        value={node.criterion}
        onChange={(criterion) => ctx.onChange(setCriterion(ctx.value, node.id, criterion))}
        hasIndex={ctx.hasIndex}
        testId={`cohort-c-${node.id}`}
        invalid={problems.some((p) => p.code === 'codesEmpty' || p.code === 'codeMissing' || p.code === 'codeInvalid')}
        today={ctx.today}
      />
      <Problems problems={problems} />
    </div>
  );
}
