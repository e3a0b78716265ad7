/**
 * The one error vocabulary of Meridian. Every operating error a user can meet has a stable code
 * (`MER_<AREA>_<WHAT>`), an HTTP status and a short title; docs/errors.md lists the same table and a test
 * keeps the two in sync. Programmer errors (broken invariants) use `assert` instead.
 */

/** Every error code with its HTTP status and a one-line meaning (also rendered into docs/errors.md). */
export const ERROR_REGISTRY = {
  MER_INTERNAL: { status: 500, title: 'An unexpected error; details are in the server log, never in the response' },
  MER_HTTP_BAD_JSON: { status: 400, title: 'The request body is not valid JSON' },
  MER_HTTP_VALIDATION: { status: 400, title: 'A request field is missing or has a value that is not allowed' },
  MER_HTTP_NOT_FOUND: { status: 404, title: 'No such route or resource' },
  MER_HTTP_BODY_TOO_LARGE: { status: 413, title: 'The request body exceeds the size limit' },
  MER_HTTP_UNSUPPORTED_MEDIA: { status: 415, title: 'The request body has a content type this route does not accept' },
  MER_HTTP_METHOD_NOT_ALLOWED: { status: 405, title: 'The route exists but not for this method' },
  MER_CONFIG_INVALID: { status: 500, title: 'A configuration value is not allowed' },
  MER_CONFIG_UNKNOWN_KEY: { status: 500, title: 'A configuration key (file or MERIDIAN_* variable) is not known' },
  MER_CONFIG_FILE_UNREADABLE: { status: 500, title: 'The configuration file cannot be read or is not valid JSON' },
  MER_AUTH_BAD_CREDENTIALS: { status: 401, title: 'Unknown user or wrong password' },
  MER_AUTH_TOKEN_MISSING: { status: 401, title: 'The route needs a session token (Authorization: Bearer …)' },
  MER_AUTH_TOKEN_EXPIRED: { status: 401, title: 'The session token has expired; log in again' },
  MER_AUTH_TOKEN_INVALID: { status: 401, title: 'The session token is malformed or its signature does not verify' },
  MER_AUTH_FORBIDDEN: { status: 403, title: "The user's role is not allowed on this route" },
  MER_AUTH_USER_DISABLED: { status: 403, title: 'The account is disabled' },
  MER_AUTH_LOCKED: { status: 429, title: 'Too many failed logins for this account; try again later' },
  MER_AUTH_STATE_INVALID: {
    status: 400,
    title: 'The login attempt is unknown, expired or was already used; start again',
  },
  MER_AUTH_PROVIDER_UNAVAILABLE: { status: 501, title: 'The requested login provider is not configured' },
  MER_USER_EXISTS: { status: 409, title: 'A user with this name already exists' },
  MER_USER_INVALID: { status: 400, title: 'A user field (name, role, hospital, password) is not allowed' },
  MER_TLS_CLIENT_CERT_REQUIRED: { status: 401, title: 'The peer presented no certificate from the consortium CA' },
  MER_TLS_PEER_FORBIDDEN: { status: 403, title: "The peer certificate's role or name is not allowed here" },
  MER_CA_EXISTS: { status: 409, title: 'A consortium CA already exists in this directory' },
  MER_CA_MISSING: { status: 404, title: 'No consortium CA in this directory; run `meridian ca init` first' },
  MER_CA_IDENTITY_EXISTS: { status: 409, title: 'An identity with this name was already issued' },
  MER_CA_IDENTITY_UNKNOWN: { status: 404, title: 'No identity with this name was issued by this CA' },
  MER_CA_INVALID_NAME: { status: 400, title: 'An identity name must be 2–63 lowercase letters, digits or dashes' },
  MER_CA_CERT_INVALID: {
    status: 400,
    title: 'A certificate is not valid: wrong issuer, expired, not yet valid or revoked',
  },
  MER_CA_INVALID_OPTION: { status: 400, title: 'A CA option is not allowed (validity days, host names, common name)' },
  MER_CA_BUSY: { status: 409, title: 'Another process is changing this CA directory; try again' },
  MER_STORE_MIGRATION_FAILED: { status: 500, title: 'A database migration failed and was rolled back' },
  MER_STORE_UNAVAILABLE: { status: 503, title: 'The operational database cannot be reached' },
  MER_LAKE_INVALID_PATH: { status: 400, title: 'A lake table or partition name is not allowed' },
  MER_LAKE_TABLE_UNKNOWN: { status: 404, title: 'No such table in the lake' },
  MER_LAKE_WRITE_FAILED: { status: 500, title: 'A lake write failed; nothing of it is visible' },
  MER_NODE_NAME_MISMATCH: {
    status: 403,
    title: "The announced node name differs from the name in the node's certificate",
  },
  MER_NODE_UNKNOWN: { status: 404, title: 'No node with this name has announced itself' },
  MER_NODE_TIMEOUT: { status: 504, title: 'A node did not answer a task in time' },
  MER_HUB_QUEUE_FULL: { status: 503, title: "A node's task queue on the hub is full" },
  MER_TASK_UNKNOWN: { status: 404, title: 'No pending task with this id for this node' },
  MER_TASK_KIND_UNKNOWN: { status: 400, title: 'The node has no handler for this task kind' },
  MER_HUB_UNREACHABLE: { status: 503, title: 'The hub cannot be reached' },
  MER_PIPELINE_NOTARY_CORRUPT: { status: 500, title: 'The local notarization log is damaged before its last record' },
  MER_CLI_USAGE: { status: 400, title: 'A command-line argument is missing or not allowed' },
  MER_DEMO_INVALID_OPTION: {
    status: 400,
    title:
      'A demo data generator option is not allowed (hospitals, patients, seed, dates, overlap, chunk size, workers)',
  },
  MER_DEMO_PORT_IN_USE: {
    status: 409,
    title: 'A port the demo consortium needs is taken by another program, or given to two of its servers',
  },
  MER_DEMO_OUTPUT_EXISTS: {
    status: 409,
    title: 'The demo data output directory is not empty; pass overwrite to replace',
  },
  MER_SOURCE_UNREADABLE: { status: 400, title: 'A source file does not exist, is a directory, or cannot be read' },
  MER_SOURCE_EMPTY: { status: 400, title: 'A source file is empty: no bytes, no header row, or no content' },
  MER_SOURCE_FORMAT: {
    status: 415,
    title: 'A source file is not in the format it was read as (or no format could be detected)',
  },
  MER_SOURCE_ENCODING: {
    status: 422,
    title: "A text file's encoding is not UTF-8, GBK or GB18030, or differs from the declared one",
  },
  MER_SOURCE_OMOP_TABLE: {
    status: 422,
    title: 'An OMOP file is not a known CDM v5.4 table or lacks one of its required columns',
  },
  MER_SOURCE_OPTION: { status: 400, title: 'A source reader option or an HL7 path is not allowed' },
  MER_SOURCE_MLLP_LISTEN: { status: 500, title: 'The MLLP listener cannot listen on the given host and port' },
  MER_MAPPING_INVALID: { status: 400, title: 'A mapping spec or source profile breaks its schema' },
  MER_INGEST_NO_RULE: { status: 400, title: "No rule of the source profile matches the file's name" },
  MER_INGEST_UNKNOWN_SPEC: { status: 400, title: 'A source profile names a mapping spec that is not stored' },
  MER_INGEST_NO_PROFILE: { status: 404, title: 'The node has no source profile of that name' },
  MER_INGEST_BUSY: { status: 409, title: 'Another load is running on this node' },
  MER_LEDGER_INVALID_JSON: {
    status: 400,
    title: 'A value cannot be canonical JSON (RFC 8785): non-finite, undefined, cycle, lone surrogate, too deep',
  },
  MER_LEDGER_INDEX_OUT_OF_RANGE: { status: 404, title: 'No transaction or entry at this index of the block or batch' },
  MER_LEDGER_BAD_KEY: { status: 400, title: 'A ledger key is not an Ed25519 key in a form the ledger reads' },
  MER_LEDGER_MALFORMED_TX: { status: 400, title: 'A ledger transaction lacks a field or has a value not allowed' },
  MER_LEDGER_TX_TOO_LARGE: { status: 413, title: "A ledger transaction's canonical body exceeds the size limit" },
  MER_LEDGER_MALFORMED_BLOCK: { status: 400, title: 'A block header or commit certificate is not well formed' },
  MER_LEDGER_MALFORMED_VALIDATOR_SET: {
    status: 400,
    title: 'A validator set is not well formed: unsorted, duplicate names or keys, empty or too large',
  },
  MER_LEDGER_MALFORMED_RECEIPT: { status: 400, title: 'A ledger receipt is not well formed' },
  MER_LEDGER_BAD_SIGNATURE: {
    status: 400,
    title: 'A ledger signature does not verify (wrong key, wrong purpose, altered data or forged)',
  },
  MER_LEDGER_DUPLICATE_SIGNATURE: { status: 400, title: 'A validator signed a commit certificate more than once' },
  MER_LEDGER_UNKNOWN_SIGNER: { status: 400, title: 'A signer is not in the validator set, or has no known key' },
  MER_LEDGER_INSUFFICIENT_SIGNATURES: {
    status: 400,
    title: 'A commit certificate has signatures from no more than two thirds of the validators',
  },
  MER_LEDGER_BAD_PROOF: { status: 400, title: 'A Merkle inclusion or consistency proof does not verify' },
  MER_LEDGER_VALIDATOR_SET_MISMATCH: { status: 400, title: 'A block header names another validator set' },
  MER_LEDGER_UNTRUSTED_VALIDATOR_SET: {
    status: 400,
    title: 'The validator set is not trusted and no chain of certified changes leads to it from a trusted one',
  },
  MER_LEDGER_BAD_VALIDATOR_SET_CHAIN: { status: 400, title: 'A chain of validator-set changes is broken' },
  MER_LEDGER_WRONG_CHAIN: { status: 400, title: 'A transaction or validator set belongs to another ledger (chain id)' },
  MER_LEDGER_DUPLICATE_TX: {
    status: 409,
    title: 'The ledger already applied a transaction with this content from this institution (a replay)',
  },
  MER_LEDGER_NONCE_OUT_OF_WINDOW: {
    status: 400,
    title: "A transaction's nonce time is too old or too far ahead of the block time to be accepted",
  },
  MER_LEDGER_MALFORMED_GENESIS: { status: 400, title: 'A ledger genesis document is not well formed' },
  MER_LEDGER_MALFORMED_SNAPSHOT: {
    status: 400,
    title: 'A contract state snapshot is not well formed, is for another genesis, or fails its digest',
  },
  MER_CONTRACT_UNKNOWN_KIND: { status: 400, title: 'No contract handles this transaction kind' },
  MER_CONTRACT_INVALID_PAYLOAD: {
    status: 400,
    title: 'A transaction payload lacks a field or has a value not allowed',
  },
  MER_CONTRACT_MEMBER_SUSPENDED: { status: 403, title: 'The submitting institution is suspended from the consortium' },
  MER_CONTRACT_FORBIDDEN: {
    status: 403,
    title: "The institution's role or the acting user's role may not perform this contract action",
  },
  MER_CONTRACT_NOT_FOUND: {
    status: 404,
    title: 'The request, task, proposal, member or record referred to is unknown',
  },
  MER_CONTRACT_EXISTS: {
    status: 409,
    title: 'The id is taken or the action was already done (decision, receipt, release, notarization, approval)',
  },
  MER_CONTRACT_WRONG_STATE: {
    status: 409,
    title: 'The request, task or proposal is not in a state that allows this action',
  },
  MER_CONTRACT_EXPIRED: { status: 409, title: 'The request or proposal expired before this action' },
  MER_CONTRACT_OUT_OF_SCOPE: {
    status: 403,
    title: "The task is outside its approved request's scope (analysis kind, hospitals or period)",
  },
  MER_CONTRACT_CONSENT_WITHDRAWN: {
    status: 403,
    title: 'A patient listed by the task withdrew consent for the purpose of its request',
  },
  MER_CONTRACT_BUDGET_EXHAUSTED: { status: 409, title: "The charge exceeds the project's remaining privacy budget" },
  MER_CONTRACT_UNKNOWN_QUERY: {
    status: 404,
    title: 'No ledger query view has this path, or a parameter is not allowed',
  },
  MER_LEDGER_WAL_CORRUPT: {
    status: 500,
    title: "A validator's write-ahead log or block store is corrupt before its last record; the validator stops",
  },
  MER_LEDGER_CONFIG: { status: 400, title: 'A ledger configuration (genesis, validators, hosts, keys) is not valid' },
  MER_LEDGER_TX_REFUSED: { status: 422, title: 'A validator refused a transaction (signature, shape, replay, pool)' },
  MER_LEDGER_NOT_FOUND: { status: 404, title: 'No such transaction or block on this validator' },
  MER_LEDGER_TIMEOUT: { status: 504, title: 'A transaction was not committed in time by enough validators' },
  MER_LEDGER_AUDIT_FAILED: { status: 422, title: 'A block of the audited chain does not verify' },
  MER_INGEST_OTHER_HOSPITAL: {
    status: 403,
    title: 'A data steward may only see and change the ingest data of their own hospital',
  },
  MER_NODE_UNAVAILABLE: {
    status: 503,
    title: 'The hospital node is down or did not answer in time; try again when it is up',
  },
  MER_NODE_TASK_FAILED: {
    status: 502,
    title: "The hospital node could not run the task or answered in an unexpected shape; see the node's log",
  },
  MER_PRIVACY_SPEC_INVALID: {
    status: 400,
    title: 'A de-identification spec or extract breaks its schema or names an unknown table, field or column',
  },
  MER_PRIVACY_INVALID_OPTION: {
    status: 400,
    title: 'A de-identification option is not allowed (key length, shift days, k, band width, reference date)',
  },
  MER_PRIVACY_BAD_VALUE: {
    status: 422,
    title: "A value cannot be transformed by its field's rule (not a date, not a region code, wrong type)",
  },
  MER_PRIVACY_NOT_ENCRYPTED: {
    status: 500,
    title: 'A field that must be encrypted at rest holds a value that is not a Meridian ciphertext',
  },
  MER_PRIVACY_DECRYPT_FAILED: {
    status: 500,
    title: 'A ciphertext fails authentication: altered, moved to another table or field, or under another key',
  },
  MER_KEY_MISSING: { status: 500, title: 'The key file or keyring does not exist; the node refuses to start' },
  MER_KEY_PERMISSIONS: {
    status: 500,
    title: 'The key file is readable or writable by others than its owner (it must have mode 0600)',
  },
  MER_KEY_INVALID: {
    status: 500,
    title: 'The key file is not a regular file of exactly 32 bytes, or the keyring file is malformed',
  },
  MER_KEY_WRONG: {
    status: 500,
    title: "The key-encryption key does not match the keyring's key-check value; nothing is decrypted or written",
  },
  MER_KEY_UNKNOWN: { status: 500, title: 'A ciphertext names a data key that is not in the keyring' },
  MER_KEY_EXISTS: { status: 409, title: 'A key file or keyring already exists at this path; it is never overwritten' },
  MER_QUALITY_RULE_INVALID: {
    status: 400,
    title:
      'A quality rule breaks its schema or names an unknown table or field; the message names rule, field and value',
  },
  MER_QUALITY_RULE_UNKNOWN: { status: 404, title: 'No quality rule with this id in the current rule set' },
  MER_QUALITY_RUN_UNKNOWN: { status: 404, title: 'No quality run with this id on this node' },
  MER_IDENTITY_INVALID_ID_NUMBER: {
    status: 400,
    title: 'An ID number (身份证号) is invalid: its length, characters, region code, birth date or check character',
  },
  MER_IDENTITY_KEY_INVALID: {
    status: 500,
    title: 'The consortium linkage key is missing or shorter than 32 bytes; the node refuses to tokenize',
  },
  MER_IDENTITY_KEY_MISMATCH: {
    status: 409,
    title: "A batch of identity tokens was made under another linkage key than the consortium's",
  },
  MER_IDENTITY_INVALID_TOKENS: {
    status: 400,
    title: 'A batch of token records is malformed, too large, or names another hospital than its sender',
  },
  MER_IDENTITY_NOT_FOUND: { status: 404, title: 'No such review item or record in the master patient index' },
  MER_IDENTITY_REVIEW_DECIDED: { status: 409, title: 'The linkage review item was already decided' },
  MER_QUALITY_OTHER_HOSPITAL: {
    status: 403,
    title:
      "Only a hospital's own data steward may see its failing rows, run its checks or change its thresholds and rules",
  },
  MER_PRIVACY_OTHER_HOSPITAL: {
    status: 403,
    title: "Only a hospital's own data steward (or an administrator) may preview a de-identified extract of its data",
  },
  MER_COHORT_INVALID: {
    status: 400,
    title: 'A cohort definition breaks its schema or limits; the message names each path in the tree and its value',
  },
  MER_COHORT_UNIT_UNCONVERTIBLE: {
    status: 422,
    title: "A lab range is given in a unit that cannot be converted to the standard unit of the lab's code",
  },
  MER_COHORT_SEARCH_INVALID: {
    status: 400,
    title: 'A concept search or code lookup is empty, too long, or asks for too many codes or results',
  },
  MER_DISCLOSURE_INVALID_OPTION: {
    status: 400,
    title: 'A disclosure-control option is not allowed (minimum cell, noise σ or clamp, parameter share, rate limit)',
  },
  MER_DISCLOSURE_INVALID_INPUT: {
    status: 400,
    title:
      'A count, table, risk table, GLM design or query given to disclosure control is malformed; the message names it',
  },
  MER_DISCLOSURE_GLM_REFUSED: {
    status: 422,
    title:
      'A GLM was refused: too many parameters for its rows, or a binary variable has a category under the minimum cell',
  },
  MER_DISCLOSURE_RATE_LIMITED: {
    status: 429,
    title: 'The same or a near-identical query was asked too often in the window (averaging attacks); try again later',
  },
  MER_DP_INVALID_OPTION: {
    status: 400,
    title: 'A differential-privacy parameter is not allowed (ε, δ, sensitivity, clamp bounds, decimals)',
  },
  MER_DP_BUDGET_EXHAUSTED: { status: 409, title: 'The ε or δ charge exceeds the remaining privacy budget' },
  MER_SECAGG_INVALID_INPUT: {
    status: 400,
    title:
      'A secure-aggregation input is not allowed (participants, keys, round id, vector lengths, fixed-point options)',
  },
  MER_SECAGG_OVERFLOW: {
    status: 422,
    title: 'A value is not finite or lies outside the fixed-point range of secure aggregation',
  },
  MER_FEDAVG_INVALID_INPUT: {
    status: 400,
    title: 'A federated-learning model, dataset or training option is not allowed',
  },
  MER_ANALYTICS_INVALID_INPUT: {
    status: 400,
    title: 'Analysis input is not allowed: wrong shape, a non-finite value, or y outside the family support',
  },
  MER_ANALYTICS_SINGULAR: {
    status: 422,
    title: 'The model matrix is singular: a column is constant zero or a combination of the others (aliased)',
  },
  MER_ANALYTICS_SEPARATION: {
    status: 422,
    title: 'A coefficient diverges (perfect separation or monotone likelihood); the fit has no finite estimate',
  },
  MER_ANALYTICS_BAD_PART: {
    status: 422,
    title: "A node's partial analysis result has the wrong shape, a non-finite value or other parameters",
  },
  MER_FED_INVALID_TASK: {
    status: 400,
    title: 'A federated task is malformed or too large; the message names the field',
  },
  MER_FED_BAD_ANSWER: {
    status: 502,
    title:
      "A hospital node's answer failed verification (shape, task hash, round, result hash or signature); nothing from it is used",
  },
  MER_FED_NOT_AUTHORIZED: {
    status: 403,
    title: 'The ledger holds no authorization for this task, or it names another hash, kind or set of hospitals',
  },
  MER_FED_OUT_OF_SCOPE: {
    status: 403,
    title: "The analysis is outside the approved data-use request's scope (kind, hospitals or period)",
  },
  MER_FED_NODE_POLICY: {
    status: 403,
    title: "The hospital's local policy does not run this analysis kind without its steward's approval",
  },
  MER_FED_LEDGER_UNAVAILABLE: {
    status: 503,
    title: 'The consortium ledger could not be reached to authorize or check a task; try again',
  },
  MER_PIPELINE_NOTARY_UNREACHABLE: {
    status: 503,
    title: 'The consortium ledger did not commit a notarization in time; the load stopped, run it again',
  },
  MER_PIPELINE_NOTARY_REFUSED: {
    status: 422,
    title: "The consortium ledger refused a node's notarization (unknown institution, key or chain)",
  },
  MER_FED_PARTIAL: {
    status: 503,
    title: 'An exact federated analysis needs every hospital of the task, and at least one did not answer',
  },
  MER_DATASET_INVALID: {
    status: 400,
    title:
      'An analysis-variable list or its cohort query breaks its schema or limits; the message names each variable and field',
  },
  MER_DATASET_UNIT_UNCONVERTIBLE: {
    status: 422,
    title: "A measurement variable asks for a unit its code's standard unit cannot be converted to",
  },
  MER_DATASET_DESIGN_INVALID: {
    status: 400,
    title:
      'A design-matrix request names a column the analysis rows lack, a non-numeric value, or a categorical level not declared',
  },
  MER_ADS_INVALID_OPTION: {
    status: 400,
    title: 'An analysis-layer option is not allowed (lake directory, database file, threads)',
  },
  MER_ADS_REFRESH_FAILED: {
    status: 500,
    title: 'The analysis layer could not be rebuilt from DWD; nothing was answered from stale data, try again',
  },
  MER_ADS_CLOSED: { status: 503, title: 'The analysis layer is closed (the node is shutting down)' },
  MER_DISCLOSURE_COHORT_TOO_SMALL: {
    status: 422,
    title: "A hospital's analysis rows are fewer than the minimum cell size; it releases nothing for this analysis",
  },
  MER_FED_RERUN_NOT_FOUND: {
    status: 404,
    title:
      'The hub keeps no partial count task with this id to re-run (complete, never partial, or dropped as the oldest)',
  },
  MER_FED_RERUN_FORBIDDEN: { status: 403, title: 'Only the researcher who ran a task may re-run it' },
  MER_FED_RERUN_BUSY: { status: 409, title: 'A re-run of this task is already running; wait for its answer' },
  MER_FED_APPROVAL_NOT_FOUND: {
    status: 404,
    title: "The hospital node holds no task with this id waiting for its steward's decision",
  },
  MER_FED_APPROVAL_DECIDED: { status: 409, title: "The hospital's steward already decided this task" },
  MER_FED_OTHER_HOSPITAL: {
    status: 403,
    title: "A data steward may only see and decide the federated tasks waiting at their own hospital's node",
  },
  MER_CLI_DEFINITION_INVALID: {
    status: 400,
    title:
      'An analysis definition file is unreadable, not JSON, or breaks its schema; the message names the file and the JSON path',
  },
  MER_DISCLOSURE_FEDAVG_REFUSED: {
    status: 422,
    title:
      'A hospital refused to train a FedAvg model: an outcome class or binary feature under the minimum cell, or too many parameters for its rows',
  },
  MER_SECAGG_RECOVERY_REFUSED: {
    status: 403,
    title:
      'A hospital refuses a secure-aggregation recovery request that would let the hub unmask one hospital (both kinds of shares of a peer, too few survivors, a peer it saw answer)',
  },
  MER_SECAGG_RECOVERY_FAILED: {
    status: 502,
    title:
      "The hub could not reconstruct a dropped hospital's masks from the survivors' shares (too few, or inconsistent)",
  },
  MER_FED_DP_NOT_CHARGED: {
    status: 403,
    title:
      "A DP task's ε is not covered by its charge on the hospital's ledger replica, or the hospital already released it once",
  },
  MER_LEDGER_UNAVAILABLE: {
    status: 503,
    title: 'The hub has no consortium ledger configured, or no validator answered in time; try again',
  },
  MER_USER_NOT_FOUND: { status: 404, title: 'No user account with this id' },
  MER_USER_HOSPITAL_UNKNOWN: {
    status: 400,
    title: 'The hospital named for a steward or clinician is not a node the hub knows',
  },
  MER_USER_SELF_LOCKOUT: {
    status: 409,
    title: 'An administrator cannot disable their own account or take away their own admin role',
  },
  MER_SETTINGS_INVALID: {
    status: 400,
    title: 'A consortium setting is out of range (minimum cell size 1–1000; 0 < default ε ≤ maximum ε ≤ 100)',
  },
  MER_PANORAMA_NO_HOSPITAL: {
    status: 403,
    title: 'A clinician must be bound to a hospital to search and open patients in the panorama',
  },
  MER_PANORAMA_PATIENT_NOT_FOUND: {
    status: 404,
    title: "No patient with this ID number at the clinician's own hospital",
  },
  MER_PANORAMA_SEARCH_EXPIRED: {
    status: 404,
    title: 'The patient search expired or belongs to another user; search the patient again',
  },
  MER_PANORAMA_BREAK_GLASS_REQUIRED: {
    status: 403,
    title:
      "The patient has no visit at the clinician's hospital: only emergency access (break glass) with a reason code and a reason opens the record",
  },
  MER_PANORAMA_ACCESS_NOT_RECORDED: {
    status: 403,
    title:
      "The hospital's own ledger replica shows no recent access record naming it and the patient: it returns no records",
  },
  MER_PROJECT_NOT_FOUND: { status: 404, title: 'No research project with this id' },
  MER_PROJECT_NOT_MEMBER: {
    status: 403,
    title: 'Only the members of a research project may change it or run analyses in it',
  },
  MER_PROJECT_COHORT_NOT_FOUND: { status: 404, title: 'The project has no saved cohort with this id' },
  MER_PROJECT_DOCUMENT_INVALID: {
    status: 400,
    title: 'A project document is empty, too large, or not valid base64',
  },
  MER_REQUEST_NOT_FOUND: { status: 404, title: 'No data-use request with this id' },
  MER_REQUEST_INVALID: {
    status: 400,
    title: 'A data-use request names an unknown hospital, an analysis kind the platform lacks, or a bad period or ε',
  },
  MER_REQUEST_REFUSED: {
    status: 409,
    title: "The consortium ledger refused a data-use request's submission or decision (its message says why)",
  },
  MER_REQUEST_NOT_APPROVER: {
    status: 403,
    title: 'This user does not decide on this data-use request (ethics committee, or the steward of a listed hospital)',
  },
  MER_CATALOG_TABLE_UNKNOWN: {
    status: 404,
    title: 'No table of this name in the canonical model (the catalog lists every table at /api/catalog)',
  },
  MER_LEDGER_BUSY: {
    status: 503,
    title: 'A validator is too busy to take more transactions now (pool full or queueing); submit again shortly',
  },
} as const satisfies Record<string, { status: number; title: string }>;

/** A stable error code from the registry. */
export type ErrorCode = keyof typeof ERROR_REGISTRY;

/** The JSON body every Meridian server answers an error with. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: Record<string, unknown> };
}

/** An operating error: stable code, HTTP status from the registry, a message a user can act on. */
export class MeridianError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'MeridianError';
    this.code = code;
    this.status = ERROR_REGISTRY[code].status;
    this.details = details;
  }

  /** The response body for this error (never a stack trace). */
  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) } };
  }
}

/** True when `e` is a MeridianError, optionally with the given code. */
export function isMeridianError(e: unknown, code?: ErrorCode): e is MeridianError {
  return e instanceof MeridianError && (code === undefined || e.code === code);
}
