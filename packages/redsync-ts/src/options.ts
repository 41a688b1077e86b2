import { randomFillSync } from 'node:crypto';
import {
  MAX_TIMER_MS,
  checkBoolean,
  checkDelay,
  checkFraction,
  checkFunction,
  checkInteger,
  checkOptionsObject,
} from './validate.js';

/** Delay before attempt `attempt + 1`, given the number of attempts made so far (1-based). */
export type RetryDelayFunction = (attempt: number) => number;

/**
 * Options of a mutex. Every duration is in milliseconds. The names mirror go-redsync's `With*`
 * options, and so do the defaults.
 */
export interface MutexOptions {
  /**
   * Time to live of the lock key on every node, in ms (redsync `WithExpiry`). A whole number,
   * large enough that `ttl - ttl * driftFactor - 2 > 0`.
   * @default 8000
   */
  readonly ttl?: number;
  /**
   * How long `acquire()` keeps trying (redsync `WithTries`): as long as `tries - 1` retry delays
   * take; at least 1, or `Infinity` to wait until the lock is had, the call's `timeout` runs out
   * or its `signal` aborts. With the defaults a contended `acquire()` gives up after about 5 s
   * (31 waits of 50 to 250 ms). Where release notifications work, waiters do not poll within that
   * time: a process's first waiter attempts when a release is heard or the holder's key expires,
   * however often that is. Without them, it is `tries` attempts with `retryDelay` between.
   * Pass `acquire({ timeout })` to bound the wait by time instead.
   * @default 32
   */
  readonly tries?: number;
  /**
   * Wait between attempts, in ms: a fixed number, or a function of the number of attempts made so
   * far (redsync `WithRetryDelay` / `WithRetryDelayFunc`). The default spreads contenders apart.
   * @default a random delay from 50 to 250 ms
   */
  readonly retryDelay?: number | RetryDelayFunction;
  /**
   * Fraction of the ttl subtracted from the validity for clock drift between nodes, on top of a
   * fixed 2 ms for Redis's expiry precision (redsync `WithDriftFactor`). In [0, 1).
   * @default 0.01
   */
  readonly driftFactor?: number;
  /**
   * Fraction of the ttl that one node may take to answer before it counts as failed
   * (redsync `WithTimeoutFactor`). In [0, 1); the per-node timeout is at least 1 ms.
   * @default 0.05
   */
  readonly timeoutFactor?: number;
  /**
   * Generates the random value that identifies one acquisition (redsync `WithGenValueFunc`).
   * Must return a non-empty string that no other holder can guess.
   * @default 18 random bytes from node:crypto, base64 (24 characters)
   */
  readonly genValue?: () => string;
  /**
   * Settle each quorum round as soon as its outcome is decided (won, or lost on a quorum), instead
   * of waiting for every node (redsync `WithFailFast`).
   * @default false
   */
  readonly failFast?: boolean;
  /**
   * Contact the nodes in a random order, fixed per mutex (redsync `WithShufflePools`).
   * @default false
   */
  readonly shufflePools?: boolean;
  /**
   * `extend()` re-creates the key on nodes where it has vanished (redsync `WithSetNXOnExtend`),
   * e.g. after a node restarted without persistence. Caution: if the key vanished on a quorum, this
   * can revive a lock that someone else has held in the meantime.
   * @default false
   */
  readonly setNXOnExtend?: boolean;
  /**
   * Keep every lock of this mutex alive: the process-wide lease keeper renews it every
   * `ttl * autoExtendFactor` ms until it is released, lost, or held for `maxHold` ms.
   * `acquire({ autoExtend })` overrides it per call; `withLock` always renews.
   * @default false
   */
  readonly autoExtend?: boolean;
  /**
   * When to renew, as a fraction of the ttl after the last confirmation. The default renews a
   * third of the way in, which leaves about two thirds of the validity for retries when a renewal
   * fails transiently (a slow node, a reconnect) before the lock is given up. In (0, 1).
   * @default 1/3
   */
  readonly autoExtendFactor?: number;
  /**
   * The longest a lock may be kept alive by renewal, in ms from its acquisition. When it is
   * reached, renewal stops and `lock.signal` aborts (reason `max-hold`); the key then expires
   * within one ttl. It bounds the damage a hung holder can do: without it, a process that renews
   * but never finishes would starve everyone. `Infinity` means no limit, and must be said explicitly.
   * @default 600000 (10 minutes)
   */
  readonly maxHold?: number;
  /**
   * Hand out fencing tokens: `lock.fence` is then a number strictly greater than the fence of
   * every earlier grant of the same name (on one node: a counter incremented by the acquire; on N
   * nodes: the maximum over a quorum, written back to a quorum before the lock is granted, which
   * costs one more round trip). The counter key (`{key}:fence`) never expires.
   * @default false
   */
  readonly fencing?: boolean;
  /**
   * Count a node's vote for an acquisition or a renewal only once this many of its replicas
   * acknowledged the write (`WAIT n timeout` after the winning SET, extend or transfer, to the
   * key's master; Redisson's `checkLockSyncedSlaves`). Set on the Redsync, it covers the
   * semaphore, read-write lock, multi-lock and fair lock too (their grants and renewals; a fair
   * lock's one-hop grant is confirmed by a renewal before `acquire` returns). It narrows the window in which a master that dies right after the
   * SET is replaced by a replica without the lock; it is not consensus (docs/topologies.md). One
   * more round trip per won node; a node whose replicas do not confirm within half the per-node
   * timeout counts as failed (`ReplicasNotConfirmedError` as the cause). 0 turns it off. Needs
   * adapters that can send WAIT (`fromIoredis`, `fromNodeRedis`).
   * @default 0
   */
  readonly waitReplicas?: number;
}

