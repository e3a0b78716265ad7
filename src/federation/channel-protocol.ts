/**
 * The task channel between a hospital node and the hub. The node opens every connection (outbound only, so
 * a hospital needs no inbound port for tasks): it reports its status with heartbeats, long-polls for tasks
 * and posts their results. Every message is one of these Zod schemas; both sides import them.
 *
 *   node                                hub (institution port, mutual TLS)
 *    |-- POST /peer/v1/heartbeat -------->|  status: versions, data volume, address
 *    |-- GET  /peer/v1/tasks?holdMs ----->|  held until a task is queued or holdMs passes
 *    |<------------- { tasks: [...] } ----|
 *    |-- POST /peer/v1/tasks/:id/result ->|
 *    |-- POST /peer/v1/goodbye ---------->|  on graceful shutdown: down at once
 */
import { z } from 'zod';

/** Rows, bytes and files of one lake table. */
export const TableVolumeSchema = z.strictObject({
  rows: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  files: z.number().int().nonnegative(),
});

/** How much data a node holds, from its lake. */
export const DataVolumeSchema = z.strictObject({
  rows: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  tables: z.record(z.string().max(64), TableVolumeSchema),
});

/** Software versions a node runs. */
export const VersionsSchema = z.strictObject({
  meridian: z.string().max(64),
  node: z.string().max(64),
  schema: z.string().max(128).nullable(),
});

/** Body of a heartbeat: everything the hub shows about the node. */
export const HeartbeatSchema = z.strictObject({
  name: z.string().max(63),
  displayName: z.string().min(1).max(200),
  address: z.string().max(300).nullable(),
  startedAt: z.iso.datetime(),
  versions: VersionsSchema,
  dataVolume: DataVolumeSchema,
});

/** The hub's answer to a heartbeat: its clock and how long task polls are held. */
export const HeartbeatReplySchema = z.object({ serverTime: z.string(), pollHoldMs: z.number().int() });

/** A unit of work the hub queues for one node (kinds are defined by the federation protocol). */
export const ChannelTaskSchema = z.object({
  id: z.string().uuid(),
  kind: z.string().max(64),
  createdAt: z.string(),
  payload: z.unknown(),
});

/** Reply to a task poll. */
export const TaskPollReplySchema = z.object({ tasks: z.array(ChannelTaskSchema).max(100) });

/** Query of a task poll: how long the hub may hold it. */
export const TaskPollQuerySchema = z.strictObject({ holdMs: z.coerce.number().int().min(0).max(60_000).optional() });

/** A node's answer to one task. */
export const TaskResultSchema = z.strictObject({
  status: z.enum(['done', 'refused', 'failed']),
  result: z.unknown().optional(),
  error: z.strictObject({ code: z.string().max(64), message: z.string().max(2000) }).optional(),
});

/** A node's heartbeat body. */
export type Heartbeat = z.infer<typeof HeartbeatSchema>;
/** A node's data volume. */
export type DataVolume = z.infer<typeof DataVolumeSchema>;
/** A queued task. */
export type ChannelTask = z.infer<typeof ChannelTaskSchema>;
/** A node's answer to one task. */
export type TaskResult = z.infer<typeof TaskResultSchema>;
