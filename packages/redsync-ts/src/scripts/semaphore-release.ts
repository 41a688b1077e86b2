import { defineScript } from '../script.js';
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
  source: `if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 then
  redis.pcall('PUBLISH', KEYS[1] .. ':released', redis.sha1hex(ARGV[1]))
  return 1
end
return -1
`,
  sha1: 'c917bdd724d768fd527fe58a152878b41e7f5df1',
  late: 'self',
  parse: (reply) => verdictOf(reply, 'semaphore-release'),
});
