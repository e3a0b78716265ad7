/**
 * The result shape every ledger verifier returns: `{ ok: true, … }` or the first failing check with a stable
 * error code, so an offline verifier (CLI, portal, auditor) can say exactly what is wrong without exceptions.
 */
import { type ErrorCode, MeridianError } from '../errors/registry.ts';

/** A failed verification: the registry code of the first failing check and a message naming the field. */
export interface VerificationFailure {
  readonly ok: false;
  readonly code: ErrorCode;
  readonly message: string;
}

/** A failed verification with `code` and `message`. */
export function verificationFailure(code: ErrorCode, message: string): VerificationFailure {
  return { ok: false, code, message };
}

/** The MeridianError to throw for a failed verification (servers answer it with its registry status). */
export function verificationError(failure: VerificationFailure, details?: Record<string, unknown>): MeridianError {
  return new MeridianError(failure.code, failure.message, details);
}