/** Options with every default applied, validated and frozen. */
export interface ResolvedMutexOptions {
  readonly ttl: number;
  readonly tries: number;
  readonly retryDelay: RetryDelayFunction;
  readonly driftFactor: number;
  readonly timeoutFactor: number;
  readonly genValue: () => string;
  readonly failFast: boolean;
  readonly shufflePools: boolean;
  readonly setNXOnExtend: boolean;
  readonly autoExtend: boolean;
  readonly autoExtendFactor: number;
  readonly maxHold: number;
  readonly fencing: boolean;
  readonly waitReplicas: number;
}

/** The random wait redsync uses between attempts: uniform in [50, 250) ms. */
export function defaultRetryDelay(): number {
  return 50 + Math.random() * 200;
}

const VALUE_BYTES = 18;
/** 18 bytes are 24 base64 characters with no padding, so values can be cut from one long string. */
const VALUE_CHARS = 24;
/** A randomFillSync call costs about as much for 18 KB as for 4.6 KB: 1024 values per call. */
const VALUES_PER_BATCH = 1024;
const batch = Buffer.alloc(VALUE_BYTES * VALUES_PER_BATCH);
let encoded = '';
let nextValue = VALUES_PER_BATCH;

/**
 * 18 bytes (144 bits) from the CSPRNG in base64: 24 characters, the length of go-redsync's default
 * value. Values are made in batches of 1024, one randomFillSync() call and one base64 encoding each
 * (as `crypto.randomUUID()` batches its bytes): every value is still fresh CSPRNG output and is
 * never handed out twice, but the per-lock system call and encoding are gone.
 */
export function defaultGenValue(): string {
  if (nextValue === VALUES_PER_BATCH) {
    randomFillSync(batch);
    encoded = batch.toString('base64');
    nextValue = 0;
  }
  const start = nextValue * VALUE_CHARS;
  nextValue += 1;
  return encoded.slice(start, start + VALUE_CHARS);
}

/** The defaults, in one frozen object. */
export const MUTEX_DEFAULTS: ResolvedMutexOptions = Object.freeze({
  ttl: 8000,
  tries: 32,
  retryDelay: defaultRetryDelay,
  driftFactor: 0.01,
  timeoutFactor: 0.05,
  genValue: defaultGenValue,
  failFast: false,
  shufflePools: false,
  setNXOnExtend: false,
  autoExtend: false,
  autoExtendFactor: 1 / 3,
  maxHold: 600_000,
  fencing: false,
  waitReplicas: 0,
});

