/** The handler of every transaction kind; the mapped type makes the compiler find a kind without a handler. */
import { accessRecord } from './access.ts';
import { budgetCharge } from './budget.ts';
import { consentSet } from './consent.ts';
import type { HandlerTable } from './context.ts';
import { membershipAdd, membershipSuspend, proposalApprove, validatorsUpdate } from './membership.ts';
import { notarizeBatch } from './notary.ts';
import { requestDecide, requestSubmit } from './requests.ts';
import { resultRelease, taskAuthorize, taskFeasibility, taskReceipt } from './tasks.ts';

/** Kind → handler. */
export const HANDLERS: HandlerTable = {
  'membership.add': membershipAdd,
  'membership.suspend': membershipSuspend,
  'validators.update': validatorsUpdate,
  'proposal.approve': proposalApprove,
  'notarize.batch': notarizeBatch,
  'request.submit': requestSubmit,
  'request.decide': requestDecide,
  'task.authorize': taskAuthorize,
  'task.feasibility': taskFeasibility,
  'task.receipt': taskReceipt,
  'result.release': resultRelease,
  'consent.set': consentSet,
  'budget.charge': budgetCharge,
  'access.record': accessRecord,
};
