/**
 * The cohort editor's state and its pure conversions to and from the federation's cohort definition
 * (src/federation/cohort/README.md). The editor holds the condition tree as groups and criteria with stable ids
 * (React keys); `toDefinition(fromDefinition(def))` gives back `def` unchanged. `validateEditor` finds what the
 * hub's schema would refuse, as problem codes the portal words in both languages (`cohort.problem.<code>`).
 *
 * ```
 * definition.criteria (ANDed) ──► root: group 'and' ─┬─ group 'or'  ─┬─ criterion
 *                                                     │               └─ criterion
 *                                                     └─ group 'not' ─── criterion          not(x)
 *                                                        group 'not' ─┬─ a, b             not(or(a, b))
 * ```
 * No I/O, no clock: ids come from an {@link IdSource} the caller owns.
 */
import type {
  CohortDefinition,
  CohortNode,
  Criterion,
  EventCriterion,
  EventMatch,
} from '../../../src/federation/cohort/schema.ts';

/** Most group levels on any path (mirrors COHORT_DEPTH_MAX of the hub's schema). */
export const EDITOR_DEPTH_MAX = 6;
/** Most nodes in one definition (mirrors COHORT_NODES_MAX). */
export const EDITOR_NODES_MAX = 64;
/** Most children of one group (mirrors GROUP_CRITERIA_MAX). */
export const EDITOR_CHILDREN_MAX = 32;
/** Largest age in a range, in years (mirrors AGE_YEARS_MAX). */
export const EDITOR_AGE_MAX = 150;
/** Largest "at least N days" (mirrors AT_LEAST_MAX). */
export const EDITOR_AT_LEAST_MAX = 1_000;
/** Largest window reach in days (mirrors WINDOW_DAYS_MAX). */
export const EDITOR_WINDOW_DAYS_MAX = 36_525;

/** The criterion kinds, in the order the editor offers them. */
export const CRITERION_KINDS = [
  'age',
  'sex',
  'diagnosis',
  'lab',
  'drug',
  'procedure',
  'visit',
  'observation',
  'death',
] as const satisfies readonly Criterion['kind'][];
/** One criterion kind. */
export type CriterionKind = (typeof CRITERION_KINDS)[number];
/** The event kinds (every criterion kind but age and sex), usable as an index event. */
export const EVENT_KINDS = [
  'diagnosis',
  'lab',
  'drug',
  'procedure',
  'visit',
  'observation',
  'death',
] as const satisfies readonly EventMatch['kind'][];
/** One event kind. */
export type EventKind = (typeof EVENT_KINDS)[number];
/** Sexes as DWD writes them. */
export const SEX_VALUES = ['M', 'F', 'U'] as const;
/** Visit types as DWD writes them. */
export const VISIT_TYPE_VALUES = ['outpatient', 'emergency', 'inpatient'] as const;

/** The vocabulary each coded field is written in. */
export type Vocabulary = 'ICD-10' | 'ICD-9-CM-3' | 'LOINC' | 'ATC';

/** The code patterns of the hub's schema, per vocabulary. */
export const CODE_PATTERNS: Record<Vocabulary, RegExp> = {
  'ICD-10': /^[A-Z][0-9]{2}(\.[0-9A-Za-z]{1,12})?$/,
  'ICD-9-CM-3': /^[0-9]{2}(\.[0-9A-Za-z]{1,8})?$/,
  ATC: /^[A-Z]([0-9]{2}([A-Z]([A-Z]([0-9]{2})?)?)?)?$/,
  LOINC: /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
};

/** The vocabulary of the codes of an event kind (null for visits, which have types instead). */
export function vocabularyOf(kind: EventKind): Vocabulary | null {
  switch (kind) {
    case 'diagnosis':
    case 'death':
      return 'ICD-10';
    case 'procedure':
      return 'ICD-9-CM-3';
    case 'drug':
      return 'ATC';
    case 'lab':
    case 'observation':
      return 'LOINC';
    case 'visit':
      return null;
  }
}

