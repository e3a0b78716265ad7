/** Process lifecycle shared by the servers: graceful shutdown on SIGINT/SIGTERM, bounded in time. */
import type { Logger } from 'pino';

/** Runs `close` once on SIGINT or SIGTERM; exits 0 when it finishes, 1 if it fails or takes over `timeoutMs`. */
export function closeOnSignals(opts: { close: () => Promise<void>; timeoutMs: number; log: Logger }): void {
  let closing = false;
  const handler = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    opts.log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      opts.log.error({ timeoutMs: opts.timeoutMs }, 'shutdown took too long; exiting');
      process.exit(1);
    }, opts.timeoutMs);
    timer.unref();
    opts.close().then(
      () => {
        opts.log.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        opts.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
