import { defineScript } from '../script.js';
import { parseAdmission, type SemaphoreAcquireReply } from './semaphore-acquire.js';

/**
 * Takes a read hold of a read-write lock on one node: refused while a writer holds the lock or
 * waits for it (its marker: writers are preferred, so a stream of readers cannot starve them).
 * Read holds are members of a sorted set scored by their expiry on the server's clock; expired
 * ones are removed first, so a dead reader's hold ends with its lease.
 *
 * KEYS[1] writer key · KEYS[2] readers · KEYS[3] waiting writer's marker · ARGV[1] hold id · ARGV[2] ttl ms
 * Returns `{1, 0}` admitted · `{0, ms until the writer's key or marker ends}` refused.
 */
export const rwRead = defineScript<SemaphoreAcquireReply>({
  name: 'rw-read',
  source: `local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local writer = redis.call('PTTL', KEYS[1])
if writer ~= -2 then return {0, writer} end
local waiting = redis.call('PTTL', KEYS[3])
if waiting ~= -2 then return {0, waiting} end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[1])
local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
redis.call('PEXPIRE', KEYS[2], math.max(1, tonumber(last[2]) - now))
return {1, 0}
`,
  sha1: '9bc5f0b2692dc472751ffc5e61ffa65b0dff4ebb',
  late: undefined, // it admits: run late, it would grant a hold nobody has
  parse: (reply) => parseAdmission(reply, 'rw-read'),
});