/** A group of the editor: all of (and), any of (or), none of (not) its children. */
export interface GroupNode {
  id: string;
  type: 'group';
  op: 'and' | 'or' | 'not';
  children: EditorNode[];
}

/** A criterion of the editor (possibly incomplete while being edited; `validateEditor` says what is missing). */
export interface CriterionNode {
  id: string;
  type: 'criterion';
  criterion: Criterion;
}

/** One node of the editor's tree. */
export type EditorNode = GroupNode | CriterionNode;

/** The whole editor: the definition's name and version as loaded, index event, calendar window and the tree. */
export interface CohortEditorState {
  name?: string;
  version?: 1;
  index: EventMatch | null;
  calendar: { from?: string; to?: string } | null;
  /** Always an 'and' group: the definition's top-level criteria. */
  root: GroupNode;
}

/** Hands out fresh node ids. */
export type IdSource = () => string;

/** A counter of ids `<prefix>1`, `<prefix>2`, … (deterministic, so tests can compare trees). */
export function createIdSource(prefix = 'n'): IdSource {
  let next = 0;
  return () => {
    next += 1;
    return `${prefix}${next}`;
  };
}

/** An empty editor: no index, no calendar window, no criteria (everyone). */
export function emptyEditor(ids: IdSource): CohortEditorState {
  return { index: null, calendar: null, root: { id: ids(), type: 'group', op: 'and', children: [] } };
}

/** The editor state of a definition (the inverse of {@link toDefinition}). */
export function fromDefinition(def: CohortDefinition, ids: IdSource): CohortEditorState {
  const state: CohortEditorState = {
    index: def.index ? structuredClone(def.index.event) : null,
    calendar: def.calendar ? { ...def.calendar } : null,
    root: { id: ids(), type: 'group', op: 'and', children: def.criteria.map((c) => nodeFromDefinition(c, ids)) },
  };
  if (def.name !== undefined) state.name = def.name;
  if (def.version !== undefined) state.version = def.version;
  return state;
}

function nodeFromDefinition(node: CohortNode, ids: IdSource): EditorNode {
  switch (node.kind) {
    case 'and':
    case 'or':
      return {
        id: ids(),
        type: 'group',
        op: node.kind,
        children: node.criteria.map((c) => nodeFromDefinition(c, ids)),
      };
    case 'not': {
      // not(or(a, b, …)) is "none of a, b, …": one NOT group with those children.
      const inner = node.criterion;
      const children =
        inner.kind === 'or' && inner.criteria.length >= 2
          ? inner.criteria.map((c) => nodeFromDefinition(c, ids))
          : [nodeFromDefinition(inner, ids)];
      return { id: ids(), type: 'group', op: 'not', children };
    }
    default:
      return { id: ids(), type: 'criterion', criterion: structuredClone(node) };
  }
}

/** The definition JSON of an editor state (valid when {@link validateEditor} finds no problem). */
export function toDefinition(state: CohortEditorState): CohortDefinition {
  const def: CohortDefinition = { criteria: state.root.children.map(nodeToDefinition) };
  if (state.version !== undefined) def.version = state.version;
  if (state.name !== undefined) def.name = state.name;
  if (state.index) def.index = { event: structuredClone(state.index) };
  if (state.calendar) def.calendar = { ...state.calendar };
  return orderedDefinition(def);
}

/** The definition's keys in the README's order (version, name, index, calendar, criteria), for a readable JSON. */
function orderedDefinition(def: CohortDefinition): CohortDefinition {
  const out: Partial<CohortDefinition> = {};
  if (def.version !== undefined) out.version = def.version;
  if (def.name !== undefined) out.name = def.name;
  if (def.index !== undefined) out.index = def.index;
  if (def.calendar !== undefined) out.calendar = def.calendar;
  return { ...out, criteria: def.criteria };
}

