import { LockContexts } from './contexts.js';
import { Cache } from './cache/cache.js';
import { resolveCacheOptions, type CacheOptions } from './cache/options.js';
import { companionKey } from './keys.js';
import { Mutex } from './mutex.js';
import { EvictionGate, type EvictingNodePolicy } from './eviction.js';
import { isRedisNode, type RedisNode } from './node.js';
import { MUTEX_DEFAULTS, resolveMutexOptions, type MutexOptions } from './options.js';
import { fairContext } from './fair/rounds.js';
import { FairLock } from './fair/fair-lock.js';
import { GrantLines } from './fair/grant-line.js';
import { resolveFairLockOptions, type FairLockOptions } from './fair/options.js';
import { multiContext } from './multilock/rounds.js';
import { MultiLock } from './multilock/multilock.js';
import { resolveMultiLock, type MultiLockOptions } from './multilock/options.js';
import { quorumOf } from './quorum.js';
import { ReleaseNotifier } from './release-notifier.js';
import { checkFunction, checkName, describeValue } from './validate.js';
import { resolveRwLockOptions, type ReadWriteLockOptions } from './rwlock/options.js';
import { resolveSemaphoreOptions, type SemaphoreOptions } from './semaphore/options.js';
import { rwContext } from './rwlock/rounds.js';
import { ReadWriteLock } from './rwlock/rwlock.js';
import { planSemaphore } from './semaphore/plan.js';
import { PermitLines } from './semaphore/permit-line.js';
import { semaphoreContext } from './semaphore/rounds.js';
import { Semaphore } from './semaphore/semaphore.js';
import { runLocked, splitWithLockOptions, type LockedWork, type WithLockOptions } from './with-lock.js';

const EVICTION_POLICIES: readonly EvictingNodePolicy[] = ['warn', 'throw', 'ignore'];

/** Options of a {@link Redsync}: a key prefix, plus defaults for every mutex it makes. */
export interface RedsyncOptions extends MutexOptions {
  /**
   * Prepended to every lock name to form the Redis key. Leave it empty to share locks with
   * go-redsync, which uses the name as the key.
   * @default ''
   */
  readonly prefix?: string;
  /**
   * What to do when a node can evict keys (`maxmemory` set, `maxmemory-policy` not
   * `noeviction`), which can silently hand a held lock to a second client. Each node's
   * `INFO memory` is read once per process, on the first acquisition. `'warn'`: a process warning
   * (code `REDSYNC_EVICTING_NODE`) naming the node and policy, once, off the acquisition's path;
   * `'throw'`: acquisitions are refused with an `EvictingNodeError` before any lock command is
   * sent; `'ignore'`: no check. A user whose ACL forbids INFO still locks (one warning,
   * `REDSYNC_EVICTION_UNCHECKED`).
   * @default 'warn'
   */
  readonly onEvictingNode?: EvictingNodePolicy;
}

/**
 * The entry point: one instance per set of independent Redis masters. Locks need a quorum of
 * floor(N/2)+1 nodes; a single node (N = 1) is simply the same algorithm with a quorum of one.
 *
 * @example
 * const rs = new Redsync([fromIoredis(a), fromIoredis(b), fromIoredis(c)]);
 * const lock = await rs.mutex('inventory:42').acquire();
 * try { ... } finally { await lock.release(); }
 */
export class Redsync implements AsyncDisposable {
  readonly #nodes: readonly RedisNode[];
  readonly #contexts: LockContexts;
  /** Release notifications for this instance's waiters (subscriber connections opened lazily). */
  readonly #notifier: ReleaseNotifier | undefined;
  /** Caches made by {@link Redsync.cache}: `close()` closes their subscriber connections too. */
  readonly #caches = new Set<Cache<never>>();
  /** This process's waiters of each semaphore, woken by release messages. */
  readonly #permitLines: PermitLines;
  /** This process's waiters of each fair lock, woken by grant messages. */
  readonly #grantLines: GrantLines;

