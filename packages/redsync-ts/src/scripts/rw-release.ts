import { defineScript } from '../script.js';
import { ANNOUNCE_LUA } from './announce.js';
import { verdictOf } from './verdict.js';

/**
 * Gives a read (`ARGV[2]` = `r`) or write (`w`) hold back on one node; a writer also drops its
 * waiting marker (it gave up, or it is done), except in the clean-up of a failed write attempt
 * (`c`), whose writer still waits. Announced on `<writer key>:released` (the SHA1 of
 * the id), so that waiting readers and writers look again.
 *
 * KEYS[1] writer key · KEYS[2] readers · KEYS[3] waiting writer's marker · ARGV[1] hold id · ARGV[2] `r`, `w` or `c`
 * Returns `1` given back · `-1` not held here (expired).
 */
export const rwRelease = defineScript({
  name: 'rw-release',
  source: `${ANNOUNCE_LUA}local done = 0
if ARGV[2] ~= 'r' then
  if redis.call('GET', KEYS[1]) == ARGV[1] then done = redis.call('DEL', KEYS[1]) end
  if ARGV[2] == 'w' and redis.call('GET', KEYS[3]) == ARGV[1] then redis.call('DEL', KEYS[3]) end
else
  done = redis.call('ZREM', KEYS[2], ARGV[1])
end
announce(KEYS[1], ':released', redis.sha1hex(ARGV[1]))
if done == 1 then return 1 end
return -1
`,
  sha1: 'b22aeb8e8b8cb437718dc904b2d0e52dad974a78',
  late: 'self',
  parse: (reply) => verdictOf(reply, 'rw-release'),
});
