/**
 * Tracing through `node:diagnostics_channel`, the way undici and node-redis v5 do it: tracing
 * channels for acquire, tryAcquire, extend, release and the cache's gets and fills, and a plain
 * channel for lost locks. Each event carries a context object with the lock's name, the node count
 * and the outcome, never its value. Nothing is built when nobody subscribes: one property read.
 *
 * @example
 * import { tracingChannel } from 'node:diagnostics_channel';
 * tracingChannel('redsync-ts:acquire').subscribe({ start(ctx) {...}, asyncEnd(ctx) {...}, error(ctx) {...} });
 */
import { channel, tracingChannel, type TracingChannel } from 'node:diagnostics_channel';
import type { Lock } from './lock.js';
import type { LockContext } from './lock-ops.js';

/** The context of a lock operation's events. */
export interface LockTraceContext {
  readonly operation: 'acquire' | 'tryAcquire' | 'extend' | 'release';
  /** The lock name (without the prefix). */
  readonly name: string;
  /** How many nodes vote, and how many make a quorum. */
  readonly nodes: number;
  readonly quorum: number;
  /** asyncEnd: what the call returned, summarised (`{ acquired, fence }`, `{ released }`, ...). */
  result?: unknown;
  /** error: what it threw (a LockError carries per-node outcomes, no values). */
  error?: unknown;
}

/** The context of a cache get's or fill's events. */
export interface CacheTraceContext {
  readonly operation: 'get' | 'fill';
  /** The entry key (prefix + key). */
  readonly key: string;
  /** get: `hit`, `stale`, `miss` (filled here or elsewhere) or `fallback` (store down); fill: `loaded`, `arrived`, `stale`, `skipped`. */
  outcome?: string;
  result?: unknown;
  error?: unknown;
}

/**
 * The channel names, for `diagnostics_channel.tracingChannel(name)` (and `channel(name)` for
 * `lockLost` and `renewal`). Subscribing costs the traced calls one context object and a few events each.
 */
export const TRACE_CHANNELS = Object.freeze({
  acquire: 'redsync-ts:acquire',
  tryAcquire: 'redsync-ts:try-acquire',
  extend: 'redsync-ts:extend',
  release: 'redsync-ts:release',
  cacheGet: 'redsync-ts:cache-get',
  cacheFill: 'redsync-ts:cache-fill',
  lockLost: 'redsync-ts:lock-lost',
  renewal: 'redsync-ts:renewal',
});

/** The tracing channels the library publishes on. */
export const lockChannels = {
  acquire: tracingChannel<unknown, LockTraceContext>(TRACE_CHANNELS.acquire),
  tryAcquire: tracingChannel<unknown, LockTraceContext>(TRACE_CHANNELS.tryAcquire),
  extend: tracingChannel<unknown, LockTraceContext>(TRACE_CHANNELS.extend),
  release: tracingChannel<unknown, LockTraceContext>(TRACE_CHANNELS.release),
};
export const cacheChannels = {
  get: tracingChannel<unknown, CacheTraceContext>(TRACE_CHANNELS.cacheGet),
  fill: tracingChannel<unknown, CacheTraceContext>(TRACE_CHANNELS.cacheFill),
};
/** `redsync-ts:lock-lost`: `{ name, reason }` when a held lock is found lost (renewal failed, expired, max hold). */
export const lostChannel = channel(TRACE_CHANNELS.lockLost);
/**
 * `redsync-ts:renewal`: `{ locks, confirmed, lost, nodes }` after each batched renewal round of
 * the process-wide lease keeper (one round renews every lock of a cohort).
 */
export const renewalChannel = channel(TRACE_CHANNELS.renewal);

/**
 * Runs `work` under `trace` when someone listens, with `summary(result)` as the context's result
 * (so that no subscriber is handed a Lock, whose value is a secret); otherwise just runs it.
 */
export function traced<T, C extends object>(trace: TracingChannel<unknown, C>, context: () => C, work: () => Promise<T>, summary: (result: T) => unknown): Promise<T> {
  if (!trace.hasSubscribers) return work();
  let result: T;
  return trace
    .tracePromise(async () => {
      result = await work();
      return summary(result);
    }, context())
    .then(() => result);
}

/** A lock operation's context: names and counts only. */
export function traceContext(ctx: Pick<LockContext, 'name' | 'nodes' | 'quorum'>, operation: LockTraceContext['operation']): LockTraceContext {
  return { operation, name: ctx.name, nodes: ctx.nodes.length, quorum: ctx.quorum };
}

/** What subscribers learn of a granted lock: that it was granted, its fence and validity, not its value. */
export function lockSummary(lock: Pick<Lock, 'fence' | 'validUntil'> | null): { acquired: boolean; fence?: number; validUntil?: number } {
  if (lock === null) return { acquired: false };
  return lock.fence === undefined ? { acquired: true, validUntil: lock.validUntil } : { acquired: true, fence: lock.fence, validUntil: lock.validUntil };
}
