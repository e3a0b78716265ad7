/** Secure aggregation: fixed-point encoding and pairwise-masked sums over X25519; see README.md. */
export {
  decodeFixedPoint,
  encodeFixedPoint,
  type FixedPoint,
  type FixedPointOptions,
  FRACTION_BITS_DEFAULT,
  FRACTION_BITS_MAX,
  fixedPoint,
  PARTICIPANTS_LIMIT,
  PARTICIPANTS_MAX_DEFAULT,
  VECTOR_LENGTH_MAX,
} from './fixed-point.ts';
export {
  type PairMaskInput,
  pairwiseMask,
  participantsDigest,
  publicKeyFromRaw,
  publicKeyToRaw,
  SECAGG_LABEL_LENGTH_MAX,
  SECAGG_PROTOCOL,
  type SecAggParticipant,
} from './pairwise-masks.ts';
export {
  acceptDataRound,
  acceptRecovery,
  type RecoveryRequest,
  type RecoveryState,
  recoveryStart,
  recoveryThreshold,
  type UnmaskInput,
  unmaskSum,
} from './recovery.ts';
export { aggregateMasked, type MaskRound, maskValues, maskVector, sumMasked } from './secure-sum.ts';
export { selfMask } from './self-mask.ts';
export {
  fieldElementFromBytes,
  fieldElementToBytes,
  SHAMIR_PRIME,
  SHAMIR_SHARES_MAX,
  type ShamirShare,
  shamirCombine,
  shamirInterpolate,
  shamirSplit,
} from './shamir.ts';
export { openShareBox, SHARE_BOX_PLAINTEXT_MAX, type ShareBoxLabels, sealShareBox } from './share-box.ts';
export { privateKeyFromScalar, scalarOfPrivateKey } from './x25519-scalar.ts';
