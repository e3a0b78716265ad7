/**
 * The suppression engine behind count vectors, two-way tables and risk tables. Released counts are linked by
 * "total = sum of parts" relations, each count in at most two. After flipping the sign of some relations,
 * every count has +1 in one relation and −1 in the other (or in a ground node), so the counts form a flow
 * circulation on a graph: one node per relation plus ground, one arc per count. Another table agreeing with
 * everything released differs from the true one by a circulation on the withheld arcs, and a withheld count
 * can take another value exactly when a cycle through it exists in the residual graph (a withheld arc can
 * always carry one more; it can carry one less only when its value is at least 1). The engine withholds counts
 * until every withheld count lies on such a cycle, so none is pinned down by the released ones — not by
 * linear algebra, and not with non-negativity either. See README.md for the rule in full.
 */
import assert from 'node:assert/strict';

/** A relation `values[total] = Σ values[parts]` between released counts. */
export interface SumRelation {
  readonly total: number;
  readonly parts: readonly number[];
}

/** A count as an arc of the circulation: conservation holds at every relation node. */
interface Arc {
  readonly from: number;
  readonly to: number;
}

/** Orients every count so that each relation reads Σ in − Σ out = 0 (the relations' sign pattern must allow it). */
function orient(valueCount: number, relations: readonly SumRelation[]): Arc[] {
  const memberships: { node: number; sign: number }[][] = Array.from({ length: valueCount }, () => []);
  relations.forEach((r, node) => {
    (memberships[r.total] as { node: number; sign: number }[]).push({ node, sign: 1 });
    for (const p of r.parts) (memberships[p] as { node: number; sign: number }[]).push({ node, sign: -1 });
  });
  // Flip relations so that a count in two relations has opposite signs in them (a 2-colouring by BFS).
  const flip = new Int8Array(relations.length);
  const neighbours: { node: number; same: boolean }[][] = relations.map(() => []);
  for (const m of memberships) {
    assert.ok(m.length <= 2, `a count takes part in ${m.length} relations; the engine needs at most 2`);
    const [x, y] = m;
    if (x === undefined || y === undefined) continue;
    const same = x.sign === y.sign;
    (neighbours[x.node] as { node: number; same: boolean }[]).push({ node: y.node, same });
    (neighbours[y.node] as { node: number; same: boolean }[]).push({ node: x.node, same });
  }
  for (let root = 0; root < relations.length; root++) {
    if (flip[root] !== 0) continue;
    flip[root] = 1;
    const queue = [root];
    for (let head = 0; head < queue.length; head++) {
      const node = queue[head] as number;
      for (const n of neighbours[node] as { node: number; same: boolean }[]) {
        const mine = flip[node] as number;
        const want = n.same ? -mine : mine;
        if (flip[n.node] === 0) {
          flip[n.node] = want;
          queue.push(n.node);
        }
        assert.equal(flip[n.node], want, 'the relations are not a circulation (an unbalanced sign cycle)');
      }
    }
  }
  const ground = relations.length;
  return memberships.map((m) => {
    const ends = m.map((e) => ({ node: e.node, sign: e.sign * (flip[e.node] as number) }));
    const head = ends.find((e) => e.sign > 0)?.node;
    const tail = ends.find((e) => e.sign < 0)?.node;
    assert.ok(ends.length < 2 || (head !== undefined && tail !== undefined), 'a count with equal signs after flips');
    return { from: tail ?? ground, to: head ?? ground };
  });
}

/** A binary min-heap of [cost, node] pairs for Dijkstra. */
class CostHeap {
  readonly #items: [number, number][] = [];

  get size(): number {
    return this.#items.length;
  }

  push(item: [number, number]): void {
    const items = this.#items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const up = (i - 1) >> 1;
      if ((items[up] as [number, number])[0] <= item[0]) break;
      items[i] = items[up] as [number, number];
      i = up;
    }
    items[i] = item;
  }

  pop(): [number, number] {
    const items = this.#items;
    const top = items[0] as [number, number];
    const last = items.pop() as [number, number];
    if (items.length > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= items.length) break;
        const right = left + 1;
        const child =
          right < items.length && (items[right] as [number, number])[0] < (items[left] as [number, number])[0]
            ? right
            : left;
        if ((items[child] as [number, number])[0] >= last[0]) break;
        items[i] = items[child] as [number, number];
        i = child;
      }
      items[i] = last;
    }
    return top;
  }
}

/** Residual arcs of the withheld counts: forward always, backward when the count is at least 1. */
function residualArcs(
  nodeCount: number,
  arcs: readonly Arc[],
  values: readonly number[],
  suppressed: readonly boolean[],
) {
  const out: [number, number][][] = Array.from({ length: nodeCount }, () => []);
  arcs.forEach((arc, id) => {
    if (!suppressed[id] || arc.from === arc.to) return;
    (out[arc.from] as [number, number][]).push([arc.to, id]);
    if ((values[id] as number) >= 1) (out[arc.to] as [number, number][]).push([arc.from, id]);
  });
  return out;
}

function reaches(out: readonly [number, number][][], from: number, to: number, skip: number): boolean {
  const seen = new Uint8Array(out.length);
  const queue = [from];
  seen[from] = 1;
  for (let head = 0; head < queue.length; head++) {
    const node = queue[head] as number;
    if (node === to) return true;
    for (const [w, id] of out[node] as [number, number][]) {
      if (id === skip || seen[w]) continue;
      seen[w] = 1;
      queue.push(w);
    }
  }
  return false;
}

