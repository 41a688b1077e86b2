import type { RedisNode } from './node.js';
import type { ResolvedMutexOptions } from './options.js';
import { runRound, type AnswerVerdict, type QuorumRound } from './quorum.js';
import { runScript } from './script.js';
import type { ReclaimReply } from './scripts/lock-reclaim.js';
import { lockExtend, lockExtendOrSet, lockReclaim, lockRelease } from './scripts/index.js';
import { validUntil, type Clock } from './validity.js';

/** Everything a named lock needs to talk to its nodes; built once per mutex. */
export interface LockContext {
  /** The lock name as given by the user. */
  readonly name: string;
  /** The Redis key: prefix + name. */
  readonly key: string;
  /** `[key]`, built once: the KEYS of every script. */
  readonly keys: readonly string[];
  /** The ttl as the decimal string Redis expects, built once. */
  readonly ttlArg: string;
  readonly nodes: readonly RedisNode[];
  /** Node indexes in the order they are contacted (shuffled once with `shufflePools`). */
  readonly order: readonly number[];
  readonly quorum: number;
  /** Per-node deadline in ms: ttl * timeoutFactor, at least 1. */
  readonly timeout: number;
  readonly options: ResolvedMutexOptions;
  readonly clock: Clock;
}

/** A round plus the validity it would grant if it was won. */
export interface TimedRound {
  readonly round: QuorumRound;
  /** start + ttl - drift, on the context's clock. */
  readonly validUntil: number;
}

/** True when the round gathered a quorum and left some validity when it settled. */
export function isWon(ctx: LockContext, result: TimedRound): boolean {
  return result.round.ok >= ctx.quorum && result.validUntil > result.round.settledAt;
}

/**
 * One acquisition attempt on every node at once: `SET NX PX`, and only where that fails, the
 * reclaim script (our own leftover counts as ours).
 */
export async function acquireRound(ctx: LockContext, value: string): Promise<TimedRound> {
  const start = ctx.clock();
  const { key, options } = ctx;
  let reclaimArgs: string[] | undefined;
  const round = await runRound(
    ctx.order,
    (index) => {
      const node = nodeAt(ctx, index);
      return node.setNX(key, value, options.ttl).then((reply) => {
        if (reply === 'OK') return 'ok';
        reclaimArgs ??= [value, ctx.ttlArg];
        return runScript(node, lockReclaim, ctx.keys, reclaimArgs).then(reclaimVerdict);
      });
    },
    { quorum: ctx.quorum, failFast: ctx.options.failFast, timeout: ctx.timeout, clock: ctx.clock },
  );
  return { round, validUntil: validUntil(start, ctx.options.ttl, ctx.options.driftFactor) };
}

/** Resets the ttl on every node where the key still holds `value`. */
export async function extendRound(ctx: LockContext, value: string): Promise<TimedRound> {
  const start = ctx.clock();
  const script = ctx.options.setNXOnExtend ? lockExtendOrSet : lockExtend;
  const args = [value, ctx.ttlArg];
  const round = await runRound(
    ctx.order,
    (node) => runScript(nodeAt(ctx, node), script, ctx.keys, args),
    { quorum: ctx.quorum, failFast: ctx.options.failFast, timeout: ctx.timeout, clock: ctx.clock },
  );
  return { round, validUntil: validUntil(start, ctx.options.ttl, ctx.options.driftFactor) };
}

/**
 * Deletes the key on every node where it still holds `value`. Always waits for every node (up to
 * the per-node timeout), because it is also the clean-up after a failed attempt: when it returns,
 * no reachable node still holds our value.
 */
export function releaseRound(ctx: LockContext, value: string): Promise<QuorumRound> {
  return runRound(
    ctx.order,
    (node): Promise<AnswerVerdict> => runScript(nodeAt(ctx, node), lockRelease, ctx.keys, [value]),
    { quorum: ctx.quorum, failFast: false, timeout: ctx.timeout, clock: ctx.clock },
  );
}

function reclaimVerdict(reply: ReclaimReply): AnswerVerdict {
  return reply === 'ok' ? 'ok' : 'taken';
}

function nodeAt(ctx: LockContext, index: number): RedisNode {
  const node = ctx.nodes[index];
  if (node === undefined) throw new RangeError(`no node at index ${index}`);
  return node;
}
