/**
 * Privacy-budget accounting by basic composition: the ε and δ of every release add up. ε is counted in integer
 * micro-ε exactly as the ledger's budget contract (src/ledger/contracts/budget.ts) counts it, with the same
 * field names, so a ledger `BudgetRecord` is a `PrivacyBudget` and a cost's `epsilonMicros` is the
 * `budget.charge` payload. δ, which the ledger does not track, is counted in integer pico-δ (1 δ = 10¹²).
 */
import { MeridianError } from '../../errors/registry.ts';
import { EPSILON_MICROS_MAX, MICRO_EPSILON_PER_EPSILON } from '../../ledger/contracts/schemas.ts';

/** Pico-δ per δ: δ budgets and costs are whole numbers of 10⁻¹² so they add exactly. */
export const PICO_DELTA_PER_DELTA = 1_000_000_000_000;

/** A budget: ε granted and spent in micro-ε (as on the ledger), δ granted and spent in pico-δ (0 when absent). */
export interface PrivacyBudget {
  readonly totalMicros: number;
  readonly spentMicros: number;
  readonly deltaTotalPicos?: number;
  readonly deltaSpentPicos?: number;
}

/** What one release costs: ε in micro-ε, δ in pico-δ (0 for pure ε-DP mechanisms). */
export interface PrivacyCost {
  readonly epsilonMicros: number;
  readonly deltaPicos: number;
}

/** The outcome of a charge: the budget after it, or a refusal that leaves the budget as it was. */
export type ChargeResult<B extends PrivacyBudget> =
  | { readonly ok: true; readonly budget: B }
  | { readonly ok: false; readonly error: MeridianError };

function whole(name: string, value: number | undefined, max: number): number {
  const v = value ?? 0;
  if (!Number.isSafeInteger(v) || v < 0 || v > max) {
    throw new MeridianError('MER_DP_INVALID_OPTION', `${name} must be a whole number from 0 to ${max}, not ${value}`, {
      field: name,
      value,
    });
  }
  return v;
}

function formatMicros(micros: number): string {
  return String(micros / MICRO_EPSILON_PER_EPSILON);
}

/** ε and δ still available in a budget (after validating it). */
export function remainingBudget(budget: PrivacyBudget): PrivacyCost {
  // A budget sums many grants, so only the safe-integer range bounds it; one cost is bounded like a ledger charge.
  const total = whole('budget.totalMicros', budget.totalMicros, Number.MAX_SAFE_INTEGER);
  const spent = whole('budget.spentMicros', budget.spentMicros, Number.MAX_SAFE_INTEGER);
  const deltaTotal = whole('budget.deltaTotalPicos', budget.deltaTotalPicos, PICO_DELTA_PER_DELTA);
  const deltaSpent = whole('budget.deltaSpentPicos', budget.deltaSpentPicos, PICO_DELTA_PER_DELTA);
  if (spent > total || deltaSpent > deltaTotal) {
    throw new MeridianError(
      'MER_DP_INVALID_OPTION',
      `budget spends more than it grants: ε ${spent}/${total} micro-ε, δ ${deltaSpent}/${deltaTotal} pico-δ`,
      { budget },
    );
  }
  return { epsilonMicros: total - spent, deltaPicos: deltaTotal - deltaSpent };
}

/** Spends `cost` from `budget`: the new budget, or a refusal naming what is left once either ε or δ would overspend. */
export function charge<B extends PrivacyBudget>(budget: B, cost: PrivacyCost): ChargeResult<B> {
  const left = remainingBudget(budget);
  const epsilon = whole('cost.epsilonMicros', cost.epsilonMicros, EPSILON_MICROS_MAX);
  const delta = whole('cost.deltaPicos', cost.deltaPicos, PICO_DELTA_PER_DELTA);
  if (epsilon > left.epsilonMicros) {
    return {
      ok: false,
      error: new MeridianError(
        'MER_DP_BUDGET_EXHAUSTED',
        `cost.epsilonMicros ${epsilon} exceeds the remaining ${left.epsilonMicros} micro-ε (ε ${formatMicros(left.epsilonMicros)})`,
        { requestedMicros: epsilon, remainingMicros: left.epsilonMicros },
      ),
    };
  }
  if (delta > left.deltaPicos) {
    return {
      ok: false,
      error: new MeridianError(
        'MER_DP_BUDGET_EXHAUSTED',
        `cost.deltaPicos ${delta} exceeds the remaining ${left.deltaPicos} pico-δ (δ ${left.deltaPicos / PICO_DELTA_PER_DELTA})`,
        { requestedPicos: delta, remainingPicos: left.deltaPicos },
      ),
    };
  }
  return {
    ok: true,
    budget: {
      ...budget,
      spentMicros: budget.spentMicros + epsilon,
      deltaSpentPicos: (budget.deltaSpentPicos ?? 0) + delta,
      deltaTotalPicos: budget.deltaTotalPicos ?? 0,
    },
  };
}
