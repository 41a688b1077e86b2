import { ANNOUNCE_LUA } from './announce.js';

/**
 * Lua shared by the fair lock's scripts. The queue (`KEYS[2]`) is a sorted set of waiter ids
 * scored by when the waiter asked (its client's clock, the same score sent to every node, so that
 * every node orders its waiters alike; a skewed clock costs fairness, never safety). Beside it, a
 * hash of registrations (`KEYS[3]`, id -> "deadline seq ttl": until when, on the server's clock,
 * the waiter counts as alive; which of its registrations the server saw last; the ttl it asked
 * for). Dead waiters are dropped only when they reach the head, so each is dropped once: O(log n)
 * per acquire and release, never a scan of the queue.
 *
 * `grant_head` hands the free lock to the first live waiter: the key is set to its id with its
 * ttl, and `<key>:granted` carries the SHA1 of its id (never the id) and the registration seq, so
 * the waiter learns from the message alone that it holds the key, and since when at the latest
 * (see fair/).
 */
export const FAIR_QUEUE_LUA = `${ANNOUNCE_LUA}local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local key, queue, waiters = KEYS[1], KEYS[2], KEYS[3]
local function live_head()
  while true do
    local first = redis.call('ZRANGE', queue, 0, 0, 'WITHSCORES')
    local head = first[1]
    if not head then return false end
    local reg = redis.call('HGET', waiters, head)
    if reg then
      local deadline, seq, ttl = string.match(reg, '^(%d+) (%d+) (%d+)$')
      if tonumber(deadline) >= now then return head, seq, ttl, tonumber(first[2]) end
      redis.call('HDEL', waiters, head)
    end
    redis.call('ZREM', queue, head)
  end
end
local function grant_head()
  local head, seq, ttl = live_head()
  if not head then return false end
  redis.call('SET', key, head, 'PX', ttl)
  redis.call('ZREM', queue, head)
  redis.call('HDEL', waiters, head)
  announce(key, ':granted', redis.sha1hex(head) .. ' ' .. seq)
  return true
end
`;
