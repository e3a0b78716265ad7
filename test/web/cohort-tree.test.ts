import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  AGE_YEARS_MAX,
  AT_LEAST_MAX,
  COHORT_DEPTH_MAX,
  COHORT_NODES_MAX,
  type CohortDefinition,
  type CohortNode,
  GROUP_CRITERIA_MAX,
  parseCohort,
  WINDOW_DAYS_MAX,
} from '../../src/federation/cohort/schema.ts';
import {
  addChild,
  createIdSource,
  EDITOR_AGE_MAX,
  EDITOR_AT_LEAST_MAX,
  EDITOR_CHILDREN_MAX,
  EDITOR_DEPTH_MAX,
  EDITOR_NODES_MAX,
  EDITOR_WINDOW_DAYS_MAX,
  editorCodes,
  emptyEditor,
  fromDefinition,
  moveNode,
  newCriterion,
  PROBLEM_CODES,
  removeNode,
  setGroupOp,
  toDefinition,
  validateEditor,
} from '../../web/src/cohort/tree.ts';
import { messages } from '../../web/src/i18n/messages.ts';

const accepts = (def: unknown): boolean => {
  try {
    parseCohort(def);
    return true;
  } catch {
    return false;
  }
};

const opt = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
/** Drops undefined fields, as JSON would (the schema's optional fields are absent, never undefined). */
const clean = <T extends Record<string, unknown>>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/** Loose definitions: mostly valid, with the mistakes a researcher makes while editing mixed in. */
const icd10 = fc.constantFrom('E11', 'E11.900', 'E11.900x001', 'I10', 'C34', 'e11', 'E1');
const atc = fc.constantFrom('A10', 'A10BA02', 'C09', 'A1');
const icd9 = fc.constantFrom('36', '36.06', '36.0601', '3');
const item = fc.constantFrom('4548-4', '2345-7', '72166-2', '', 'bad code');
const valueRange = fc
  .record({
    min: opt(fc.integer({ min: -5, max: 20 })),
    max: opt(fc.integer({ min: -5, max: 20 })),
    minExclusive: opt(fc.boolean()),
    maxExclusive: opt(fc.boolean()),
  })
  .map(clean);
const qualifiers = fc
  .record({
    occurrence: opt(fc.constantFrom('any' as const, 'first' as const)),
    atLeast: opt(fc.integer({ min: 1, max: 3 })),
    window: opt(fc.record({ start: fc.integer({ min: -400, max: 400 }), end: fc.integer({ min: -400, max: 400 }) })),
  })
  .map(clean);
const event = fc.oneof(
  fc
    .record({
      kind: fc.constant('diagnosis' as const),
      codes: fc.array(icd10, { maxLength: 3 }),
      descendants: opt(fc.boolean()),
    })
    .map(clean),
  fc
    .record({
      kind: fc.constant('drug' as const),
      codes: fc.array(atc, { maxLength: 3 }),
      descendants: opt(fc.boolean()),
    })
    .map(clean),
  fc
    .record({
      kind: fc.constant('procedure' as const),
      codes: fc.array(icd9, { maxLength: 3 }),
      descendants: opt(fc.boolean()),
    })
    .map(clean),
  fc.record({ kind: fc.constant('lab' as const), code: item, range: opt(valueRange) }).map(clean),
  fc.record({
    kind: fc.constant('visit' as const),
    types: fc.subarray(['outpatient', 'emergency', 'inpatient'] as const),
  }),
  fc
    .record({
      kind: fc.constant('observation' as const),
      code: item,
      text: opt(fc.array(fc.constantFrom('yes', '8517006'), { maxLength: 2 })),
      range: opt(valueRange),
    })
    .map(clean),
  fc
    .record({
      kind: fc.constant('death' as const),
      causes: opt(fc.array(icd10, { maxLength: 2 })),
      descendants: opt(fc.boolean()),
    })
    .map(clean),
);
const criterion = fc.oneof(
  fc.record({
    kind: fc.constant('age' as const),
    at: fc.constantFrom('index', '2020-01-01', '2021-02-29'),
    range: fc
      .record({ min: opt(fc.integer({ min: 0, max: 160 })), max: opt(fc.integer({ min: 0, max: 160 })) })
      .map(clean),
  }),
  fc.record({ kind: fc.constant('sex' as const), values: fc.subarray(['M', 'F', 'U'] as const) }),
  fc.tuple(event, qualifiers).map(([e, q]) => ({ ...e, ...q })),
);
const tree = fc.letrec<{ node: CohortNode }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { arbitrary: criterion as fc.Arbitrary<CohortNode>, weight: 4 },
    fc.record({
      kind: fc.constantFrom('and' as const, 'or' as const),
      criteria: fc.array(tie('node'), { maxLength: 3 }),
    }),
    fc.record({ kind: fc.constant('not' as const), criterion: tie('node') }),
  ),
}));
const definition = fc
  .record({
    version: opt(fc.constant(1 as const)),
    name: opt(fc.constantFrom('T2DM', '肺癌队列')),
    index: opt(fc.record({ event })),
    calendar: opt(
      fc
        .record({
          from: opt(fc.constantFrom('2020-01-01', '2023-02-29')),
          to: opt(fc.constantFrom('2019-12-31', '2023-12-31')),
        })
        .map(clean),
    ),
    criteria: fc.array(tree.node, { maxLength: 4 }),
  })
  .map((d) => JSON.parse(JSON.stringify(d)) as CohortDefinition);