/** The first withheld count no alternative table can change (no residual cycle through it), or -1. */
function firstPinned(
  nodeCount: number,
  arcs: readonly Arc[],
  values: readonly number[],
  suppressed: readonly boolean[],
) {
  const out = residualArcs(nodeCount, arcs, values, suppressed);
  for (let id = 0; id < arcs.length; id++) {
    if (!suppressed[id]) continue;
    const { from, to } = arcs[id] as Arc;
    if (from === to || reaches(out, to, from, id)) continue; // one more is possible
    if ((values[id] as number) >= 1 && reaches(out, from, to, id)) continue; // one less is possible
    return id;
  }
  return -1;
}

/** Least-cost residual path from `start` to `goal` avoiding `skip`: withheld arcs are free, a released count costs value + 1. */
function cheapestPath(
  nodeCount: number,
  arcs: readonly Arc[],
  values: readonly number[],
  suppressed: readonly boolean[],
  skip: number,
  start: number,
  goal: number,
): { cost: number; counts: number[] } {
  const out: [number, number, number][][] = Array.from({ length: nodeCount }, () => []);
  arcs.forEach((arc, id) => {
    if (id === skip || arc.from === arc.to) return;
    const value = values[id] as number;
    const price = suppressed[id] ? 0 : value + 1;
    (out[arc.from] as [number, number, number][]).push([arc.to, id, price]);
    if (!suppressed[id] || value >= 1) (out[arc.to] as [number, number, number][]).push([arc.from, id, price]);
  });
  const cost = new Float64Array(nodeCount).fill(Number.POSITIVE_INFINITY);
  const via = new Int32Array(nodeCount).fill(-1);
  const heap = new CostHeap();
  cost[start] = 0;
  heap.push([0, start]);
  while (heap.size > 0) {
    const [c, node] = heap.pop();
    if (c > (cost[node] as number)) continue;
    if (node === goal) break;
    for (const [w, id, price] of out[node] as [number, number, number][]) {
      if (c + price < (cost[w] as number)) {
        cost[w] = c + price;
        via[w] = id;
        heap.push([c + price, w]);
      }
    }
  }
  const counts: number[] = [];
  if (!Number.isFinite(cost[goal] as number)) return { cost: Number.POSITIVE_INFINITY, counts };
  for (let node = goal; node !== start; ) {
    const id = via[node] as number;
    counts.push(id);
    const arc = arcs[id] as Arc;
    node = arc.to === node ? arc.from : arc.to;
  }
  return { cost: cost[goal] as number, counts };
}

/** Withholds the cheapest released counts that put the pinned count `id` on a residual cycle. */
function unpin(nodeCount: number, arcs: readonly Arc[], values: readonly number[], suppressed: boolean[], id: number) {
  const { from, to } = arcs[id] as Arc;
  const up = cheapestPath(nodeCount, arcs, values, suppressed, id, to, from);
  const down =
    (values[id] as number) >= 1
      ? cheapestPath(nodeCount, arcs, values, suppressed, id, from, to)
      : { cost: Number.POSITIVE_INFINITY, counts: [] };
  const best = down.cost < up.cost ? down : up;
  assert.ok(Number.isFinite(best.cost), `no cycle can free count ${id}: the relations are not a table`);
  for (const c of best.counts) suppressed[c] = true;
}

/**
 * In every relation whose total is released and which withholds some part, the withheld parts must add up to
 * at least `minCell` (else the difference total − released parts is itself a small count, and a 0 is exact).
 * Withholds the smallest released part of the first relation that falls short; true when it withheld one.
 */
function widenHiddenMass(
  values: readonly number[],
  relations: readonly SumRelation[],
  suppressed: boolean[],
  minCell: number,
): boolean {
  for (const r of relations) {
    if (suppressed[r.total]) continue;
    let hidden = 0;
    let withheld = 0;
    let smallest = -1;
    for (const p of r.parts) {
      if (suppressed[p]) {
        hidden += values[p] as number;
        withheld++;
      } else if (smallest === -1 || (values[p] as number) < (values[smallest] as number)) {
        smallest = p;
      }
    }
    if (withheld === 0 || hidden >= minCell) continue;
    assert.ok(smallest !== -1, 'a released total below the minimum cell (primary suppression missed it)');
    suppressed[smallest] = true;
    return true;
  }
  return false;
}

/**
 * Which counts to withhold: every count below `minCell` (primary), then more (secondary) until every relation
 * with a released total hides at least `minCell` in its withheld parts, and every withheld count could take
 * another value in a table that agrees with all released counts. Greedy, one fault at a time, each fixed by
 * the cheapest counts (optimal secondary suppression is NP-hard).
 */
export function planSuppression(
  values: readonly number[],
  relations: readonly SumRelation[],
  minCell: number,
): boolean[] {
  for (const r of relations) {
    const sum = r.parts.reduce((s, p) => s + (values[p] as number), 0);
    assert.equal(sum, values[r.total], `relation total ${r.total} is not the sum of its parts`);
  }
  const arcs = orient(values.length, relations);
  const nodeCount = relations.length + 1;
  const suppressed = values.map((v) => v < minCell);
  // Each step withholds at least one more count, so one step per count and a final check suffice.
  for (let step = 0; step <= values.length; step++) {
    if (widenHiddenMass(values, relations, suppressed, minCell)) continue;
    const pinned = firstPinned(nodeCount, arcs, values, suppressed);
    if (pinned === -1) return suppressed;
    unpin(nodeCount, arcs, values, suppressed, pinned);
  }
  assert.fail('secondary suppression did not settle within one step per count');
}
