import { defineScript } from '../script.js';
import { FAIR_QUEUE_LUA } from './fair-queue.js';
import { verdictOf } from './verdict.js';

/**
 * Gives a fair lock up on one node, or a waiter's place in its queue: the registration goes (the
 * list entry is dropped when it reaches the head), and when the key held our id, it passes to the
 * first live waiter in the same script (one hop: the waiter learns it from the message), or is
 * deleted when nobody waits. With ARGV[2] = 'keep' (a waiter giving back grants it cannot use), its
 * registration stays where it is still queued.
 *
 * KEYS[1] lock · KEYS[2] queue · KEYS[3] registrations · ARGV[1] id · ARGV[2] 'keep' or absent
 * Returns `1` the key was ours · `0` it holds another id · `-1` it is missing.
 */
export const fairRelease = defineScript({
  name: 'fair-release',
  source: `${FAIR_QUEUE_LUA}local id = ARGV[1]
local current = redis.call('GET', key)
if ARGV[2] ~= 'keep' or current == id then redis.call('HDEL', waiters, id) end
if current ~= id then
  if current == false then return -1 end
  return 0
end
if not grant_head() then redis.call('DEL', key) end
return 1
`,
  sha1: 'b6ec22c4dd02c76e77105bf81d8a578508c7acff',
  late: 'self',
  parse: (reply) => verdictOf(reply, 'fair-release'),
});