test('round trip: a definition through the editor and back is the same definition', () => {
  fc.assert(
    fc.property(definition, (def) => {
      assert.deepEqual(toDefinition(fromDefinition(def, createIdSource())), def);
    }),
    { numRuns: 500 },
  );
});

test('round trip: editor → definition → editor → definition is stable', () => {
  fc.assert(
    fc.property(definition, (def) => {
      const once = toDefinition(fromDefinition(def, createIdSource()));
      assert.deepEqual(toDefinition(fromDefinition(once, createIdSource('m'))), once);
    }),
    { numRuns: 200 },
  );
});

test('the editor finds a problem exactly when the hub schema refuses the definition', () => {
  fc.assert(
    fc.property(definition, (def) => {
      const problems = validateEditor(fromDefinition(def, createIdSource()));
      assert.equal(problems.length === 0, accepts(def), JSON.stringify({ def, problems }));
    }),
    { numRuns: 1_000 },
  );
});

test('the editor limits are the hub schema limits', () => {
  assert.equal(EDITOR_DEPTH_MAX, COHORT_DEPTH_MAX);
  assert.equal(EDITOR_NODES_MAX, COHORT_NODES_MAX);
  assert.equal(EDITOR_CHILDREN_MAX, GROUP_CRITERIA_MAX);
  assert.equal(EDITOR_AGE_MAX, AGE_YEARS_MAX);
  assert.equal(EDITOR_AT_LEAST_MAX, AT_LEAST_MAX);
  assert.equal(EDITOR_WINDOW_DAYS_MAX, WINDOW_DAYS_MAX);
});

test('too deep, too many nodes and too many children are found, as the schema finds them', () => {
  const sex: CohortNode = { kind: 'sex', values: ['F'] };
  let deep: CohortNode = sex;
  for (let i = 0; i <= COHORT_DEPTH_MAX; i++) deep = { kind: 'and', criteria: [deep] };
  const deepDef: CohortDefinition = { criteria: [deep] };
  assert.equal(accepts(deepDef), false);
  assert.deepEqual(
    validateEditor(fromDefinition(deepDef, createIdSource())).map((p) => p.code),
    ['tooDeep'],
  );
  const many: CohortDefinition = {
    criteria: Array.from({ length: 22 }, () => ({ kind: 'or' as const, criteria: [sex, sex] })),
  };
  assert.equal(accepts(many), false);
  assert.deepEqual(
    validateEditor(fromDefinition(many, createIdSource())).map((p) => p.code),
    ['tooManyNodes'],
  );
  const wide: CohortDefinition = { criteria: Array.from({ length: GROUP_CRITERIA_MAX + 1 }, () => sex) };
  assert.equal(accepts(wide), false);
  assert.ok(validateEditor(fromDefinition(wide, createIdSource())).some((p) => p.code === 'groupTooLarge'));
  // A NOT of several children is not(or(…)): its hidden OR is a level deeper.
  let nested: CohortNode = { kind: 'not', criterion: { kind: 'or', criteria: [sex, sex] } };
  for (let i = 0; i < COHORT_DEPTH_MAX - 1; i++) nested = { kind: 'and', criteria: [nested] };
  assert.equal(accepts({ criteria: [nested] }), false);
  assert.deepEqual(
    validateEditor(fromDefinition({ criteria: [nested] }, createIdSource())).map((p) => p.code),
    ['tooDeep'],
  );
});

