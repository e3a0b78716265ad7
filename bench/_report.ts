/** Shared output of the benchmarks: a readable table, then the figures as one JSON line (always last). */

/** Prints `rows` as a table under `title`, then `summary` as the final JSON line. */
export function report(title: string, rows: Record<string, string | number>[], summary: Record<string, unknown>): void {
  process.stdout.write(`\n${title}\n`);
  console.table(rows);
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}

/** Median of a list of numbers. */
export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}
