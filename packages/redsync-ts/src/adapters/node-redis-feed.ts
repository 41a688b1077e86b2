/**
 * The release-notification feed for node-redis clients and clusters (v4, v5): see feeds.ts for
 * what a feed is. A cluster's feed subscribes with `sSubscribe` (sharded, routed to the channel's
 * shard by the driver), falling back to `subscribe` on a server without sharded pub/sub.
 */
import type { ReleaseFeed, RedisNode } from '../node.js';
import { lacksShardedPubSub } from './feeds.js';

type Listen = NonNullable<RedisNode['listen']>;
type Listener = (message: string, channel: string) => void;

interface NodeRedisSubscriber {
  on(event: string, listener: (...args: never[]) => void): unknown;
  connect(): Promise<unknown>;
  subscribe(channel: string, listener: Listener): Promise<unknown>;
  unsubscribe(channel: string, listener: Listener): Promise<unknown>;
  sSubscribe?(channel: string, listener: Listener): Promise<unknown>;
  sUnsubscribe?(channel: string, listener: Listener): Promise<unknown>;
  destroy?(): unknown;
  disconnect?(): unknown;
}

const ignore = (): void => undefined;

/** True for a node-redis Sentinel client (`createSentinel`), which follows the master itself. */
export function isNodeRedisSentinel(client: object): boolean {
  return typeof (client as { getMasterNode?: unknown }).getMasterNode === 'function' && typeof (client as { duplicate?: unknown }).duplicate !== 'function';
}

/**
 * A feed for a node-redis client or cluster, or undefined when it cannot duplicate itself. A
 * Sentinel client cannot, but keeps its own subscriber connection to the current master: the feed
 * subscribes through it, and closing the feed unsubscribes (the client stays the user's).
 */
export function nodeRedisListen(client: object, cluster: boolean): Listen | undefined {
  const duplicate = (client as { duplicate?: unknown }).duplicate;
  if (typeof duplicate !== 'function') return isNodeRedisSentinel(client) ? sentinelListen(client as NodeRedisSubscriber) : undefined;
  // A cluster too old for sSubscribe could not hear the scripts' sharded announcements.
  if (cluster && typeof (client as { sSubscribe?: unknown }).sSubscribe !== 'function') return undefined;
  return (onMessage, onDown) => {
    const subscriber = (duplicate as () => NodeRedisSubscriber).call(client);
    const channels = new Set<string>();
    let sharded = cluster;
    let readyBefore = false;
    subscriber.on('error', ignore); // node-redis reconnects by itself and throws on an unheard 'error'
    subscriber.on('end', () => onDown?.());
    subscriber.on('reconnecting', () => onDown?.());
    subscriber.on('ready', () => {
      // node-redis resubscribes by itself before it reports ready; releases meanwhile were lost.
      if (readyBefore) for (const channel of channels) onMessage(channel, '');
      readyBefore = true;
    });
    const connected = subscriber.connect();
    connected.catch(ignore);
    const listener: Listener = (message, channel) => {
      onMessage(channel, message);
    };
    const subscribe = async (channel: string): Promise<void> => {
      await connected;
      if (!sharded) {
        await subscriber.subscribe(channel, listener);
        return;
      }
      try {
        await (subscriber.sSubscribe as NonNullable<NodeRedisSubscriber['sSubscribe']>)(channel, listener);
      } catch (error) {
        if (!lacksShardedPubSub(error)) throw error;
        sharded = false;
        await subscriber.subscribe(channel, listener);
      }
    };
    return {
      subscribe: (channel) => {
        channels.add(channel);
        return subscribe(channel);
      },
      unsubscribe: (channel) => {
        channels.delete(channel);
        return connected.then(() => (sharded ? (subscriber.sUnsubscribe as NonNullable<NodeRedisSubscriber['sUnsubscribe']>)(channel, listener) : subscriber.unsubscribe(channel, listener))).then(ignore);
      },
      close: async () => {
        try {
          // v5 has destroy(); v4 only disconnect(). Either may refuse a client that never connected.
          await (typeof subscriber.destroy === 'function' ? subscriber.destroy() : subscriber.disconnect?.());
        } catch {
          // already closed or never opened: nothing left to close
        }
      },
    } satisfies ReleaseFeed;
  };
}

/** The feed of a node-redis Sentinel client: its own subscriber connection, never closed by us. */
function sentinelListen(client: NodeRedisSubscriber): Listen {
  return (onMessage) => {
    const channels = new Set<string>();
    const listener: Listener = (message, channel) => {
      onMessage(channel, message);
    };
    return {
      subscribe: (channel) => {
        channels.add(channel);
        return client.subscribe(channel, listener).then(ignore);
      },
      unsubscribe: (channel) => {
        channels.delete(channel);
        return client.unsubscribe(channel, listener).then(ignore);
      },
      close: async () => {
        const ours = [...channels];
        channels.clear();
        await Promise.all(ours.map((channel) => client.unsubscribe(channel, listener).catch(ignore)));
      },
    } satisfies ReleaseFeed;
  };
}
