/** Helpers for tamper tests of receipts: every path in a value, a same-kind change of a value, an edited copy. */
import type { Receipt } from '../../src/ledger/index.ts';

/** A path from the root of a JSON value. */
export type Path = (string | number)[];

/** Every path from the root of `v` to a primitive value. */
export function leafPaths(v: unknown, path: Path = []): Path[] {
  if (Array.isArray(v)) return v.flatMap((x, i) => leafPaths(x, [...path, i]));
  if (typeof v === 'object' && v !== null) return Object.entries(v).flatMap(([k, x]) => leafPaths(x, [...path, k]));
  return [path];
}

/** Every path to an object key or array element (for removals). */
export function nodePaths(v: unknown, path: Path = []): Path[] {
  if (Array.isArray(v)) return v.flatMap((x, i) => [[...path, i], ...nodePaths(x, [...path, i])]);
  if (typeof v === 'object' && v !== null) {
    return Object.entries(v).flatMap(([k, x]) => [[...path, k], ...nodePaths(x, [...path, k])]);
  }
  return [];
}

/** A different value of the same kind: hex stays hex, names stay lowercase, numbers move by one. */
export function tweak(v: unknown): unknown {
  if (typeof v === 'number') return v + 1;
  if (typeof v === 'boolean') return !v;
  if (v === null) return 0;
  const s = String(v);
  if (s.length === 0) return 'x';
  const last = s.at(-1) as string;
  const next =
    last === 'f' ? '0' : last === '9' ? '0' : last === 'z' ? 'a' : String.fromCharCode(last.charCodeAt(0) + 1);
  return s.slice(0, -1) + next;
}

/** A JSON copy of `receipt` with `change` applied at `path`'s parent (parts shared in memory become separate). */
export function edit(
  receipt: Receipt,
  path: Path,
  change: (parent: Record<string | number, unknown>, key: string | number) => void,
): unknown {
  const copy = JSON.parse(JSON.stringify(receipt)) as Record<string | number, unknown>;
  let parent = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  change(parent, path.at(-1) as string | number);
  return copy;
}
