/**
 * Lua shared by the fair lock's scripts. The queue is a list of waiter ids (`KEYS[2]`) beside a
 * hash of their registrations (`KEYS[3]`, id -> "deadline seq ttl": until when, on the server's
 * clock, the waiter counts as alive; which of its registrations the server saw last; the ttl it
 * asked for). Dead waiters are dropped only when they reach the head, so each is dropped once:
 * O(1) amortised per acquire and release, however long the queue.
 *
 * `grant_head` hands the free lock to the first live waiter: the key is set to its id with its
 * ttl, and `<key>:granted` carries the SHA1 of its id (never the id) and the registration seq, so
 * the waiter learns from the message alone that it holds the key, and since when at the latest
 * (see fair-lock/).
 */
export const FAIR_QUEUE_LUA = `local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local key, queue, waiters = KEYS[1], KEYS[2], KEYS[3]
local function live_head()
  while true do
    local head = redis.call('LINDEX', queue, 0)
    if not head then return false end
    local reg = redis.call('HGET', waiters, head)
    if reg then
      local deadline, seq, ttl = string.match(reg, '^(%d+) (%d+) (%d+)$')
      if tonumber(deadline) >= now then return head, seq, ttl end
      redis.call('HDEL', waiters, head)
    end
    redis.call('LPOP', queue)
  end
end
local function grant_head()
  local head, seq, ttl = live_head()
  if not head then return false end
  redis.call('SET', key, head, 'PX', ttl)
  redis.call('LPOP', queue)
  redis.call('HDEL', waiters, head)
  redis.pcall('PUBLISH', key .. ':granted', redis.sha1hex(head) .. ' ' .. seq)
  return true
end
`;
