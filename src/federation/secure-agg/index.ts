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
export { aggregateMasked, type MaskRound, maskValues, maskVector, sumMasked } from './secure-sum.ts';
