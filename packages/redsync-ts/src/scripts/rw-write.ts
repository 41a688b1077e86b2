import { defineScript } from '../script.js';
import { parseAdmission, type SemaphoreAcquireReply } from './semaphore-acquire.js';

/**
 * Takes the write hold of a read-write lock on one node: granted when nobody writes and no read
 * hold is live. While readers remain, it leaves its marker (its id, for `ARGV[3]` ms) so that
 * new readers are refused until it gets in: writer-preferring. Another writer's marker refuses it
 * (first come, first served). The same id is used by every attempt of one acquisition.
 *
 * KEYS[1] writer key · KEYS[2] readers · KEYS[3] waiting writer's marker
 * ARGV[1] hold id · ARGV[2] ttl ms · ARGV[3] marker ttl ms
 * Returns `{1, 0}` admitted · `{0, ms until the blocking key, marker or last read hold ends}` refused.
 */
export const rwWrite = defineScript<SemaphoreAcquireReply>({
  name: 'rw-write',
  source: `local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local holder = redis.call('GET', KEYS[1])
if holder then return {0, redis.call('PTTL', KEYS[1])} end
local marker = redis.call('GET', KEYS[3])
if marker and marker ~= ARGV[1] then return {0, redis.call('PTTL', KEYS[3])} end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
if last[2] then
  redis.call('SET', KEYS[3], ARGV[1], 'PX', ARGV[3])
  return {0, tonumber(last[2]) - now}
end
if marker then redis.call('DEL', KEYS[3]) end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return {1, 0}
`,
  sha1: 'f1d85f6d6ed5e08a6f1e52b4f6b99c0b4481a1e7',
  late: undefined, // it admits: run late, it would grant a hold nobody has
  parse: (reply) => parseAdmission(reply, 'rw-write'),
});