test('a NOT group of several children is "none of them": not(or(…))', () => {
  const ids = createIdSource();
  let state = emptyEditor(ids);
  const not = { id: ids(), type: 'group' as const, op: 'and' as const, children: [] };
  state = addChild(state, state.root.id, not);
  state = setGroupOp(state, not.id, 'not');
  state = addChild(state, not.id, { id: ids(), type: 'criterion', criterion: newCriterion('sex', 'index') });
  assert.deepEqual(toDefinition(state).criteria, [{ kind: 'not', criterion: { kind: 'sex', values: ['F'] } }]);
  state = addChild(state, not.id, {
    id: ids(),
    type: 'criterion',
    criterion: { kind: 'diagnosis', codes: ['I10'], descendants: true },
  });
  assert.deepEqual(toDefinition(state).criteria, [
    {
      kind: 'not',
      criterion: {
        kind: 'or',
        criteria: [
          { kind: 'sex', values: ['F'] },
          { kind: 'diagnosis', codes: ['I10'], descendants: true },
        ],
      },
    },
  ]);
  assert.ok(accepts(toDefinition(state)));
});

test('editing: add, move, remove, change a group operator; the root stays an AND', () => {
  const ids = createIdSource();
  let state = emptyEditor(ids);
  const a = { id: ids(), type: 'criterion' as const, criterion: newCriterion('age', '2024-01-01') };
  const b = { id: ids(), type: 'criterion' as const, criterion: newCriterion('visit', 'index') };
  state = addChild(addChild(state, state.root.id, a), state.root.id, b);
  assert.deepEqual(
    toDefinition(state).criteria.map((c) => c.kind),
    ['age', 'visit'],
  );
  state = moveNode(state, b.id, -1);
  assert.deepEqual(
    toDefinition(state).criteria.map((c) => c.kind),
    ['visit', 'age'],
  );
  assert.equal(moveNode(state, b.id, -1).root.children[0]?.id, b.id);
  assert.equal(setGroupOp(state, state.root.id, 'or').root.op, 'and');
  assert.equal(removeNode(state, state.root.id), state);
  state = removeNode(state, b.id);
  assert.deepEqual(toDefinition(state), { criteria: [{ kind: 'age', at: '2024-01-01', range: { min: 18 } }] });
  assert.deepEqual(validateEditor(state), []);
});

test('new criteria name what is missing; codes are collected for name lookup', () => {
  const ids = createIdSource();
  let state = emptyEditor(ids);
  for (const kind of ['diagnosis', 'lab', 'age'] as const) {
    state = addChild(state, state.root.id, { id: ids(), type: 'criterion', criterion: newCriterion(kind, 'index') });
  }
  assert.deepEqual(
    validateEditor(state).map((p) => p.code),
    ['codesEmpty', 'codeMissing', 'ageNeedsIndex'],
  );
  state = { ...state, index: { kind: 'diagnosis', codes: ['E11'], descendants: true } };
  state = addChild(state, state.root.id, {
    id: ids(),
    type: 'criterion',
    criterion: { kind: 'lab', code: '4548-4', range: { min: 7 } },
  });
  assert.deepEqual(editorCodes(state), ['E11', '4548-4']);
});

test('every problem code is worded in both languages', () => {
  for (const code of PROBLEM_CODES) {
    const key = `cohort.problem.${code}` as keyof typeof messages.en;
    assert.ok(messages.en[key], `en ${key}`);
    assert.ok(messages['zh-CN'][key], `zh ${key}`);
  }
});