function nodeToDefinition(node: EditorNode): CohortNode {
  if (node.type === 'criterion') return structuredClone(node.criterion);
  const children = node.children.map(nodeToDefinition);
  if (node.op !== 'not') return { kind: node.op, criteria: children };
  const [only] = children;
  if (children.length === 1 && only) return { kind: 'not', criterion: only };
  return { kind: 'not', criterion: { kind: 'or', criteria: children } };
}

/** A new criterion of a kind with the editor's defaults; `ageAt` is where an age is measured ('index' or a date). */
export function newCriterion(kind: CriterionKind, ageAt: string): Criterion {
  switch (kind) {
    case 'age':
      return { kind, at: ageAt, range: { min: 18 } };
    case 'sex':
      return { kind, values: ['F'] };
    case 'diagnosis':
    case 'drug':
    case 'procedure':
      return { kind, codes: [], descendants: true };
    case 'lab':
    case 'observation':
      return { kind, code: '' };
    case 'visit':
      return { kind, types: ['inpatient'] };
    case 'death':
      return { kind };
  }
}

/** A new index event of a kind (its match only: no occurrence, count or window). */
export function newIndexEvent(kind: EventKind): EventMatch {
  const c = newCriterion(kind, 'index');
  return c as EventMatch;
}

/** True when a criterion is an event criterion (takes occurrence, at least N and window). */
export function isEvent(c: Criterion): c is EventCriterion {
  return c.kind !== 'age' && c.kind !== 'sex';
}

/** Applies `change` to the node with `id` (and returns the same state when there is none). */
function mapNode(state: CohortEditorState, id: string, change: (node: EditorNode) => EditorNode | null) {
  const visit = (node: EditorNode): EditorNode | null => {
    if (node.id === id) return change(node);
    if (node.type === 'criterion') return node;
    const children = node.children.map(visit).filter((c): c is EditorNode => c !== null);
    return { ...node, children };
  };
  const root = visit(state.root);
  return root && root.type === 'group' ? { ...state, root } : state;
}

/** Adds a child at the end of a group. */
export function addChild(state: CohortEditorState, groupId: string, child: EditorNode): CohortEditorState {
  return mapNode(state, groupId, (node) =>
    node.type === 'group' ? { ...node, children: [...node.children, child] } : node,
  );
}

/** Removes a node (and its subtree); the root cannot be removed. */
export function removeNode(state: CohortEditorState, id: string): CohortEditorState {
  if (id === state.root.id) return state;
  return mapNode(state, id, () => null);
}

/** Changes a group's operator. */
export function setGroupOp(state: CohortEditorState, id: string, op: GroupNode['op']): CohortEditorState {
  if (id === state.root.id) return state;
  return mapNode(state, id, (node) => (node.type === 'group' ? { ...node, op } : node));
}

/** Replaces a criterion. */
export function setCriterion(state: CohortEditorState, id: string, criterion: Criterion): CohortEditorState {
  return mapNode(state, id, (node) => (node.type === 'criterion' ? { ...node, criterion } : node));
}

/** Moves a node one place up (-1) or down (+1) among its siblings. */
export function moveNode(state: CohortEditorState, id: string, by: -1 | 1): CohortEditorState {
  const visit = (node: EditorNode): EditorNode => {
    if (node.type === 'criterion') return node;
    const at = node.children.findIndex((c) => c.id === id);
    const to = at + by;
    if (at >= 0 && to >= 0 && to < node.children.length) {
      const children = [...node.children];
      [children[at], children[to]] = [children[to] as EditorNode, children[at] as EditorNode];
      return { ...node, children };
    }
    return { ...node, children: node.children.map(visit) };
  };
  return { ...state, root: visit(state.root) as GroupNode };
}

