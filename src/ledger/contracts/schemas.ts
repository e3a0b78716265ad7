/**
 * One Zod schema per transaction kind's payload: `tx.body.kind` names the contract action and its payload must
 * match exactly (strict keys). Clients build payloads against these schemas (see client.ts); the contracts parse
 * every payload again before applying it. Only hashes and index data go on chain, never clinical content: free
 * text (comments, consent forms, break-glass justifications) is referred to by its hash.
 */
import { z } from 'zod';
import { BatchCommitmentSchema } from '../batch.ts';
import { HASH_HEX_PATTERN } from '../hash.ts';
import { PUBLIC_KEY_HEX_PATTERN } from '../signing.ts';
import { InstitutionNameSchema, VALIDATORS_MAX, ValidatorSchema } from '../validator-set.ts';

/** Every transaction kind the contracts handle, in the order the docs list them. */
export const TX_KINDS = [
  'membership.add',
  'membership.suspend',
  'validators.update',
  'proposal.approve',
  'notarize.batch',
  'request.submit',
  'request.decide',
  'task.authorize',
  'task.feasibility',
  'task.receipt',
  'result.release',
  'consent.set',
  'budget.charge',
  'access.record',
] as const;

/** One of {@link TX_KINDS}. */
export type TxKind = (typeof TX_KINDS)[number];

/** Institution roles on the ledger (the CA's `node` role is a `hospital` here). */
export const MEMBER_ROLES = ['hub', 'hospital'] as const;

/** One of {@link MEMBER_ROLES}. */
export type MemberRole = (typeof MEMBER_ROLES)[number];

/** The approver name of the ethics committee, which decides through the hub with a user of role `ethics`. */
export const ETHICS_APPROVER = 'ethics';

/** The user role that may submit data-use requests through the hub. */
export const RESEARCHER_ROLE = 'researcher';

/**
 * The request id every feasibility count carries (`task.feasibility`): a count a researcher may run before any
 * data-use request exists, released under each hospital's ordinary count disclosure. No request may take this id.
 */
export const FEASIBILITY_REQUEST_ID = 'feasibility';

/** The only analysis kind a feasibility task may be. */
export const FEASIBILITY_ANALYSIS_KIND = 'count';

/** Consent purpose that covers every purpose (a withdrawal under it blocks all of them). */
export const ALL_PURPOSES = 'all';

/** Privacy budget unit: one ε is 1,000,000 micro-ε, so budgets add and subtract exactly as integers. */
export const MICRO_EPSILON_PER_EPSILON = 1_000_000;

/** The largest ε amount (in micro-ε) one grant or charge may carry: ε = 10⁶. */
export const EPSILON_MICROS_MAX = 1_000_000_000_000;

/** Most analysis kinds one request may list. */
export const ANALYSIS_KINDS_MAX = 32;

/** Most hospitals one request or task may list. */
export const HOSPITALS_MAX = 64;

/** Most patient tokens one task may list (for the consent check). */
export const TASK_PATIENT_TOKENS_MAX = 1_024;

/** An id chosen by the submitter (request, task, project): 1–128 letters, digits, `.`, `_`, `:` or `-`. */
export const CONTRACT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** A code word (purpose, analysis kind, notarization type, reason): lowercase letters, digits and dashes. */
export const CODE_PATTERN = /^[a-z][a-z0-9-]{0,63}$/;

/** A patient token: the keyed HMAC of a patient's identifiers (hex or base64url), never an identifier itself. */
export const PATIENT_TOKEN_PATTERN = /^[A-Za-z0-9_-]{16,128}$/;

const TEXT_PATTERN = /^[^\p{Cc}]+$/u;

/** Zod schema of an id chosen by the submitter. */
export const ContractIdSchema = z.string().regex(CONTRACT_ID_PATTERN, 'an id is 1–128 letters, digits, . _ : or -');

/** Zod schema of a code word. */
export const CodeSchema = z.string().regex(CODE_PATTERN, 'a code is a lowercase word (letters, digits, dashes)');

/** Zod schema of a SHA-256 hash in lowercase hex. */
export const HashHexSchema = z.string().regex(HASH_HEX_PATTERN, 'a hash is 64 lowercase hex characters');

