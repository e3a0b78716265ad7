/**
 * Update clipping for federated training: a site scales its update Δ down to an L2 norm of at most `maxNorm`
 * before it leaves (a direction kept, a size bounded), so no site — and no single patient in it — can move the
 * global model by more than the bound in one round, and the fixed-point sums of secure aggregation stay in range.
 */
import { MeridianError } from '../../errors/registry.ts';

/** The L2 norm of a vector. */
export function l2Norm(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += (values[i] as number) ** 2;
  return Math.sqrt(sum);
}

/** `delta` scaled by min(1, maxNorm / ‖delta‖₂) as a new array; refuses a non-positive bound or a non-finite update. */
export function clipL2(delta: Float64Array, maxNorm: number): Float64Array {
  if (!Number.isFinite(maxNorm) || maxNorm <= 0) {
    throw new MeridianError('MER_FEDAVG_INVALID_INPUT', `clipNorm must be a finite number > 0, not ${maxNorm}`, {
      field: 'clipNorm',
    });
  }
  const norm = l2Norm(delta);
  if (!Number.isFinite(norm)) {
    throw new MeridianError('MER_FEDAVG_INVALID_INPUT', 'the update to clip is not finite (training diverged)', {
      field: 'delta',
    });
  }
  if (norm <= maxNorm) return Float64Array.from(delta);
  const scale = maxNorm / norm;
  return Float64Array.from(delta, (v) => v * scale);
}
