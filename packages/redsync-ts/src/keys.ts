import { createHash } from 'node:crypto';

/**
 * Companion keys that must live in the lock key's Redis Cluster hash slot, so that one script can
 * touch both. Redis hashes only the first `{...}` section of a key when it has one (a "hash tag");
 * otherwise the whole key.
 */

/** The hash tag of `key` (the part Redis Cluster hashes), or undefined when it has none. */
export function hashTagOf(key: string): string | undefined {
  const open = key.indexOf('{');
  if (open === -1) return undefined;
  const close = key.indexOf('}', open + 1);
  if (close === -1 || close === open + 1) return undefined;
  return key.slice(open + 1, close);
}

/**
 * True when no companion key can share `key`'s slot: it has a `}` but no hash tag (`a}b`, `x{}y`),
 * so Redis hashes all of it, and `{key}` would end its tag at the first `}`.
 */
export function splitsSlots(key: string): boolean {
  return hashTagOf(key) === undefined && key.includes('}');
}

/**
 * `key` + `suffix`, in the same hash slot as `key`: a key with a hash tag keeps it; a key without
 * one is wrapped as `{key}`, which hashes exactly like the bare key.
 */
export function companionKey(key: string, suffix: string): string {
  return hashTagOf(key) === undefined ? `{${key}}${suffix}` : `${key}${suffix}`;
}

/** The fencing counter of a lock key: never expires, one per lock name. */
export function fenceKeyOf(lockKey: string): string {
  return companionKey(lockKey, ':fence');
}

const RELEASED = ':released';

/**
 * The channel the release script publishes on when it deletes `lockKey` on a standalone server
 * (computed in Lua as `key .. ':released'`, see scripts/announce.ts). ioredis's `keyPrefix` is
 * added to the key in the script, so subscribers must add it too.
 */
export function releaseChannelOf(lockKey: string): string {
  return lockKey + RELEASED;
}

/**
 * The sharded channel (SPUBLISH, Redis 7.0+) a script announces `key`'s events on when it runs
 * on a Redis Cluster node: `key` + `suffix` behind the key's hash part as a tag, so that the
 * channel lives in the key's slot (a script may only publish to its own shard) and two keys never
 * share a channel (`a` gives `{a}a:released`, `{a}` gives `{a}{a}:released`). Computed in Lua by
 * scripts/announce.ts; here for subscribers.
 */
export function shardChannelOf(key: string, suffix: string): string {
  const tag = hashTagOf(key);
  return `{${tag ?? key}}${key}${suffix}`;
}

/** The channel `key`'s events (`suffix`: `:released`, `:filled`, `:granted`) go out on at `node`. */
export function channelOf(node: { readonly cluster?: boolean }, key: string, suffix: string): string {
  return node.cluster === true ? shardChannelOf(key, suffix) : key + suffix;
}

/** The lock key a release channel of `node` belongs to (the inverse of {@link channelOf}). */
export function lockKeyOf(node: { readonly cluster?: boolean }, channel: string): string {
  const key = channel.endsWith(RELEASED) ? channel.slice(0, -RELEASED.length) : channel;
  // A sharded channel's tag never holds a '}' (names that would need one are refused on Cluster nodes).
  return node.cluster === true ? key.slice(key.indexOf('}') + 1) : key;
}

/**
 * The message a release of `value` publishes: its SHA1 in hex, as the release script computes it
 * with `redis.sha1hex`. The same on every node, so one release heard N times counts once.
 */
export function releaseTagOf(value: string): string {
  return createHash('sha1').update(value).digest('hex');
}

/**
 * The flag a waiter raises when its attempt finds `lockKey` taken; the holder's release deletes it
 * and publishes only if it was there. Computed in Lua by the scripts (waiting-flag.ts); here for
 * tests and diagnostics.
 */
export function waitingFlagOf(lockKey: string): string {
  return companionKey(lockKey, ':waiting');
}

/** Every Redis name a lock key uses, for tools that look at a lock from outside (`redsync inspect`). */
export interface LockKeys {
  /** The lock key itself: prefix + name. */
  readonly key: string;
  /** The fencing counter (never expires). */
  readonly fence: string;
  /** The flag a waiter raises when it finds the key taken. */
  readonly waitingFlag: string;
  /** The pub/sub channel a release announces itself on (standalone servers). */
  readonly releaseChannel: string;
  /** The sharded channel (SPUBLISH) a release announces itself on at a Redis Cluster node. */
  readonly shardReleaseChannel: string;
}

/** The names of `lockKey`'s companion keys and channel (all in its Redis Cluster hash slot). */
export function lockKeysOf(lockKey: string): LockKeys {
  return { key: lockKey, fence: fenceKeyOf(lockKey), waitingFlag: waitingFlagOf(lockKey), releaseChannel: releaseChannelOf(lockKey), shardReleaseChannel: shardChannelOf(lockKey, RELEASED) };
}
