/**
 * The arithmetic of a semaphore on N independent nodes. A holder counts when `votes` nodes
 * admitted it, and each node admits at most `perNode` permits, so at most floor(N * perNode /
 * votes) holders can exist at once: each holder uses `votes` of the N * perNode admissions.
 * With N = 3, votes = 2 and perNode = limit = 2 that is 3 (holders on AB, BC and AC each look
 * legal to every node): the unsafe quorum semaphore of redis-semaphore's RedlockSemaphore. The
 * safe plans keep floor(N * perNode / votes) <= limit.
 */

/**
 * How a semaphore counts on several nodes.
 * - `'all'`: every node must admit a permit (votes = N, per-node limit = limit): exactly `limit`
 *   holders, and no permit while any node is down.
 * - `'quorum'`: a majority must admit (votes = floor(N/2)+1), with the per-node limit scaled down
 *   to the largest value that keeps floor(N * perNode / votes) <= limit: it survives a minority of nodes
 *   down, at the cost of a smaller effective limit (see {@link SemaphorePlan.effectiveLimit}).
 */
export type SemaphoreMode = 'all' | 'quorum';

/** What a semaphore asks of its nodes. */
export interface SemaphorePlan {
  readonly mode: SemaphoreMode;
  /** The limit asked for. */
  readonly limit: number;
  /** Permits each node admits. */
  readonly perNode: number;
  /** Nodes that must admit a permit. */
  readonly votes: number;
  /** The most holders that can exist at once: floor(N * perNode / votes), never above `limit`. */
  readonly effectiveLimit: number;
}

/** The most holders `nodes` nodes can admit at once, each admitting `perNode`, a holder needing `votes`. */
export function maxHolders(nodes: number, perNode: number, votes: number): number {
  return Math.floor((nodes * perNode) / votes);
}

/**
 * The plan for `limit` permits on `nodes` nodes. In mode `'quorum'` the per-node limit is the
 * largest with N * perNode / votes < limit + 1 (so its floor stays <= limit); it is at least 1
 * for any limit >= 1, since 2 * votes >= N + 1.
 */
export function planSemaphore(limit: number, nodes: number, mode: SemaphoreMode): SemaphorePlan {
  if (mode === 'all' || nodes === 1) return { mode, limit, perNode: limit, votes: nodes, effectiveLimit: limit };
  const votes = Math.floor(nodes / 2) + 1;
  const perNode = Math.floor(((limit + 1) * votes - 1) / nodes);
  return { mode, limit, perNode, votes, effectiveLimit: maxHolders(nodes, perNode, votes) };
}