  /**
   * @param nodes - one {@link RedisNode} per independent master (see `fromIoredis`, `fromNodeRedis`).
   *   They must not replicate to one another: each is a separate vote.
   * @param options - key prefix and mutex defaults.
   * @throws TypeError when `nodes` is not a non-empty array of nodes, or an option has the wrong type.
   * @throws RangeError when an option is out of range.
   */
  constructor(nodes: readonly RedisNode[], options?: RedsyncOptions) {
    const list: unknown = nodes;
    if (!Array.isArray(list)) throw new TypeError(`nodes must be an array of Redis nodes, got ${describeValue(list)}`);
    if (list.length === 0) throw new RangeError('nodes must contain at least one Redis node');
    list.forEach((node: unknown, index) => {
      if (!isRedisNode(node)) {
        throw new TypeError(`nodes[${index}] must be a Redis node (wrap clients with fromIoredis or fromNodeRedis), got ${describeValue(node)}`);
      }
    });
    const defaults = resolveMutexOptions(options, MUTEX_DEFAULTS, 'options', ['prefix', 'onEvictingNode']);
    const prefix = checkName('options.prefix', options?.prefix ?? '', true);
    const onEvicting = options?.onEvictingNode ?? 'warn';
    if (!EVICTION_POLICIES.includes(onEvicting)) {
      throw new TypeError(`options.onEvictingNode must be one of ${EVICTION_POLICIES.join(', ')}, got ${describeValue(onEvicting)}`);
    }
    this.#nodes = Object.freeze([...nodes]);
    this.#notifier = ReleaseNotifier.for(this.#nodes);
    this.#permitLines = new PermitLines(this.#nodes);
    this.#grantLines = new GrantLines(this.#nodes);
    const eviction = onEvicting === 'ignore' ? undefined : new EvictionGate(this.#nodes, onEvicting);
    this.#contexts = new LockContexts(this.#nodes, prefix, defaults, this.#notifier, eviction);
  }

  /**
   * Closes the subscriber connections this instance opened for release notifications, and wakes
   * its waiters (they go on waiting on their retry delays; no new connection is opened). Held
   * locks are not released and keep renewing; the clients you passed in are left open. Idempotent.
   */
  close(): Promise<void> {
    const caches = [...this.#caches].map((cache) => cache.close());
    this.#caches.clear();
    return Promise.all([this.#notifier?.close(), ...caches, this.#permitLines.close(), this.#grantLines.close()]).then(() => undefined);
  }

  /** {@link Redsync.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Number of nodes. */
  get size(): number {
    return this.#nodes.length;
  }

  /** Votes needed for a lock: floor(N/2)+1. */
  get quorum(): number {
    return quorumOf(this.#nodes.length);
  }

  /**
   * Runs `work` while holding the lock `name`: acquires it with renewal on, passes `work` a signal
   * that aborts the moment the lock is lost (with a `LockLostError`) or `options.signal` aborts,
   * releases in all cases, and returns the work's result.
   *
   * The work's own error is what the caller sees; a failed release never replaces it (it goes to
   * `options.onReleaseError`). If the lock was lost while the work ran and the work finished
   * anyway, the `LockLostError` is thrown instead of the result.
   * @throws LockNotAcquiredError / LockTakenError / `options.signal.reason` when the lock cannot be had.
   * @throws TypeError or RangeError for invalid arguments, before any I/O.
   */
  withLock<T>(name: string, work: LockedWork<T>, options?: WithLockOptions): Promise<T> {
    try {
      checkFunction('work', work);
      const { mutexOptions, acquire, onReleaseError } = splitWithLockOptions(options);
      return runLocked(this.mutex(name, mutexOptions), work, acquire, onReleaseError);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /**
   * A cache whose misses are filled once across every process (see docs/cache.md). Its fill locks
   * are locks of this Redsync, named `<entry key>:fill` (in the entry's hash slot), renewing while
   * their loader runs; its entries live on `options.store` (the first node by default).
   * @throws TypeError or RangeError for an invalid option (the lock options included), before any I/O.
   */
  cache<T = unknown>(options: CacheOptions<T>): Cache<T> {
    const resolved = resolveCacheOptions<T>(options);
    const lockOptions = { ...resolved.lock, autoExtend: true };
    const lockTtl = this.#contexts.resolve(lockOptions).ttl;
    const store = resolved.store ?? this.#nodes.at(0);
    if (store === undefined) throw new RangeError('nodes must contain at least one Redis node');
    const storeIndex = this.#nodes.indexOf(store);
    const fillName = (entryKey: string): string => companionKey(entryKey, ':fill');
    const fillLockKeyOnStore = (entryKey: string): string | undefined => (storeIndex >= 0 ? this.#contexts.key('key', fillName(entryKey)) : undefined);
    const cache = new Cache<T>(
      {
        store,
        lockTtl,
        storeIndex,
        fillLock: (entryKey, attempt) => new Mutex(this.#contexts.mutex(fillName(entryKey), lockOptions, attempt)),
        fillLockKeyOnStore,
        fillWaitersKeyOnStore: (entryKey) => {
          const lockKey = store.cluster === true ? undefined : fillLockKeyOnStore(entryKey);
          return lockKey === undefined ? undefined : companionKey(lockKey, ':waiters');
        },
      },
      resolved,
    );
    this.#caches.add(cache as Cache<never>);
    return cache;
  }

  /**
   * A named lock. The options override this Redsync's defaults and are validated here, once.
   * @throws TypeError or RangeError for an empty or over-long name, or an invalid option.
   */
  mutex(name: string, options?: MutexOptions): Mutex {
    return new Mutex(this.#contexts.mutex(name, options));
  }

  /**
   * A counting semaphore named `name`: at most `options.limit` permits held at once (on several
   * nodes, see `options.mode`), each a lease that comes back when its holder dies. Its key is
   * `prefix + name` (a sorted set), beside `{key}:grants`; a lock of the same name would clash.
   * @throws TypeError or RangeError for an empty or over-long name or an invalid option, before any I/O.
   */
  semaphore(name: string, options: SemaphoreOptions): Semaphore {
    const resolved = resolveSemaphoreOptions(options);
    const plan = planSemaphore(resolved.limit, this.#nodes.length, resolved.mode);
    const ctx = this.#contexts.lease(name, resolved.ttl);
    return new Semaphore(semaphoreContext(ctx, plan, ctx.options.ttl, resolved.autoExtend), (key) => this.#permitLines.lineFor(key));
  }

  /**
   * A read-write lock named `name`: many readers or one writer, writer-preferring, each hold a
   * lease. Its keys are `prefix + name` (the writer), `{key}:readers` and `{key}:writer-waiting`.
   * @throws TypeError or RangeError for an empty or over-long name or an invalid option, before any I/O.
   */
  rwlock(name: string, options?: ReadWriteLockOptions): ReadWriteLock {
    const resolved = resolveRwLockOptions(options);
    const ctx = this.#contexts.lease(name, resolved.ttl);
    return new ReadWriteLock(rwContext(ctx, ctx.options.ttl, resolved.autoExtend), () => this.#permitLines.lineFor(ctx.key, true));
  }

  /**
   * Several locks taken as one, all or nothing (see {@link MultiLock}): a hold means every name's
   * lock key (`prefix + name`, the keys mutexes of those names use) holds this hold's value on a
   * majority of the nodes. Names are taken in sorted order, whatever order they are given in.
   * @throws TypeError or RangeError for a bad name (empty, over-long, repeated), more than 1,000
   *   names, or an invalid option, before any I/O.
   */
  multiLock(names: readonly string[], options?: MultiLockOptions): MultiLock {
    const resolved = resolveMultiLock(names, options);
    const ctx = this.#contexts.lease(resolved.names[0] as string, resolved.ttl);
    const keys = resolved.names.map((name, index) => this.#contexts.key(`names[${String(index)}]`, name));
    return new MultiLock(multiContext(ctx, resolved.names, keys, ctx.options.ttl, resolved.autoExtend), (key) => this.#permitLines.lineFor(key, true));
  }

  /**
   * A lock served in request order across processes (see {@link FairLock}): its key is
   * `prefix + name`, beside `{key}:queue` and `{key}:waiters`; a release hands it to the next
   * waiter in one hop.
   * @throws TypeError or RangeError for an empty or over-long name or an invalid option, before any I/O.
   */
  fairLock(name: string, options?: FairLockOptions): FairLock {
    const resolved = resolveFairLockOptions(options);
    const ctx = this.#contexts.lease(name, resolved.ttl);
    return new FairLock(fairContext(ctx, ctx.options.ttl, resolved.waiterLease, resolved.autoExtend), () => this.#grantLines.lineFor(ctx.key));
  }
}