/** Every problem the editor can name; the portal words each as `cohort.problem.<code>`. */
export const PROBLEM_CODES = [
  'groupEmpty',
  'notEmpty',
  'groupTooLarge',
  'tooDeep',
  'tooManyNodes',
  'codesEmpty',
  'codeMissing',
  'codeInvalid',
  'sexEmpty',
  'visitEmpty',
  'rangeEmpty',
  'rangeOrder',
  'ageBounds',
  'ageNeedsIndex',
  'dateInvalid',
  'windowNeedsIndex',
  'windowBounds',
  'windowOrder',
  'atLeastBounds',
  'firstAtLeast',
  'textAndRange',
  'textEmpty',
  'unitEmpty',
  'calendarOrder',
] as const;
/** One problem code. */
export type ProblemCode = (typeof PROBLEM_CODES)[number];

/** Where a problem is: a node id of the tree, the index event, or the calendar window. */
export interface EditorProblem {
  at: string;
  code: ProblemCode;
  /** The value at fault (a code, a date), when there is one. */
  value?: string;
}

/** Where index-event problems are reported. */
export const INDEX_AT = 'index';
/** Where calendar-window problems are reported. */
export const CALENDAR_AT = 'calendar';

/** Every problem of an editor state, in tree order; empty when the hub's schema would accept the definition. */
export function validateEditor(state: CohortEditorState): EditorProblem[] {
  const problems: EditorProblem[] = [];
  const add = (at: string, code: ProblemCode, value?: string) =>
    problems.push(value === undefined ? { at, code } : { at, code, value });
  const hasIndex = state.index !== null;
  if (state.index) matchProblems(state.index, INDEX_AT, add);
  if (state.calendar) {
    const { from, to } = state.calendar;
    if (from !== undefined && !isCalendarDate(from)) add(CALENDAR_AT, 'dateInvalid', from);
    if (to !== undefined && !isCalendarDate(to)) add(CALENDAR_AT, 'dateInvalid', to);
    if (from !== undefined && to !== undefined && from > to) add(CALENDAR_AT, 'calendarOrder');
  }
  let nodes = 0;
  const visit = (node: EditorNode, depth: number) => {
    nodes += 1;
    if (nodes === EDITOR_NODES_MAX + 1) add(node.id, 'tooManyNodes');
    if (node.type === 'group') {
      if (depth === EDITOR_DEPTH_MAX) add(node.id, 'tooDeep');
      if (node.children.length === 0) add(node.id, node.op === 'not' ? 'notEmpty' : 'groupEmpty');
      if (node.children.length > EDITOR_CHILDREN_MAX) add(node.id, 'groupTooLarge');
      // A NOT group of several children becomes not(or(…)): one more node, one level deeper.
      const hiddenOr = node.op === 'not' && node.children.length > 1;
      if (hiddenOr) {
        nodes += 1;
        if (nodes === EDITOR_NODES_MAX + 1) add(node.id, 'tooManyNodes');
        if (depth + 1 === EDITOR_DEPTH_MAX) add(node.id, 'tooDeep');
      }
      for (const child of node.children) visit(child, hiddenOr ? depth + 2 : depth + 1);
      return;
    }
    criterionProblems(node.criterion, node.id, hasIndex, add);
  };
  if (state.root.children.length > EDITOR_CHILDREN_MAX) add(state.root.id, 'groupTooLarge');
  for (const child of state.root.children) visit(child, 0);
  return problems;
}

type Add = (at: string, code: ProblemCode, value?: string) => void;