/** Zod schema of a patient token. */
export const PatientTokenSchema = z
  .string()
  .regex(PATIENT_TOKEN_PATTERN, 'a patient token is 16–128 hex or base64url characters (an HMAC, not an identifier)');

/** Zod schema of a time stated by a submitter: ISO 8601 date-time with `Z` or an offset. */
export const IsoTimeSchema = z.iso.datetime({ offset: true, message: 'a time is ISO 8601 with Z or an offset' });

/** Zod schema of an ε amount in micro-ε. */
export const EpsilonMicrosSchema = z.number().int().min(0).max(EPSILON_MICROS_MAX);

function text(max: number) {
  return z.string().min(1).max(max).regex(TEXT_PATTERN, 'text without control characters');
}

function uniqueArray<T extends z.ZodType<string>>(item: T, min: number, max: number) {
  return z
    .array(item)
    .min(min)
    .max(max)
    .superRefine((items, ctx) => {
      const seen = new Set<string>();
      items.forEach((v, i) => {
        if (seen.has(v)) ctx.addIssue({ code: 'custom', path: [i], message: `${JSON.stringify(v)} appears twice` });
        seen.add(v);
      });
    });
}

/** `membership.add`: proposes a new institution (executes once a quorum of members approved). */
export const MembershipAddSchema = z.strictObject({
  name: InstitutionNameSchema,
  role: z.enum(MEMBER_ROLES),
  publicKey: z.string().regex(PUBLIC_KEY_HEX_PATTERN, 'a public key is 64 lowercase hex characters (raw Ed25519)'),
});

/** `membership.suspend`: proposes to suspend a member (its transactions are refused once executed). */
export const MembershipSuspendSchema = z.strictObject({
  name: InstitutionNameSchema,
  reasonCode: CodeSchema,
});

/** `validators.update`: proposes the whole next validator set, sorted by name, each an active member. */
export const ValidatorsUpdateSchema = z.strictObject({
  validators: z
    .array(ValidatorSchema)
    .min(1)
    .max(VALIDATORS_MAX)
    .superRefine((vals, ctx) => {
      const keys = new Set<string>();
      vals.forEach((v, i) => {
        const prev = vals[i - 1];
        if (prev !== undefined && !(prev.name < v.name)) {
          ctx.addIssue({ code: 'custom', path: [i, 'name'], message: 'validators are sorted by name, each once' });
        }
        if (keys.has(v.publicKey)) ctx.addIssue({ code: 'custom', path: [i, 'publicKey'], message: 'a key twice' });
        keys.add(v.publicKey);
      });
    }),
});

/** `proposal.approve`: a member's approval of an open proposal (id = content hash of the proposing tx). */
export const ProposalApproveSchema = z.strictObject({ proposalId: HashHexSchema });

/** `notarize.batch`: commits to a batch of entries kept off chain by the submitter. */
export const NotarizeBatchSchema = z.strictObject({
  batch: BatchCommitmentSchema,
  type: CodeSchema,
  source: text(100),
  location: text(1_000),
  patientToken: PatientTokenSchema.optional(),
  at: IsoTimeSchema,
});

/** `request.submit`: a researcher's data-use request, submitted by the hub with the researcher as `user`. */
export const RequestSubmitSchema = z
  .strictObject({
    requestId: ContractIdSchema,
    projectId: ContractIdSchema,
    purpose: CodeSchema,
    cohortHash: HashHexSchema,
    analysisKinds: uniqueArray(CodeSchema, 1, ANALYSIS_KINDS_MAX),
    hospitals: uniqueArray(InstitutionNameSchema, 1, HOSPITALS_MAX),
    periodStart: IsoTimeSchema,
    periodEnd: IsoTimeSchema,
    epsilonMicros: EpsilonMicrosSchema,
  })
  .superRefine((p, ctx) => {
    if (p.purpose === ALL_PURPOSES) {
      ctx.addIssue({ code: 'custom', path: ['purpose'], message: `"${ALL_PURPOSES}" is not a request purpose` });
    }
    if (!(Date.parse(p.periodEnd) > Date.parse(p.periodStart))) {
      ctx.addIssue({ code: 'custom', path: ['periodEnd'], message: 'periodEnd must be after periodStart' });
    }
  });