/** The names of every mutex option, for rejecting unknown ones. */
export const MUTEX_OPTION_KEYS: readonly string[] = Object.keys(MUTEX_DEFAULTS);

/**
 * Merges `input` over `base`, validates every field and freezes the result.
 * @throws TypeError or RangeError naming the offending option.
 */
export function resolveMutexOptions(
  input: unknown,
  base: ResolvedMutexOptions = MUTEX_DEFAULTS,
  label = 'options',
  extraKeys: readonly string[] = [],
): ResolvedMutexOptions {
  const raw = checkOptionsObject(label, input, [...MUTEX_OPTION_KEYS, ...extraKeys]);
  const pick = (key: keyof ResolvedMutexOptions): unknown => (raw[key] === undefined ? base[key] : raw[key]);
  const driftFactor = checkFraction(`${label}.driftFactor`, pick('driftFactor'), 0, 1);
  const ttl = checkInteger(`${label}.ttl`, pick('ttl'), 1, MAX_TIMER_MS);
  if (ttl - ttl * driftFactor - 2 <= 0) {
    throw new RangeError(`${label}.ttl (${ttl} ms) leaves no validity after drift; use a larger ttl`);
  }
  return Object.freeze({
    ttl,
    tries: pick('tries') === Number.POSITIVE_INFINITY ? Number.POSITIVE_INFINITY : checkInteger(`${label}.tries`, pick('tries'), 1, Number.MAX_SAFE_INTEGER),
    retryDelay: toDelayFunction(`${label}.retryDelay`, pick('retryDelay')),
    driftFactor,
    timeoutFactor: checkFraction(`${label}.timeoutFactor`, pick('timeoutFactor'), 0, 1),
    genValue: checkFunction(`${label}.genValue`, pick('genValue')) as () => string,
    failFast: checkBoolean(`${label}.failFast`, pick('failFast')),
    shufflePools: checkBoolean(`${label}.shufflePools`, pick('shufflePools')),
    setNXOnExtend: checkBoolean(`${label}.setNXOnExtend`, pick('setNXOnExtend')),
    autoExtend: checkBoolean(`${label}.autoExtend`, pick('autoExtend')),
    autoExtendFactor: checkOpenFraction(`${label}.autoExtendFactor`, pick('autoExtendFactor')),
    maxHold: checkMaxHold(`${label}.maxHold`, pick('maxHold')),
    fencing: checkBoolean(`${label}.fencing`, pick('fencing')),
    waitReplicas: checkInteger(`${label}.waitReplicas`, pick('waitReplicas'), 0, 1000),
  });
}

function checkOpenFraction(name: string, value: unknown): number {
  const fraction = checkFraction(name, value, 0, 1);
  if (fraction === 0) throw new RangeError(`${name} must be greater than 0, got 0`);
  return fraction;
}

function checkMaxHold(name: string, value: unknown): number {
  return value === Number.POSITIVE_INFINITY ? value : checkInteger(name, value, 1, Number.MAX_SAFE_INTEGER);
}

function toDelayFunction(name: string, value: unknown): RetryDelayFunction {
  if (typeof value === 'function') return value as RetryDelayFunction;
  const fixed = checkDelay(name, value);
  return () => fixed;
}

/** Ids for function-valued options, so a signature can name them without holding them. */
const functionIds = new WeakMap<object, number>();
let nextFunctionId = 0;

/**
 * A string that names `options` by content: equal for two objects with the same keys, in the same
 * order, and the same values (functions by identity). Undefined for anything but a plain object.
 * It lets `Redsync.mutex(name, { ttl })` with a fresh object per call reuse what the first such
 * call resolved and validated, instead of resolving, validating and building a context per call.
 */
export function optionsSignature(options: unknown): string | undefined {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) return undefined;
  let signature = '';
  for (const key of Object.keys(options)) {
    const value = (options as Record<string, unknown>)[key];
    let id: string;
    if (typeof value === 'function') {
      let known = functionIds.get(value);
      if (known === undefined) functionIds.set(value, (known = nextFunctionId++));
      id = `f${String(known)}`;
    } else id = `${typeof value}:${String(value)}`;
    signature += `${key}=${id};`;
  }
  return signature;
}

