/**
 * Refusing a steward who asks about another hospital than their own: the refusal is audited (who, which route,
 * which node, their hospital) and the error names both hospitals.
 */
import type { FastifyRequest } from 'fastify';
import { type ErrorCode, MeridianError } from '../../errors/registry.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { signedIn } from './signed-in.ts';

/** Audits the refusal of `request` for `node` and returns the error (`code`, with `suffix` appended) to throw. */
export async function otherHospitalRefusal(
  request: FastifyRequest,
  audit: Pick<AuditLog, 'record'>,
  node: string,
  code: ErrorCode,
  suffix = '',
): Promise<MeridianError> {
  const user = signedIn(request);
  await audit.record({
    actor: user.username,
    actorRole: user.role,
    action: `${request.method} ${request.routeOptions.url}`,
    target: node,
    outcome: 'refused',
    detail: { reason: 'hospital', hospital: user.hospital },
  });
  return new MeridianError(
    code,
    `steward "${user.username}" looks after ${user.hospital ?? 'no hospital'}, not ${node}${suffix}`,
    { node, hospital: user.hospital },
  );
}
