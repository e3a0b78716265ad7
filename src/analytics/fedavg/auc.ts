/**
 * Exact area under the ROC curve by the Mann–Whitney U statistic: rank all scores (ties share their average
 * rank), sum the positives' ranks, and AUC = (R₊ − n₊(n₊+1)/2) / (n₊·n₋) — the share of (positive, negative)
 * pairs ordered correctly, a tie counting one half. O(n log n); no threshold sweep, no interpolation.
 */
import { MeridianError } from '../../errors/registry.ts';

/** AUC of scores against 0/1 labels; null when one class is absent (the AUC is undefined). */
export function aucMannWhitney(scores: ArrayLike<number>, labels: ArrayLike<number>): number | null {
  const n = scores.length;
  if (labels.length !== n) {
    throw new MeridianError(
      'MER_FEDAVG_INVALID_INPUT',
      `labels.length ${labels.length} must equal scores.length ${n}`,
      {
        field: 'labels.length',
      },
    );
  }
  let positives = 0;
  for (let i = 0; i < n; i++) {
    const s = scores[i] as number;
    const y = labels[i];
    if (Number.isNaN(s))
      throw new MeridianError('MER_FEDAVG_INVALID_INPUT', `scores[${i}] is NaN`, { field: `scores[${i}]` });
    if (y !== 0 && y !== 1) {
      throw new MeridianError('MER_FEDAVG_INVALID_INPUT', `labels[${i}] must be 0 or 1, not ${y}`, {
        field: `labels[${i}]`,
      });
    }
    positives += y;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return null;
  const order = Uint32Array.from({ length: n }, (_, i) => i).sort((a, b) => {
    const sa = scores[a] as number;
    const sb = scores[b] as number;
    return sa < sb ? -1 : sa > sb ? 1 : 0;
  });
  let positiveRanks = 0;
  for (let start = 0; start < n; ) {
    let end = start + 1;
    while (end < n && scores[order[end] as number] === scores[order[start] as number]) end++;
    // ranks start+1 … end share their average (start + 1 + end) / 2
    let tiedPositives = 0;
    for (let k = start; k < end; k++) tiedPositives += labels[order[k] as number] as number;
    positiveRanks += (tiedPositives * (start + 1 + end)) / 2;
    start = end;
  }
  return (positiveRanks - (positives * (positives + 1)) / 2) / (positives * negatives);
}
