/**
 * The administrators' routes (/api/admin/*): accounts, the consortium's institutions (from the ledger), the
 * nodes, and the consortium settings; plus the settings every signed-in user may read. Every change and every
 * read of accounts is audited, on success and on refusal.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { MeridianError } from '../../errors/registry.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { audited } from '../audit/audited.ts';
import { ROLES, type Role, RoleSchema } from '../auth/roles.ts';
import { signedIn } from '../auth/signed-in.ts';
import { type AccountChange, NewUserSchema, PasswordSchema, type UserStore } from '../auth/users.ts';
import type { LedgerReader } from '../ledger/reader.ts';
import type { NodeTracker } from '../nodes/node-tracker.ts';
import { consortiumView } from '../nodes/routes.ts';
import { ADMIN_HOSPITAL_ROLES } from './admin-shared.ts';
import { ConsortiumSettingsSchema, type ConsortiumSettingsStore } from './consortium-settings.ts';

/** Most accounts the administrators' list returns. */
export const ACCOUNT_LIST_MAX = 1_000;

const ADMIN = ['admin'] as const;
const SECURITY = [{ bearer: [] }];

const IdParams = z.strictObject({ id: z.string().min(1).max(64) });
const HospitalName = z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'a node name');
const AccountChangeBody = z
  .strictObject({
    displayName: z.string().trim().min(1).max(100).optional(),
    role: RoleSchema.optional(),
    hospital: HospitalName.nullable().optional(),
  })
  .refine((b) => Object.keys(b).length > 0, { message: 'give displayName, role or hospital' });
const PasswordBody = z.strictObject({ password: PasswordSchema });

/** One consortium institution as the admin page lists it. */
export interface InstitutionView {
  name: string;
  role: string;
  status: string;
  publicKey: string;
  /** SHA-256 of the raw Ed25519 public key, hex. */
  keyFingerprint: string;
  sinceHeight: number | null;
}

/** The institutions of a `members` view answer, with their key fingerprints. */
export function institutionsOf(members: readonly unknown[]): InstitutionView[] {
  return members.flatMap((m) => {
    const r = m as { name?: unknown; role?: unknown; status?: unknown; publicKey?: unknown; since?: unknown };
    if (typeof r?.name !== 'string' || typeof r.publicKey !== 'string') return [];
    const since = (r.since as { height?: unknown } | undefined)?.height;
    return [
      {
        name: r.name,
        role: typeof r.role === 'string' ? r.role : 'unknown',
        status: typeof r.status === 'string' ? r.status : 'unknown',
        publicKey: r.publicKey,
        keyFingerprint: createHash('sha256').update(Buffer.from(r.publicKey, 'hex')).digest('hex'),
        sinceHeight: typeof since === 'number' ? since : null,
      },
    ];
  });
}

