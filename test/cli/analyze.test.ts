/** `meridian analyze`'s pure parts: the definition file's checks (file and JSON path named) and the answer tables. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatAnswer, parseDefinition, textTable } from '../../src/cli/analyze-command.ts';
import { isMeridianError } from '../../src/errors/registry.ts';

const COUNT = {
  kind: 'count',
  requestId: 'req-1',
  projectId: 'proj-1',
  cohort: { criteria: [{ kind: 'diagnosis', codes: ['E11'], descendants: true }] },
  hospitals: ['hospital-a', 'hospital-b'],
};

function refusal(text: string, path: RegExp): void {
  assert.throws(
    () => parseDefinition(text, 'study.json'),
    (e) => {
      assert.ok(isMeridianError(e, 'MER_CLI_DEFINITION_INVALID'), String(e));
      assert.match(e.message, /^study\.json: /);
      assert.match(e.message, path);
      return true;
    },
  );
}

test('a valid count definition parses; the kind selects the route schema', () => {
  const def = parseDefinition(JSON.stringify(COUNT), 'study.json');
  assert.equal(def.kind, 'count');
  assert.deepEqual(def.hospitals, ['hospital-a', 'hospital-b']);
});

test('bad definitions name the file and the JSON path', () => {
  refusal('{"kind": "count",', /\$: not valid JSON/);
  refusal(JSON.stringify({ ...COUNT, kind: 'regression' }), /\$\.kind: is not one of count, glm, km, cox, descriptive/);
  refusal(JSON.stringify({ ...COUNT, hospitals: ['hospital-a', 7] }), /\$\.hospitals\[1\]: /);
  refusal(JSON.stringify({ ...COUNT, extra: true }), /\$: .*extra/);
  refusal(JSON.stringify({ ...COUNT, kind: 'glm', variables: [], parameters: {} }), /\$\.variables: /);
  refusal(
    JSON.stringify({ ...COUNT, cohort: { criteria: [{ kind: 'diagnosis', codes: ["E11' or 1=1"] }] } }),
    /\$\.cohort: .*criteria\[0\]\.codes\[0\]/,
  );
});

test('a count answer prints one line per hospital, the total and how to re-run the missing one', () => {
  const text = formatAnswer('count', {
    taskId: 'task-9',
    byHospital: [
      { hospital: 'hospital-a', status: 'answered', count: 42 },
      { hospital: 'hospital-b', status: 'answered', count: { suppressed: true } },
      { hospital: 'hospital-c', status: 'missing', code: 'MER_NODE_UNAVAILABLE', message: 'down' },
    ],
    total: 42,
    suppressed: ['hospital-b'],
    missing: ['hospital-c'],
    partial: true,
    ledger: { release: null, unreleased: 'hospital-c did not answer' },
  });
  const lines = text.split('\n');
  assert.match(lines.find((l) => l.startsWith('hospital-a')) ?? '', /answered\s+42$/);
  assert.match(lines.find((l) => l.startsWith('hospital-b')) ?? '', /suppressed$/);
  assert.match(text, /total 42 \(a lower bound\)/);
  assert.match(text, /tasks\/task-9\/rerun/);
  assert.match(text, /not released: hospital-c did not answer/);
});

test('a GLM answer prints its coefficient table', () => {
  const text = formatAnswer('glm', {
    taskId: 'task-g',
    n: 500,
    rounds: 6,
    result: {
      coefficients: [
        {
          name: '(intercept)',
          estimate: -4.2,
          standardError: 0.5,
          statistic: -8.4,
          pValue: 1e-17,
          lower: -5.2,
          upper: -3.2,
        },
        { name: 'hba1c', estimate: 0.41, standardError: 0.06, statistic: 6.8, pValue: 1e-11, lower: 0.29, upper: 0.53 },
      ],
    },
    ledger: { release: { txHash: 'abc' }, unreleased: null },
  });
  assert.match(text, /^term\s+estimate\s+SE\s+z\s+p\s+95% CI$/m);
  assert.match(text, /^hba1c\s+0\.41\s+0\.06\s+6\.8\s+1e-11\s+\[0\.29, 0\.53\]$/m);
  assert.match(text, /n 500, rounds 6/);
  assert.match(text, /released on the ledger: abc/);
});

test('textTable pads every column to its widest cell', () => {
  assert.equal(textTable(['a', 'bb'], [['ccc', 'd']]), 'a    bb\n---  --\nccc  d');
});
