import { defineScript, toInteger } from '../script.js';
import { ANNOUNCE_LUA } from './announce.js';

/**
 * Announces how a fill ended when it wrote nothing: its loader failed (`e` + message), returned
 * undefined (`u`), or the filler gave up (`a`). Waiters of other processes act on it at once
 * instead of waiting for the fill lock's ttl. A script, not PUBLISH, so that the channel follows
 * the entry key (ioredis `keyPrefix`, Cluster routing, sharded channels) exactly as the fill
 * script's does.
 *
 * KEYS[1] entry key · ARGV[1] message
 * Returns the number of subscribers that received it.
 */
export const cacheNotify = defineScript<number>({
  name: 'cache-notify',
  source: `${ANNOUNCE_LUA}return announce(KEYS[1], ':filled', ARGV[1])
`,
  sha1: '16b5a9babcd21fbcd815e92b6e03407c65961577',
  late: 'self',
  parse: (reply) => toInteger(reply, 'cache-notify'),
});
