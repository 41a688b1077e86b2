import { defineScript, toInteger } from '../script.js';
import { FAIR_QUEUE_LUA } from './fair-queue.js';

/** A node's answer to a fair lock attempt. */
export type FairAcquireReply =
  /**
   * The key holds our id for `pttl` more ms: taken now, or granted to us earlier. `yieldTo`: a
   * live waiter who asked before us is queued here (its registration arrived after the grant).
   */
  | { readonly granted: true; readonly pttl: number; readonly yieldTo: boolean }
  /** Someone else's turn; we are queued (when the attempt asked to be). */
  | { readonly granted: false };

/**
 * An attempt on one node's fair lock, and a waiter's registration (sent again every third of its
 * lease while it waits). The key is ours when it already holds our id (granted while we did not
 * hear of it; the reply then says whether a waiter who asked before us is queued here, to whom a
 * waiter without a majority yields), or when it is free and nobody live is queued before us. A
 * free key with a live waiter at the head is granted to that waiter here (its holder's key
 * expired, so no release granted it). Otherwise, with a lease, the waiter is queued by its score,
 * or its registration refreshed in place; without one (a `tryAcquire`), nothing is written.
 *
 * KEYS[1] lock · KEYS[2] queue · KEYS[3] registrations · ARGV[1] id · ARGV[2] ttl ms ·
 * ARGV[3] registration seq · ARGV[4] waiter lease ms (0: do not queue) · ARGV[5] score (when asked)
 * Returns `{1, pttl}` ours · `{2, pttl}` ours, but an earlier waiter is queued · `{0}` not our turn.
 */
export const fairAcquire = defineScript<FairAcquireReply>({
  name: 'fair-acquire',
  source: `${FAIR_QUEUE_LUA}local id, ttl, seq, lease, score = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local current = redis.call('GET', key)
if current == id then
  local head, _, _, first = live_head()
  local pttl = redis.call('PTTL', key)
  if head and (first < score or (first == score and head < id)) then return {2, pttl} end
  return {1, pttl}
end
if current == false then
  local head = live_head()
  if head == false or head == id then
    redis.call('SET', key, id, 'PX', ttl)
    if head == id then
      redis.call('ZREM', queue, id)
      redis.call('HDEL', waiters, id)
    end
    return {1, tonumber(ttl)}
  end
  grant_head()
end
if lease > 0 then
  redis.call('HSET', waiters, id, (now + lease) .. ' ' .. seq .. ' ' .. ttl)
  redis.call('ZADD', queue, 'NX', score, id)
  redis.call('PEXPIRE', queue, lease * 2)
  redis.call('PEXPIRE', waiters, lease * 2)
end
return {0}
`,
  sha1: 'd5805ef4ed16a5416b989efea13f881426452b14',
  late: undefined, // it sets the key: run late, it would take a lock nobody waits for
  parse: (reply) => {
    if (!Array.isArray(reply) || reply.length === 0) throw new TypeError('unexpected reply from script fair-acquire');
    const [code, pttl] = reply as unknown[];
    const granted = toInteger(code, 'fair-acquire');
    return granted === 0 ? { granted: false } : { granted: true, pttl: toInteger(pttl, 'fair-acquire'), yieldTo: granted === 2 };
  },
});
