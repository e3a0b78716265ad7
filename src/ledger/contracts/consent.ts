/**
 * Consent per patient token and purpose. `consent.set` records the latest status (granted or withdrawn) of one
 * purpose, or of `all`; the last transaction in ledger order wins. `task.authorize` refuses a task that lists a
 * token whose record for the request's purpose, or for `all`, is withdrawn (either withdrawal blocks); a task that
 * lists no tokens is not checked (cohort-level tasks rely on the node's own consent filter).
 */
import { event, type Handler, refuse } from './context.ts';
import { ALL_PURPOSES, type PayloadOf } from './schemas.ts';
import { type ConsentRecord, consentKey, type StateReader } from './state.ts';

/** The most purposes one patient token may carry consent records for. */
export const CONSENT_PURPOSES_MAX = 64;

/** `consent.set`: any active member records a patient's consent decision it received. */
export const consentSet: Handler<PayloadOf<'consent.set'>> = {
  authorize: () => {},
  apply: (ctx, p) => {
    const key = consentKey(p.patientToken);
    const existing = (ctx.state.get(key) as ConsentRecord | undefined) ?? {
      patientToken: p.patientToken,
      purposes: {},
    };
    const isNew = !Object.hasOwn(existing.purposes, p.purpose);
    if (isNew && Object.keys(existing.purposes).length >= CONSENT_PURPOSES_MAX) {
      refuse(
        'MER_CONTRACT_WRONG_STATE',
        `payload.purpose: patient token already has ${CONSENT_PURPOSES_MAX} purposes; set "${ALL_PURPOSES}" instead`,
      );
    }
    const record: ConsentRecord = {
      patientToken: p.patientToken,
      purposes: {
        ...existing.purposes,
        [p.purpose]: {
          status: p.status,
          institution: ctx.body.institution,
          ...(p.evidenceHash === undefined ? {} : { evidenceHash: p.evidenceHash }),
          set: ctx.stamp,
        },
      },
    };
    ctx.state.put(key, record);
    return [event('consent.set', { purpose: p.purpose, status: p.status })];
  },
};

/** The purpose (`purpose` or `all`) under which `token` withdrew consent, or undefined if it did not. */
export function withdrawnPurpose(state: StateReader, token: string, purpose: string): string | undefined {
  const record = state.get(consentKey(token)) as ConsentRecord | undefined;
  if (record === undefined) return undefined;
  for (const p of [purpose, ALL_PURPOSES]) {
    if (Object.hasOwn(record.purposes, p) && record.purposes[p]?.status === 'withdrawn') return p;
  }
  return undefined;
}
