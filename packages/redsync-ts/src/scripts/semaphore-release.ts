import { defineScript } from '../script.js';
import { ANNOUNCE_LUA } from './announce.js';
import { verdictOf } from './verdict.js';

/**
 * Gives a permit back on one node and announces it on `<key>:released` with the SHA1 of the
 * permit's id (the same on every node, so a process hearing one release from N nodes wakes one
 * waiter, not N; the id itself never leaves). Through `redis.pcall`: an ACL user without channel
 * rights still releases, and its waiters fall back to the earliest expiry. Removing an expired
 * member that was not yet purged is harmless: it counted for nobody.
 *
 * KEYS[1] permits · ARGV[1] permit id
 * Returns `1` removed · `-1` not there (expired and purged, or never admitted here).
 */
export const semaphoreRelease = defineScript({
  name: 'semaphore-release',
  source: `${ANNOUNCE_LUA}if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 then
  announce(KEYS[1], ':released', redis.sha1hex(ARGV[1]))
  return 1
end
return -1
`,
  sha1: '02756f5a2e91cff4056a9ecec941a78d30bfb5df',
  late: 'self',
  parse: (reply) => verdictOf(reply, 'semaphore-release'),
});
