/**
 * redsync-ts: distributed locks on Redis, the Redlock algorithm over 1..N independent masters.
 * The public surface, listed explicitly; anything not exported here is internal.
 */
export { Redsync, type RedsyncOptions } from './redsync.js';
export { Mutex, type AcquireOptions } from './mutex.js';
export { Lock } from './lock.js';
export { MUTEX_DEFAULTS, type MutexOptions, type RetryDelayFunction } from './options.js';
export {
  LockError,
  LockLostError,
  LockNotAcquiredError,
  LockReleaseError,
  LockTakenError,
  NodeError,
  isLockError,
  type LockErrorCode,
  type NodeOutcome,
  type NodeVerdict,
} from './errors.js';
export type { RedisNode } from './node.js';
export { fromIoredis, type IoredisClient } from './adapters/ioredis.js';
export { fromNodeRedis, type NodeRedisClient, type NodeRedisEvalOptions } from './adapters/node-redis.js';
