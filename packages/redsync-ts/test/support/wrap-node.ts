import type { RedisNode } from '../../src/index.js';

/** The commands a test may replace on a node. */
type Commands = Partial<Pick<RedisNode, 'get' | 'setNX' | 'evalsha' | 'eval'>>;

/**
 * `node` as the library sees it, with some commands replaced (to count, delay or fail them) and
 * the others passed through. It has no feed: waiters through it look at the store instead.
 */
export function wrapNode(node: RedisNode, replaced: Commands): RedisNode {
  return {
    get: (key) => node.get?.(key) ?? Promise.resolve(null),
    setNX: (key, value, ttl) => node.setNX(key, value, ttl),
    evalsha: (sha, keys, args) => node.evalsha(sha, keys, args),
    eval: (source, keys, args) => node.eval(source, keys, args),
    ...replaced,
  };
}
