import { fenceKeyOf } from './keys.js';
import { isWon, scriptCallSpec, shorterHolderTtl, type LockContext, type ScriptCall, type TimedRound } from './lock-ops.js';
import type { ValueOwner } from './late-writes.js';
import { runRound, type QuorumRound, type RoundSpec } from './quorum.js';
import { fenceCommit, lockAcquireFenced } from './scripts/index.js';
import type { FencedAcquireReply } from './scripts/lock-acquire-fenced.js';
import { confirmingReplicas, specFor } from './replicas.js';
import { validUntil } from './validity.js';

/**
 * A fenced acquisition attempt. Round 1 takes the lock and increments each node's fencing counter
 * in the same script. The token is the maximum over the nodes that granted the lock.
 *
 * Why it increases strictly: the previous grant's token was written to a quorum; this grant read
 * (and incremented) a quorum; two quorums share a node, whose counter was at least the previous
 * token before our increment. With one node that is the whole story. With N > 1 nodes, round 2
 * raises the counters of a quorum to the token (never lowering one) while we still hold the lock
 * there, so that the *next* grant is guaranteed to see it; only then, and only if validity is
 * left after both rounds, is the lock granted. The extra round trip is the price of N > 1.
 *
 * Caveat: a node that restarts without persistence loses its counter, as it loses the lock.
 */
export async function fencedAcquireRound(ctx: LockContext, value: string, owner?: ValueOwner): Promise<TimedRound> {
  const start = ctx.clock();
  const { ttl, driftFactor } = ctx.options;
  const keys = [ctx.key, fenceKeyOf(ctx.key)];
  const take: FencedTake = { ctx, keys, args: [value, ctx.ttlArg], token: 0, holderTtl: undefined, owner, sentAt: owner === undefined ? 0 : owner.sweeps };
  const round = await runRound<QuorumRound, FencedTake>(ctx.order, specFor(ctx, TAKE, TAKE_REPLICATED), ctx.settleRound, undefined, take);
  // The token is fixed when the round settles: replies from stragglers still update `take` later,
  // and must not raise the token above what round 2 commits.
  const chosen = take.token;
  const until = validUntil(start, ttl, driftFactor);
  const first: TimedRound = { round, start, validUntil: until, holderTtl: take.holderTtl };
  if (!isWon(ctx, first)) return first;
  if (ctx.nodes.length === 1) return { ...first, fence: chosen };
  const commit = await runRound<QuorumRound, ScriptCall>(ctx.order, specFor(ctx, COMMIT, COMMIT_REPLICATED), ctx.settleRound, undefined, { ctx, keys, args: [value, String(chosen)] });
  return { round: commit, start, validUntil: until, fence: chosen };
}

/** Round 1's call, and what its replies taught: the highest counter, the shortest holder ttl. */
interface FencedTake extends ScriptCall {
  token: number;
  holderTtl: number | undefined;
  /** Hears of this value's writes that land after the round settled (late-writes.ts). */
  readonly owner: ValueOwner | undefined;
  /** The owner's sweep count when the round was sent. */
  readonly sentAt: number;
}

const TAKE: RoundSpec<FencedTake> = {
  ...scriptCallSpec<FencedTake, FencedAcquireReply>(lockAcquireFenced, (reply, take) => {
    if (!reply.acquired) {
      take.holderTtl = shorterHolderTtl(take.holderTtl, reply.ttl);
      return 'taken';
    }
    take.token = Math.max(take.token, reply.counter);
    return 'ok';
  }),
  late: (reply, _node, take) => {
    let acquired = false;
    try {
      acquired = lockAcquireFenced.parse(reply).acquired;
    } catch {
      // an unreadable late reply: nothing known to have landed
    }
    if (acquired) take.owner?.landed(take.ctx, take.sentAt);
  },
};

const TAKE_REPLICATED = confirmingReplicas(TAKE);

const COMMIT = scriptCallSpec(fenceCommit);
const COMMIT_REPLICATED = confirmingReplicas(COMMIT);
