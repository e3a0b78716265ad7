/**
 * DataSHIELD's disclosure checks for a GLM, run at the node before it computes anything: a model with too
 * many parameters for its rows can reproduce individual values (nfilter.glm, default 0.33 of N), and a
 * binary covariate or outcome with a rare category singles out the few patients in it (nfilter.tab). A
 * variable is binary when every value is 0 or 1; a category with 0 rows counts as rare too (the column is
 * constant, and its absence is itself a small count).
 */
import { MeridianError } from '../../errors/registry.ts';
import { MIN_CELL_DEFAULT, minCellOf } from './cell-suppression.ts';

/** DataSHIELD's default largest ratio of parameters to rows. */
export const PARAMETER_SHARE_MAX_DEFAULT = 0.33;

/** One variable of the model (a design column or the outcome) as the node holds it. */
export interface GlmVariable {
  readonly name: string;
  readonly values: ArrayLike<number>;
}

/** What the guard looks at: rows, parameters (including the intercept) and the model's variables. */
export interface GlmGuardInput {
  readonly rows: number;
  readonly parameters: number;
  readonly variables: readonly GlmVariable[];
}

/** Options of {@link checkGlmDisclosure}. */
export interface GlmGuardOptions {
  /** Largest parameters/rows ratio (default 0.33). */
  readonly parameterShareMax?: number;
  /** Smallest category size of a binary variable (default 5). */
  readonly minCell?: number;
}

function badInput(field: string, value: unknown, rule: string): never {
  throw new MeridianError('MER_DISCLOSURE_INVALID_INPUT', `${field} ${rule}, not ${String(value)}`, { field, value });
}

/** Throws MER_DISCLOSURE_GLM_REFUSED when the model is too rich for its rows or a binary variable has a rare category. */
export function checkGlmDisclosure(input: GlmGuardInput, options?: GlmGuardOptions): void {
  const minCell = minCellOf({ minCell: options?.minCell ?? MIN_CELL_DEFAULT });
  const share = options?.parameterShareMax ?? PARAMETER_SHARE_MAX_DEFAULT;
  if (!Number.isFinite(share) || share <= 0 || share > 1) {
    throw new MeridianError(
      'MER_DISCLOSURE_INVALID_OPTION',
      `parameterShareMax must be a number in (0, 1], not ${share}`,
      { field: 'parameterShareMax', value: share },
    );
  }
  const { rows, parameters, variables } = input;
  if (!Number.isSafeInteger(rows) || rows < 0) badInput('rows', rows, 'must be a whole number ≥ 0');
  if (!Number.isSafeInteger(parameters) || parameters < 1)
    badInput('parameters', parameters, 'must be a whole number ≥ 1');
  if (parameters > share * rows) {
    throw new MeridianError(
      'MER_DISCLOSURE_GLM_REFUSED',
      `the model has ${parameters} parameters for ${rows} rows; at most ${share} × rows = ${Math.floor(share * rows)} are allowed`,
      { parameters, rows, parameterShareMax: share },
    );
  }
  for (const v of variables) {
    if (v.values.length !== rows) badInput(`variables.${v.name}.length`, v.values.length, `must equal rows (${rows})`);
    let ones = 0;
    let binary = true;
    for (let i = 0; i < rows && binary; i++) {
      const x = v.values[i];
      if (x === 1) ones++;
      else if (x !== 0) binary = false;
    }
    if (!binary) continue;
    const zeros = rows - ones;
    const [category, count] = zeros < ones ? [0, zeros] : [1, ones];
    if (count < minCell) {
      throw new MeridianError(
        'MER_DISCLOSURE_GLM_REFUSED',
        `binary variable ${v.name} has ${count} rows with value ${category}; each category needs at least ${minCell}`,
        { variable: v.name, category, count, minCell },
      );
    }
  }
}