/** `request.decide`: one required approver's decision; the ethics committee may grant less ε than asked. */
export const RequestDecideSchema = z.strictObject({
  requestId: ContractIdSchema,
  decision: z.enum(['approve', 'refuse']),
  commentHash: HashHexSchema,
  epsilonMicros: EpsilonMicrosSchema.optional(),
});

/** `task.authorize`: the hub authorizes one task under an approved request, within its scope. */
export const TaskAuthorizeSchema = z.strictObject({
  taskId: ContractIdSchema,
  requestId: ContractIdSchema,
  taskHash: HashHexSchema,
  analysisKind: CodeSchema,
  hospitals: uniqueArray(InstitutionNameSchema, 1, HOSPITALS_MAX),
  patientTokens: uniqueArray(PatientTokenSchema, 0, TASK_PATIENT_TOKENS_MAX).optional(),
});

/**
 * `task.feasibility`: the hub authorizes a feasibility count for a researcher (the signed body's `user`) without a
 * data-use request; the record carries {@link FEASIBILITY_REQUEST_ID} and the kind {@link FEASIBILITY_ANALYSIS_KIND}.
 */
export const TaskFeasibilitySchema = z.strictObject({
  taskId: ContractIdSchema,
  projectId: ContractIdSchema,
  taskHash: HashHexSchema,
  hospitals: uniqueArray(InstitutionNameSchema, 1, HOSPITALS_MAX),
});

/** `task.receipt`: a hospital's execution receipt for a task, with the hash of what it returned. */
export const TaskReceiptSchema = z.strictObject({
  taskId: ContractIdSchema,
  resultHash: HashHexSchema,
  status: z.enum(['succeeded', 'failed']),
});

/** `result.release`: the hub releases a task's result once every hospital's receipt succeeded. */
export const ResultReleaseSchema = z.strictObject({
  taskId: ContractIdSchema,
  resultHash: HashHexSchema,
  location: text(1_000).optional(),
});

/** `consent.set`: a patient's consent for a purpose (or `all`), granted or withdrawn. */
export const ConsentSetSchema = z.strictObject({
  patientToken: PatientTokenSchema,
  purpose: CodeSchema,
  status: z.enum(['granted', 'withdrawn']),
  evidenceHash: HashHexSchema.optional(),
});

/** `budget.charge`: spends ε (micro-ε) of a task's project budget. */
export const BudgetChargeSchema = z.strictObject({
  taskId: ContractIdSchema,
  epsilonMicros: EpsilonMicrosSchema.min(1),
});

/** `access.record`: a clinician (the tx `user`) viewed a patient's data held at a hospital. */
export const AccessRecordSchema = z
  .strictObject({
    patientToken: PatientTokenSchema,
    hospital: InstitutionNameSchema,
    at: IsoTimeSchema,
    breakGlass: z.boolean(),
    reasonCode: CodeSchema.optional(),
  })
  .superRefine((p, ctx) => {
    if (p.breakGlass && p.reasonCode === undefined) {
      ctx.addIssue({ code: 'custom', path: ['reasonCode'], message: 'a break-glass access needs a reasonCode' });
    }
  });

/** The payload schema of every kind; the compiler checks that no kind is missing. */
export const PAYLOAD_SCHEMAS = {
  'membership.add': MembershipAddSchema,
  'membership.suspend': MembershipSuspendSchema,
  'validators.update': ValidatorsUpdateSchema,
  'proposal.approve': ProposalApproveSchema,
  'notarize.batch': NotarizeBatchSchema,
  'request.submit': RequestSubmitSchema,
  'request.decide': RequestDecideSchema,
  'task.authorize': TaskAuthorizeSchema,
  'task.feasibility': TaskFeasibilitySchema,
  'task.receipt': TaskReceiptSchema,
  'result.release': ResultReleaseSchema,
  'consent.set': ConsentSetSchema,
  'budget.charge': BudgetChargeSchema,
  'access.record': AccessRecordSchema,
} as const satisfies Record<TxKind, z.ZodType>;

/** The payload type of a kind, as its schema parses it. */
export type PayloadOf<K extends TxKind> = z.infer<(typeof PAYLOAD_SCHEMAS)[K]>;

/** True iff `kind` is one of {@link TX_KINDS}. */
export function isTxKind(kind: string): kind is TxKind {
  return (TX_KINDS as readonly string[]).includes(kind);
}
