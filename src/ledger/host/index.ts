/** The validator host of the consortium ledger: WAL, block store, TLS transport, validator loop, client API. */
export { API_BODY_BYTES_MAX, API_TXS_PER_REQUEST_MAX, buildValidatorApi } from './api.ts';
export { type AuditResult, auditChain } from './audit.ts';
export { BlockStore, type StoredBlock, txTreeOfHashes } from './block-store.ts';
export { type Committed, LedgerClient, SUBMIT_WAIT_MS_DEFAULT, TxRefused, validatorUrls } from './client.ts';
export {
  HOST_CONSENSUS_DEFAULTS,
  institutionKeysOf,
  type LedgerConfig,
  LedgerConfigSchema,
  LedgerValidatorSchema,
  parseLedgerConfig,
  readLedgerConfig,
  validatorSetOf,
} from './config.ts';
export { FramedLog, frame, RECORD_BYTES_MAX, scanFrames } from './framed-log.ts';
export { type RunningValidator, runValidator } from './run.ts';
export { encodeFrame, frameReader, PeerTransport } from './transport.ts';
export {
  type Admission,
  ATTESTATION_VIEW,
  certificateQuorum,
  digestBatch,
  proposerOf,
  txHashOfBytes,
  Validator,
  type ValidatorOptions,
  type ValidatorStatus,
} from './validator.ts';
export { ReplicaWal, WAL_COMPACT_BYTES_DEFAULT } from './wal.ts';
