/**
 * The AUC from per-class histograms of scores on a fixed grid, for when only pooled counts may be seen (secure
 * aggregation sums each site's histograms): a positive beats every negative in a lower bin and ties half the
 * negatives in its own bin. Pairs in one bin are the only ones whose order the grid hides, so the exact
 * (Mann–Whitney) AUC lies within ½·Σ pos_b·neg_b / (P·N) of the result — the returned `error`.
 *
 *   bins over [0, 1]:  |  b₀  |  b₁  | … | b_{B−1} |     probability p → bin ⌊p·B⌋ (p = 1 in the last)
 *   AUC = Σ_b pos_b · (Σ_{c<b} neg_c + ½ neg_b) / (P·N)
 */
import { MeridianError } from '../../errors/registry.ts';

/** Most bins a score histogram may have. */
export const SCORE_BINS_MAX = 100_000;

/** The bin of a probability in [0, 1] on a grid of `bins` equal bins (the last one closed). */
export function scoreBin(probability: number, bins: number): number {
  if (!(probability >= 0 && probability <= 1)) {
    throw new MeridianError('MER_FEDAVG_INVALID_INPUT', `a score must be a probability in [0, 1], not ${probability}`, {
      field: 'probability',
    });
  }
  return Math.min(bins - 1, Math.floor(probability * bins));
}

/** An AUC read from histograms and the largest distance to the exact AUC of the scores behind them. */
export interface HistogramAuc {
  readonly auc: number;
  readonly error: number;
}

/** The AUC of per-class score histograms, or null when a class is empty (the AUC is undefined). */
export function aucFromHistograms(positives: readonly number[], negatives: readonly number[]): HistogramAuc | null {
  if (positives.length !== negatives.length || positives.length < 1 || positives.length > SCORE_BINS_MAX) {
    throw new MeridianError(
      'MER_FEDAVG_INVALID_INPUT',
      `histograms must have the same 1 to ${SCORE_BINS_MAX} bins, not ${positives.length} and ${negatives.length}`,
      { field: 'bins' },
    );
  }
  for (const [name, counts] of [
    ['positives', positives],
    ['negatives', negatives],
  ] as const) {
    counts.forEach((c, b) => {
      if (!Number.isSafeInteger(c) || c < 0) {
        throw new MeridianError('MER_FEDAVG_INVALID_INPUT', `${name}[${b}] must be a whole count ≥ 0, not ${c}`, {
          field: `${name}[${b}]`,
        });
      }
    });
  }
  let below = 0;
  let wins = 0;
  let ties = 0;
  for (let b = 0; b < positives.length; b++) {
    const pos = positives[b] as number;
    const neg = negatives[b] as number;
    wins += pos * below;
    ties += pos * neg;
    below += neg;
  }
  const p = positives.reduce((s, c) => s + c, 0);
  const pairs = p * below;
  if (pairs === 0) return null;
  return { auc: (wins + ties / 2) / pairs, error: ties / 2 / pairs };
}
