/**
 * Reason codes of an emergency ("break glass") view in the patient panorama, as plain data so the portal's
 * bundle shares them. The code goes on the ledger (a lowercase word, as the access contract requires); the
 * clinician's free-text reason stays in the hub's audit trail.
 */

/** The reason codes a clinician picks from when breaking the glass. */
export const BREAK_GLASS_REASONS = [
  'emergency-treatment',
  'unconscious-patient',
  'urgent-transfer',
  'life-threatening',
  'other',
] as const;

/** A break-glass reason code. */
export type BreakGlassReason = (typeof BREAK_GLASS_REASONS)[number];

/** Shortest free-text reason a break-glass view needs. */
export const BREAK_GLASS_REASON_MIN = 4;
/** Longest free-text reason. */
export const BREAK_GLASS_REASON_MAX = 500;
