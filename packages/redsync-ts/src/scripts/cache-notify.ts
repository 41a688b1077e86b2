import { defineScript, toInteger } from '../script.js';

/**
 * Announces how a fill ended when it wrote nothing: its loader failed (`e` + message), returned
 * undefined (`u`), or the filler gave up (`a`). Waiters of other processes act on it at once
 * instead of waiting for the fill lock's ttl. A script, not PUBLISH, so that the channel follows
 * the entry key (ioredis `keyPrefix`, Cluster routing) exactly as the fill script's does.
 *
 * KEYS[1] entry key · ARGV[1] message
 * Returns the number of subscribers that received it.
 */
export const cacheNotify = defineScript<number>({
  name: 'cache-notify',
  source: `return redis.call('PUBLISH', KEYS[1] .. ':filled', ARGV[1])
`,
  sha1: '836054bdb8e5730c0f86fc77c94adc70ffb82432',
  late: 'self',
  parse: (reply) => toInteger(reply, 'cache-notify'),
});
