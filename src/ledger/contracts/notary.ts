/**
 * The notarization index: `notarize.batch` records a batch commitment `{ root, size }` with its index data (type,
 * source, storage location, an optional patient token, the time the submitter states) under the batch root, and
 * the application indexes it by institution and by type. A root is notarized once; the entries stay off chain
 * with the submitter, each provable through the two-level receipt (SPEC.md I6).
 */
import { event, type Handler, refuse } from './context.ts';
import type { PayloadOf } from './schemas.ts';
import { type NotaryRecord, notaryKey } from './state.ts';

/** `notarize.batch`: any active member notarizes its own batches. */
export const notarizeBatch: Handler<PayloadOf<'notarize.batch'>> = {
  authorize: () => {},
  apply: (ctx, p) => {
    const key = notaryKey(p.batch.root);
    const existing = ctx.state.get(key) as NotaryRecord | undefined;
    if (existing !== undefined) {
      refuse(
        'MER_CONTRACT_EXISTS',
        `payload.batch.root ${p.batch.root} was notarized by ${existing.institution} at height ${existing.recorded.height}`,
      );
    }
    const record: NotaryRecord = {
      root: p.batch.root,
      size: p.batch.size,
      institution: ctx.body.institution,
      type: p.type,
      source: p.source,
      location: p.location,
      ...(p.patientToken === undefined ? {} : { patientToken: p.patientToken }),
      statedAt: p.at,
      recorded: ctx.stamp,
      contentHash: ctx.contentHash,
    };
    ctx.state.put(key, record);
    return [event('notary.batch', { root: p.batch.root, size: p.batch.size, type: p.type })];
  },
};
