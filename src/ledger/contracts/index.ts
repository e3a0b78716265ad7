/** The ledger's contracts behind the ABCI-shaped seam, with the payload schemas clients build transactions from. */

export { nextAppHash, resultsDigest, stateDigest, writeSetDigest } from './app-hash.ts';
export { createLedgerApplication, type LedgerApplicationOptions } from './application.ts';
export { formatEpsilon } from './budget.ts';
export {
  CONTRACT_HASH_DOMAINS,
  type ContractHashDomain,
  type ContractTxOptions,
  contractHash,
  contractTxBody,
  epsilonToMicros,
  proposalIdOf,
  signContractTx,
} from './client.ts';
export { CONSENT_PURPOSES_MAX } from './consent.ts';
export { BoundedLru, digestsOfBody, SIGNATURE_CACHE_SIZE_DEFAULT, txDigests } from './envelope.ts';
export {
  type ContractParams,
  ContractParamsSchema,
  DEFAULT_CONTRACT_PARAMS,
  GENESIS_INSTITUTIONS_MAX,
  type Genesis,
  type GenesisInput,
  GenesisInstitutionSchema,
  GenesisSchema,
  genesisHash,
  parseGenesis,
} from './genesis.ts';
export { QUERY_PAGE_SIZE_DEFAULT, QUERY_PAGE_SIZE_MAX } from './queries.ts';
export {
  compactDedupKey,
  DEDUP_KEY_HEX_CHARS,
  NONCE_TIME_HEX_CHARS,
  NONCE_TIME_MS_MAX,
  nonceTimeMs,
  nonceWithTime,
} from './replay.ts';
export {
  AccessRecordSchema,
  ALL_PURPOSES,
  ANALYSIS_KINDS_MAX,
  BudgetChargeSchema,
  CODE_PATTERN,
  CONTRACT_ID_PATTERN,
  CodeSchema,
  ConsentSetSchema,
  ContractIdSchema,
  EPSILON_MICROS_MAX,
  EpsilonMicrosSchema,
  ETHICS_APPROVER,
  FEASIBILITY_ANALYSIS_KIND,
  FEASIBILITY_REQUEST_ID,
  HashHexSchema,
  HOSPITALS_MAX,
  IsoTimeSchema,
  isTxKind,
  MEMBER_ROLES,
  type MemberRole,
  MembershipAddSchema,
  MembershipSuspendSchema,
  MICRO_EPSILON_PER_EPSILON,
  NotarizeBatchSchema,
  PATIENT_TOKEN_PATTERN,
  PAYLOAD_SCHEMAS,
  PatientTokenSchema,
  type PayloadOf,
  ProposalApproveSchema,
  RESEARCHER_ROLE,
  RequestDecideSchema,
  RequestSubmitSchema,
  ResultReleaseSchema,
  TASK_PATIENT_TOKENS_MAX,
  TaskAuthorizeSchema,
  TaskFeasibilitySchema,
  TaskReceiptSchema,
  TX_KINDS,
  type TxKind,
  ValidatorsUpdateSchema,
} from './schemas.ts';
export { SNAPSHOT_FORMAT, SnapshotSchema } from './snapshot.ts';
export type {
  AccessRecord,
  BudgetRecord,
  ConsentRecord,
  DecisionRecord,
  MemberRecord,
  NotaryRecord,
  ProposalAction,
  ProposalRecord,
  ReceiptRecord,
  RequestRecord,
  Stamp,
  TaskRecord,
} from './state.ts';
