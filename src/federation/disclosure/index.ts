/** Disclosure control applied at a node before any result leaves it; see README.md for the rules. */
export {
  isSuppressed,
  MIN_CELL_DEFAULT,
  MIN_CELL_MAX,
  minCellOf,
  type ReleasedCount,
  type ReleasedCounts,
  type ReleasedRiskTableRow,
  type ReleasedTable,
  type RiskTableRow,
  SUPPRESSION_COUNTS_MAX,
  type SuppressionOptions,
  suppressCounts,
  suppressRiskTable,
  suppressTable,
} from './cell-suppression.ts';
export { bernoulliExp, sampleDiscreteGaussian, sampleDiscreteLaplace } from './discrete-samplers.ts';
export {
  addDiscreteNoise,
  type ClampedSumOptions,
  type DpMechanism,
  dpClampedSum,
  dpCount,
  gaussianSigmaSquared,
  laplaceScale,
  type NoisyRelease,
  SENSITIVITY_MAX,
  SUM_DECIMALS_MAX,
} from './dp-mechanisms.ts';
export {
  checkGlmDisclosure,
  type GlmGuardInput,
  type GlmGuardOptions,
  type GlmVariable,
  PARAMETER_SHARE_MAX_DEFAULT,
} from './glm-guard.ts';
export {
  OBFUSCATION_CLAMP_DEFAULT,
  OBFUSCATION_FLOOR_DEFAULT,
  OBFUSCATION_ROUND_TO_DEFAULT,
  OBFUSCATION_SIGMA_DEFAULT,
  type ObfuscatedCount,
  type ObfuscationOptions,
  obfuscateCount,
  obfuscateCounts,
} from './obfuscation.ts';
export {
  type ChargeResult,
  charge,
  PICO_DELTA_PER_DELTA,
  type PrivacyBudget,
  type PrivacyCost,
  remainingBudget,
} from './privacy-budget.ts';
export {
  admitQuery,
  DISTINCT_MAX_DEFAULT,
  EMPTY_RATE_LIMIT_STATE,
  NUMBER_DIGITS_DEFAULT,
  queryHash,
  RATE_WINDOW_MS_DEFAULT,
  type RateLimitDecision,
  type RateLimitedQuery,
  type RateLimitOptions,
  type RateLimitState,
  REPEATS_MAX_DEFAULT,
} from './query-rate-limit.ts';
export { cryptoRandomBytes, type RandomBytes, RandomDraws, seededRandomBytes } from './random-source.ts';
export { exactRational, type Rational, rational } from './rational.ts';