/** Registers the admin routes and the consortium settings read route. */
export function registerAdminRoutes(
  app: FastifyInstance,
  deps: {
    users: UserStore;
    audit: AuditLog;
    tracker: NodeTracker;
    settings: ConsortiumSettingsStore;
    ledger: LedgerReader | undefined;
    hubName: string;
    now: () => Date;
  },
): void {
  const knownHospital = (role: Role, hospital: string | null | undefined): void => {
    if (!ADMIN_HOSPITAL_ROLES.has(role)) return;
    if (hospital === null || hospital === undefined) {
      throw new MeridianError('MER_USER_INVALID', `hospital: a ${role} acts for one hospital: give its node name`, {
        field: 'hospital',
      });
    }
    const known = deps.tracker.list().map((n) => n.name);
    if (!known.includes(hospital)) {
      throw new MeridianError(
        'MER_USER_HOSPITAL_UNKNOWN',
        `hospital "${hospital}" is not a node the hub knows; known: ${known.join(', ') || 'none yet'}`,
        { hospital, known },
      );
    }
  };

  app.get(
    '/api/admin/users',
    {
      config: { roles: ADMIN },
      schema: { tags: ['admin'], summary: 'Accounts with role, hospital, state and last login', security: SECURITY },
    },
    async (request) =>
      audited(deps.audit, signedIn(request), { action: 'user.list', target: null }, async () => {
        const users = await deps.users.listAccounts(ACCOUNT_LIST_MAX);
        return { answer: { users }, detail: { count: users.length } };
      }),
  );

  app.post(
    '/api/admin/users',
    {
      config: { roles: ADMIN },
      schema: { tags: ['admin'], summary: 'Create an account', security: SECURITY, body: NewUserSchema },
    },
    async (request, reply) => {
      const body = request.body as z.output<typeof NewUserSchema>;
      const user = await audited(
        deps.audit,
        signedIn(request),
        { action: 'user.create', target: body.username, detail: { role: body.role, hospital: body.hospital } },
        async () => {
          knownHospital(body.role, body.hospital);
          const created = await deps.users.create(body);
          return { answer: created, detail: { id: created.id } };
        },
      );
      return reply.code(201).send({ user });
    },
  );

  app.patch(
    '/api/admin/users/:id',
    {
      config: { roles: ADMIN },
      schema: {
        tags: ['admin'],
        summary: "Change an account's display name, role or hospital",
        security: SECURITY,
        params: IdParams,
        body: AccountChangeBody,
      },
    },
    async (request) => {
      const me = signedIn(request);
      const { id } = request.params as z.infer<typeof IdParams>;
      const change = request.body as AccountChange;
      const user = await audited(
        deps.audit,
        me,
        { action: 'user.update', target: id, detail: { ...change } },
        async () => {
          const row = await deps.users.findById(id);
          if (!row) throw new MeridianError('MER_USER_NOT_FOUND', `no user with id ${id}`, { id });
          if (id === me.id && change.role !== undefined && change.role !== 'admin') {
            throw new MeridianError('MER_USER_SELF_LOCKOUT', 'you cannot take away your own admin role', { id });
          }
          const role = change.role ?? RoleSchema.parse(row.role);
          const hospital = change.hospital === undefined ? row.hospital : change.hospital;
          knownHospital(role, hospital);
          const updated = await deps.users.update(id, change);
          return { answer: updated, detail: { username: updated.username } };
        },
      );
      return { user };
    },
  );

  for (const [verb, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    app.post(
      `/api/admin/users/:id/${verb}`,
      {
        config: { roles: ADMIN },
        schema: {
          tags: ['admin'],
          summary: disabled ? 'Disable an account (its sessions stop at once)' : 'Enable an account again',
          security: SECURITY,
          params: IdParams,
        },
      },
      async (request) => {
        const me = signedIn(request);
        const { id } = request.params as z.infer<typeof IdParams>;
        return audited(deps.audit, me, { action: `user.${verb}`, target: id }, async () => {
          if (disabled && id === me.id) {
            throw new MeridianError('MER_USER_SELF_LOCKOUT', 'you cannot disable your own account', { id });
          }
          if (!(await deps.users.setDisabled(id, disabled))) {
            throw new MeridianError('MER_USER_NOT_FOUND', `no user with id ${id}`, { id });
          }
          return { answer: { id, disabled }, detail: {} };
        });
      },
    );
  }

  app.post(
    '/api/admin/users/:id/password',
    {
      config: { roles: ADMIN },
      schema: {
        tags: ['admin'],
        summary: "Reset an account's password (the password rules apply)",
        security: SECURITY,
        params: IdParams,
        body: PasswordBody,
      },
    },
    async (request) => {
      const { id } = request.params as z.infer<typeof IdParams>;
      const { password } = request.body as z.infer<typeof PasswordBody>;
      return audited(deps.audit, signedIn(request), { action: 'user.password-reset', target: id }, async () => {
        await deps.users.setPassword(id, password);
        return { answer: { id, reset: true }, detail: {} };
      });
    },
  );

  app.get(
    '/api/admin/institutions',
    {
      config: { roles: ADMIN },
      schema: {
        tags: ['admin'],
        summary: "The consortium's member institutions from the ledger (read-only)",
        security: SECURITY,
      },
    },
    async (request) =>
      audited(deps.audit, signedIn(request), { action: 'institution.list', target: null }, async () => {
        if (!deps.ledger) {
          throw new MeridianError(
            'MER_LEDGER_UNAVAILABLE',
            'this hub has no consortium ledger configured (hub.ledger)',
          );
        }
        const { source, height, members } = await deps.ledger.members();
        const institutions = institutionsOf(members);
        return { answer: { source, height, institutions }, detail: { source, height, count: institutions.length } };
      }),
  );

  app.get(
    '/api/admin/nodes',
    {
      config: { roles: ADMIN },
      schema: { tags: ['admin'], summary: 'Every hospital node with its live state', security: SECURITY },
    },
    async () => consortiumView(deps.tracker, deps.hubName, deps.now),
  );

  app.get(
    '/api/admin/settings',
    {
      config: { roles: ADMIN },
      schema: { tags: ['admin'], summary: 'The consortium settings and who changed them last', security: SECURITY },
    },
    async () => ({ settings: deps.settings.current() }),
  );

  app.put(
    '/api/admin/settings',
    {
      config: { roles: ADMIN },
      schema: {
        tags: ['admin'],
        summary: 'Change the consortium minimum cell size and ε limits',
        security: SECURITY,
        body: ConsortiumSettingsSchema,
      },
    },
    async (request) => {
      const me = signedIn(request);
      const before = deps.settings.current();
      const settings = await audited(
        deps.audit,
        me,
        { action: 'settings.update', target: 'consortium', detail: { requested: request.body } },
        async () => {
          const after = await deps.settings.update(request.body, me.username);
          const was = { minCell: before.minCell, epsilonDefault: before.epsilonDefault, epsilonMax: before.epsilonMax };
          return { answer: after, detail: { before: was } };
        },
      );
      return { settings };
    },
  );

  app.get(
    '/api/settings/consortium',
    {
      config: { roles: ROLES },
      schema: {
        tags: ['settings'],
        summary: 'The consortium minimum cell size and the default and maximum ε of a data-use request',
        security: SECURITY,
      },
    },
    async () => {
      const { minCell, epsilonDefault, epsilonMax } = deps.settings.current();
      return { settings: { minCell, epsilonDefault, epsilonMax } };
    },
  );
}
