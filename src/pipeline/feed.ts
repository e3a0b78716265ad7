/**
 * The live HL7 v2 feed of a node (`meridian node start --mllp <port>`). Each message the MLLP listener
 * receives is appended to the open feed file under `<dataDir>/inbox/mllp/` and fsynced before the AA goes
 * back, so an acknowledged message survives a crash. A feed file is closed after `batchMessages` messages or
 * `flushMs` of quiet and loaded like any other file (ODS, notarization, mapping, quarantine), then removed
 * from the inbox; files left by a crash are loaded at the next start.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { isMeridianError } from '../errors/registry.ts';
import { createMllpListener, type MllpListener } from '../sources/index.ts';
import { fsyncPath } from '../store/index.ts';
import type { IngestService } from './service.ts';

/** Options of {@link startHl7Feed}. */
export interface Hl7FeedOptions {
  ingest: IngestService;
  inboxDir: string;
  source: string | undefined;
  host: string;
  port: number;
  batchMessages: number;
  flushMs: number;
  log: Logger;
  now?: () => Date;
}

/** A running feed. */
export interface Hl7Feed {
  readonly address: { host: string; port: number };
  /** Stops listening, closes the open file and loads what is pending. */
  close(): Promise<void>;
}

/** Starts the MLLP listener and the feed-file loader. */
export async function startHl7Feed(opts: Hl7FeedOptions): Promise<Hl7Feed> {
  const now = opts.now ?? (() => new Date());
  const dir = join(opts.inboxDir, 'mllp');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  let fd: number | undefined;
  let file: string | undefined;
  let count = 0;
  let seq = 0;
  let timer: NodeJS.Timeout | undefined;
  let loading: Promise<void> = Promise.resolve();

  const rotate = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (fd === undefined) return;
    closeSync(fd);
    fd = undefined;
    file = undefined;
    count = 0;
    loading = loading.then(loadPending);
  };

  const loadPending = async () => {
    for (const name of readdirSync(dir)
      .filter((n) => n.endsWith('.hl7') && join(dir, n) !== file)
      .sort()) {
      const path = join(dir, name);
      try {
        const summary = await opts.ingest.ingest({ path, source: opts.source, format: 'hl7v2' });
        rmSync(path);
        fsyncPath(dir);
        opts.log.info({ file: name, load: summary.loadId, totals: summary.totals }, 'feed file loaded');
      } catch (e) {
        const busy = isMeridianError(e) && e.code === 'MER_INGEST_BUSY';
        opts.log[busy ? 'info' : 'error'](
          { err: e, file: name },
          busy ? 'feed file waits for the running load' : 'feed file not loaded',
        );
        setTimeout(() => {
          loading = loading.then(loadPending);
        }, opts.flushMs).unref();
        return;
      }
    }
  };

  const listener: MllpListener = createMllpListener({
    onMessage: (message) => {
      if (fd === undefined) {
        const stamp = now().toISOString().replace(/[-:]/g, '').replace('.', '').slice(0, 18);
        file = join(dir, `feed-${stamp}-${String(++seq).padStart(4, '0')}.hl7`);
        fd = openSync(file, 'wx', 0o600);
        fsyncPath(dir);
      }
      const bytes = Buffer.from(`${message.toString().replace(/\r(?!\n)/g, '\r\n')}\r\n`, 'utf8');
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
      fsyncSync(fd);
      count++;
      if (count >= opts.batchMessages) rotate();
      else {
        if (timer) clearTimeout(timer);
        timer = setTimeout(rotate, opts.flushMs);
        timer.unref();
      }
      return { ack: 'AA' };
    },
    onReject: (rejected, _raw, ctx) => {
      opts.log.warn({ reason: rejected.reason, peer: ctx.peer, message: ctx.message }, 'MLLP message refused');
    },
    now,
  });
  const address = await listener.listen({ host: opts.host, port: opts.port });
  loading = loading.then(loadPending);
  return {
    address,
    async close() {
      await listener.close(2_000);
      rotate();
      await loading;
    },
  };
}
