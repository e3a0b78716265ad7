/** Runs a test fixture in a child process (via tsx) and lets the test watch its output and kill it. */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

/** A running fixture. */
export interface Fixture {
  child: ChildProcess;
  /** Every stdout line so far. */
  lines: string[];
  /** Resolves with the first line matching `match` (rejects if the child exits first or after `timeoutMs`). */
  waitForLine(match: RegExp, timeoutMs?: number): Promise<string>;
  /** SIGKILLs the child and waits until it is gone (reaped, so its pid no longer exists). */
  kill(): Promise<void>;
  /** Waits for the child to exit by itself. */
  exited(): Promise<number | null>;
}

/** Starts `test/store/fixtures/<name>` with `args`. */
export function startFixture(name: string, args: string[]): Fixture {
  const script = fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiters: Array<{ match: RegExp; resolve(line: string): void }> = [];
  let stderr = '';
  let buffered = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      for (const waiter of [...waiters]) {
        if (waiter.match.test(line)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      }
    }
  });
  const exit = once(child, 'exit').then(([code]) => code as number | null);
  return {
    child,
    lines,
    waitForLine(match, timeoutMs = 60_000) {
      const seen = lines.find((line) => match.test(line));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no line ${match} within ${timeoutMs} ms; stderr: ${stderr}`)),
          timeoutMs,
        );
        waiters.push({
          match,
          resolve: (line) => {
            clearTimeout(timer);
            resolve(line);
          },
        });
        void exit.then((code) => {
          clearTimeout(timer);
          reject(new Error(`fixture ${name} exited (${code}) before ${match}; stderr: ${stderr}`));
        });
      });
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exit;
    },
    exited: () => exit,
  };
}
