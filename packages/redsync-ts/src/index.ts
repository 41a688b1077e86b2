/**
 * redsync-ts: distributed locks on Redis, the Redlock algorithm over 1..N independent masters.
 * The public surface, listed explicitly; anything not exported here is internal.
 */
export { Redsync, type RedsyncOptions } from './redsync.js';
export { Cache, type Loader } from './cache/cache.js';
export type { CacheEntryOptions, CacheGetOptions, CacheOptions, Serializer } from './cache/options.js';
export type { CacheStats } from './cache/stats.js';
export type { WarmLoader, WarmOptions, WarmResult } from './cache/warm.js';
export { CacheError, CacheFillError, CacheStoreError, CacheTimeoutError, type CacheErrorCode } from './cache/errors.js';
export { Semaphore } from './semaphore/semaphore.js';
export { Permit } from './semaphore/permit.js';
export type { PermitWaitOptions, SemaphoreOptions } from './semaphore/options.js';
export type { ReadWriteLockOptions } from './rwlock/options.js';
export { LockSide, ReadWriteLock } from './rwlock/rwlock.js';
export { MultiLock } from './multilock/multilock.js';
export { FairLock } from './fair/fair-lock.js';
export type { FairLockOptions } from './fair/options.js';
export type { MultiLockOptions } from './multilock/options.js';
export { keySlot } from './slots.js';
export { ReplicasNotConfirmedError } from './replicas.js';
export { maxHolders, planSemaphore, type SemaphoreMode, type SemaphorePlan } from './semaphore/plan.js';
export type { LockedWork, WithLockOptions } from './with-lock.js';
export { fencedSet } from './fenced-set.js';
export { lockKeysOf, type LockKeys } from './keys.js';
export { TRACE_CHANNELS, type CacheTraceContext, type LockTraceContext } from './tracing.js';
export { parseInfo, readServerStats, serverStatsOf, type ServerStats } from './server-stats.js';
export { Mutex } from './mutex.js';
export type { AcquireOptions } from './acquire-call.js';
export { Lock } from './lock.js';
export { MUTEX_DEFAULTS, type MutexOptions, type RetryDelayFunction } from './options.js';
export {
  LockError,
  LockLostError,
  LockNotAcquiredError,
  LockReleaseError,
  LockReleasedError,
  LockTakenError,
  RedisConfigError,
  NodeError,
  isLockError,
  type LockErrorCode,
  type LockLostReason,
  type NodeOutcome,
  type NodeVerdict,
} from './errors.js';
export { EvictingNodeError, type EvictingNodePolicy } from './eviction.js';
export type { RedisNode, ReleaseFeed } from './node.js';
export { fromIoredis, type IoredisClient } from './adapters/ioredis.js';
export { fromNodeRedis, type NodeRedisClient, type NodeRedisEvalOptions } from './adapters/node-redis.js';
export { fromGlide, type GlideClientLike } from './adapters/glide.js';
