/**
 * Access records for auditors: `access.record` notes that a clinician (the transaction's `user`) viewed a patient's
 * data held at a hospital, with the break-glass flag and its reason code. Records are indexed by patient token;
 * the clinical content itself never reaches the ledger.
 */
import { event, type Handler, memberOf, refuse } from './context.ts';
import type { PayloadOf } from './schemas.ts';
import { type AccessRecord, accessKey } from './state.ts';

/** `access.record`: any active member records a view by one of its users. */
export const accessRecord: Handler<PayloadOf<'access.record'>> = {
  authorize: (ctx) => {
    if (ctx.body.user === undefined) {
      refuse('MER_CONTRACT_FORBIDDEN', 'access.record names the clinician as the signed body user; user is absent');
    }
  },
  apply: (ctx, p) => {
    if (memberOf(ctx, p.hospital) === undefined) {
      refuse('MER_CONTRACT_NOT_FOUND', `payload.hospital: ${p.hospital} is not a member`);
    }
    const user = ctx.body.user as { id: string; role: string };
    const record: AccessRecord = {
      patientToken: p.patientToken,
      hospital: p.hospital,
      institution: ctx.body.institution,
      user: { id: user.id, role: user.role },
      statedAt: p.at,
      breakGlass: p.breakGlass,
      ...(p.reasonCode === undefined ? {} : { reasonCode: p.reasonCode }),
      recorded: ctx.stamp,
      contentHash: ctx.contentHash,
    };
    ctx.state.put(accessKey(ctx.contentHash), record);
    return [event('access.recorded', { hospital: p.hospital, breakGlass: p.breakGlass })];
  },
};