function criterionProblems(c: Criterion, at: string, hasIndex: boolean, add: Add): void {
  if (c.kind === 'age') {
    if (c.at === 'index') {
      if (!hasIndex) add(at, 'ageNeedsIndex');
    } else if (!isCalendarDate(c.at)) add(at, 'dateInvalid', c.at);
    const { min, max } = c.range;
    if (min === undefined && max === undefined) add(at, 'rangeEmpty');
    for (const v of [min, max]) {
      if (v !== undefined && (!Number.isInteger(v) || v < 0 || v > EDITOR_AGE_MAX)) add(at, 'ageBounds', String(v));
    }
    if (min !== undefined && max !== undefined && min > max) add(at, 'rangeOrder');
    return;
  }
  if (c.kind === 'sex') {
    if (c.values.length === 0) add(at, 'sexEmpty');
    return;
  }
  matchProblems(c, at, add);
  if (c.window) {
    if (!hasIndex) add(at, 'windowNeedsIndex');
    const { start, end } = c.window;
    if ([start, end].some((d) => !Number.isInteger(d) || Math.abs(d) > EDITOR_WINDOW_DAYS_MAX)) {
      add(at, 'windowBounds');
    } else if (start > end) add(at, 'windowOrder');
  }
  if (c.atLeast !== undefined) {
    if (!Number.isInteger(c.atLeast) || c.atLeast < 1 || c.atLeast > EDITOR_AT_LEAST_MAX) add(at, 'atLeastBounds');
    else if (c.occurrence === 'first' && c.atLeast > 1) add(at, 'firstAtLeast');
  }
}

function matchProblems(e: EventMatch, at: string, add: Add): void {
  const codes = (list: readonly string[], vocabulary: Vocabulary) => {
    for (const code of list) if (!CODE_PATTERNS[vocabulary].test(code)) add(at, 'codeInvalid', code);
  };
  switch (e.kind) {
    case 'diagnosis':
    case 'drug':
    case 'procedure': {
      if (e.codes.length === 0) add(at, 'codesEmpty');
      codes(e.codes, vocabularyOf(e.kind) as Vocabulary);
      return;
    }
    case 'death':
      if (e.causes !== undefined) {
        if (e.causes.length === 0) add(at, 'codesEmpty');
        codes(e.causes, 'ICD-10');
      }
      return;
    case 'visit':
      if (e.types.length === 0) add(at, 'visitEmpty');
      return;
    case 'lab':
      itemCode(e.code, at, add);
      if (e.range) {
        rangeProblems(e.range, at, add);
        if (e.range.unit !== undefined && e.range.unit.trim() === '') add(at, 'unitEmpty');
      }
      return;
    case 'observation':
      itemCode(e.code, at, add);
      if (e.range) rangeProblems(e.range, at, add);
      if (e.text !== undefined && e.text.length === 0) add(at, 'textEmpty');
      if (e.range && e.text) add(at, 'textAndRange');
      return;
  }
}

function itemCode(code: string, at: string, add: Add): void {
  if (code === '') add(at, 'codeMissing');
  else if (!CODE_PATTERNS.LOINC.test(code)) add(at, 'codeInvalid', code);
}

function rangeProblems(range: { min?: number; max?: number }, at: string, add: Add): void {
  if (range.min === undefined && range.max === undefined) add(at, 'rangeEmpty');
  if (range.min !== undefined && range.max !== undefined && range.min > range.max) add(at, 'rangeOrder');
}

/** True for an existing calendar date 'YYYY-MM-DD'. */
export function isCalendarDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const [y, m, d] = text.split('-').map(Number) as [number, number, number];
  const t = new Date(Date.UTC(y, m - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d;
}

/** Every code the state names (index and criteria), for looking up their names. */
export function editorCodes(state: CohortEditorState): string[] {
  const out = new Set<string>();
  const addMatch = (e: EventMatch) => {
    if (e.kind === 'diagnosis' || e.kind === 'drug' || e.kind === 'procedure') for (const c of e.codes) out.add(c);
    if (e.kind === 'death') for (const c of e.causes ?? []) out.add(c);
    if ((e.kind === 'lab' || e.kind === 'observation') && e.code !== '') out.add(e.code);
  };
  if (state.index) addMatch(state.index);
  const visit = (node: EditorNode) => {
    if (node.type === 'group') node.children.forEach(visit);
    else if (isEvent(node.criterion)) addMatch(node.criterion);
  };
  visit(state.root);
  return [...out];
}
