import { defineScript, toInteger } from '../script.js';
import { FAIR_QUEUE_LUA } from './fair-queue.js';

/** A node's answer to a fair lock attempt. */
export type FairAcquireReply =
  /** The key holds our id for `pttl` more ms: taken now, or granted to us earlier. */
  | { readonly granted: true; readonly pttl: number }
  /** Someone else's turn; we are queued (when the attempt asked to be). */
  | { readonly granted: false };

/**
 * An attempt on one node's fair lock, and a waiter's registration (sent again every third of its
 * lease while it waits). The key is ours when it already holds our id (granted while we did not
 * hear of it), or when it is free and nobody live is queued before us. A free key with a live
 * waiter at the head is granted to that waiter here (its key expired, so no release granted it).
 * Otherwise, with a lease, the waiter is queued at the tail, or its registration refreshed in
 * place; without one (a `tryAcquire`), nothing is written.
 *
 * KEYS[1] lock · KEYS[2] queue · KEYS[3] registrations · ARGV[1] id · ARGV[2] ttl ms ·
 * ARGV[3] registration seq · ARGV[4] waiter lease ms (0: do not queue)
 * Returns `{1, pttl}` ours · `{0}` not our turn.
 */
export const fairAcquire = defineScript<FairAcquireReply>({
  name: 'fair-acquire',
  source: `${FAIR_QUEUE_LUA}local id, ttl, seq, lease = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local current = redis.call('GET', key)
if current == id then return {1, redis.call('PTTL', key)} end
if current == false then
  local head = live_head()
  if head == false or head == id then
    redis.call('SET', key, id, 'PX', ttl)
    if head == id then
      redis.call('LPOP', queue)
      redis.call('HDEL', waiters, id)
    end
    return {1, tonumber(ttl)}
  end
  grant_head()
end
if lease > 0 then
  if redis.call('HSET', waiters, id, (now + lease) .. ' ' .. seq .. ' ' .. ttl) == 1 then redis.call('RPUSH', queue, id) end
  redis.call('PEXPIRE', queue, lease * 2)
  redis.call('PEXPIRE', waiters, lease * 2)
end
return {0}
`,
  sha1: 'd96397c3e4f032d7697403137564acbbc03ac00a',
  late: undefined, // it sets the key: run late, it would take a lock nobody waits for
  parse: (reply) => {
    if (!Array.isArray(reply) || reply.length === 0) throw new TypeError('unexpected reply from script fair-acquire');
    const [code, pttl] = reply as unknown[];
    return toInteger(code, 'fair-acquire') === 1 ? { granted: true, pttl: toInteger(pttl, 'fair-acquire') } : { granted: false };
  },
});
