import { defineScript, toInteger } from '../script.js';
import { ANNOUNCE_LUA } from './announce.js';
import { TELL_WAITERS_LUA } from './tell-waiters.js';

/**
 * Announces how a fill ended when it wrote nothing: its loader failed (`e` + message), returned
 * undefined (`u`), or the filler gave up (`a`). Waiters of other processes act on it at once
 * instead of waiting for the fill lock's ttl. A script, not PUBLISH, so that the channel follows
 * the entry key (ioredis `keyPrefix`, Cluster routing, sharded channels) exactly as the fill
 * script's does.
 *
 * KEYS[1] entry key · KEYS[2] (optional) waiters set (see tell-waiters.ts) · ARGV[1] message
 * Returns the number of subscribers that received it.
 */
export const cacheNotify = defineScript<number>({
  name: 'cache-notify',
  source: `${ANNOUNCE_LUA}${TELL_WAITERS_LUA}if KEYS[2] then tellWaiters(KEYS[2], ARGV[1]) end
return announce(KEYS[1], ':filled', ARGV[1])
`,
  sha1: 'af3bb8af2016bd5efb208136098b91de73eea5f0',
  late: 'self',
  parse: (reply) => toInteger(reply, 'cache-notify'),
});
