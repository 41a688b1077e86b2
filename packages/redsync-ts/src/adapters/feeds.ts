/**
 * Release-notification feeds for the adapters: a subscriber connection duplicated from the user's
 * client. The duplicate is ours (we open and close it); the user's client is never put into
 * subscriber mode. The drivers are typed structurally here too, and probed at run time, so a
 * client without `duplicate` simply gets no feed (its waiters poll).
 *
 * On a Redis Cluster the scripts announce on sharded channels (SPUBLISH, see
 * scripts/announce.ts), so a Cluster feed subscribes with SSUBSCRIBE, one connection per shard as
 * the driver routes them; a server without sharded pub/sub (6.2) refuses SSUBSCRIBE, and the feed
 * then subscribes classically, as the scripts then publish.
 */
import type { ReleaseFeed, RedisNode } from '../node.js';

type Listen = NonNullable<RedisNode['listen']>;

interface IoredisSubscriber {
  on(event: string, listener: (...args: never[]) => void): unknown;
  subscribe(...channels: string[]): Promise<unknown>;
  unsubscribe(...channels: string[]): Promise<unknown>;
  ssubscribe?(...channels: string[]): Promise<unknown>;
  sunsubscribe?(...channels: string[]): Promise<unknown>;
  disconnect(): void;
}

interface IoredisLike {
  readonly isCluster?: boolean;
  readonly options?: { readonly keyPrefix?: string; readonly shardedSubscribers?: boolean; readonly redisOptions?: { readonly keyPrefix?: string } };
  duplicate(...overrides: unknown[]): IoredisSubscriber;
}

const ignore = (): void => undefined;

/** True when `error` is a server that does not know the sharded commands (Redis 6.2). */
export function lacksShardedPubSub(error: unknown): boolean {
  return error instanceof Error && /unknown command/i.test(error.message);
}

/** A feed for an ioredis `Redis` or `Cluster`, or undefined when it cannot duplicate itself. */
export function ioredisListen(client: object): Listen | undefined {
  const io = client as Partial<IoredisLike>;
  if (typeof io.duplicate !== 'function') return undefined;
  const source = client as IoredisLike;
  // ioredis prefixes KEYS inside scripts, so the script's channel carries the prefix; it does not
  // prefix channel names we subscribe to.
  const prefix = source.options?.keyPrefix ?? source.options?.redisOptions?.keyPrefix ?? '';
  const cluster = source.isCluster === true;
  // A sharded channel starts with the key's tag, computed without the prefix (keys.ts): a prefixed
  // Cluster client, or one too old to route SSUBSCRIBE by slot, gets no feed (waiters poll).
  if (cluster && (prefix !== '' || !('shardedSubscribers' in (source.options ?? {})))) return undefined;
  // The user's client may fail fast or connect lazily; the subscriber must queue until connected.
  // ioredis's own resubscription after a reconnect leaves its promise unhandled (a connection
  // that drops again crashes the process), so we resubscribe ourselves.
  const overrides = { lazyConnect: false, enableOfflineQueue: true, autoResubscribe: false };
  return (onMessage, onDown) => {
    const subscriber = cluster ? source.duplicate([], { ...overrides, shardedSubscribers: true }) : source.duplicate(overrides);
    // Sharded on a Cluster, until a server without sharded pub/sub (6.2) refuses SSUBSCRIBE.
    let sharded = cluster;
    const channels = new Set<string>();
    const deliver = (channel: string, message: string): void => {
      if (channel.startsWith(prefix)) onMessage(channel.slice(prefix.length), message);
    };
    subscriber.on('error', ignore); // it reconnects by itself; an unheard 'error' would crash the process
    subscriber.on('message', deliver);
    subscriber.on('smessage', deliver);
    subscriber.on('close', () => onDown?.());
    if (cluster) watchShards(subscriber, channels, onMessage, onDown);
    else resubscribeOnReady(subscriber, channels, prefix, onMessage);
    const subscribe = (channel: string): Promise<unknown> => {
      if (!sharded) return subscriber.subscribe(prefix + channel);
      return (subscriber.ssubscribe as (channel: string) => Promise<unknown>)(channel).catch((error: unknown) => {
        if (!lacksShardedPubSub(error)) throw error;
        sharded = false;
        return subscriber.subscribe(channel);
      });
    };
    return {
      subscribe: (channel) => {
        channels.add(channel);
        return subscribe(channel).then(ignore);
      },
      unsubscribe: (channel) => {
        channels.delete(channel);
        return (sharded ? (subscriber.sunsubscribe as (channel: string) => Promise<unknown>)(channel) : subscriber.unsubscribe(prefix + channel)).then(ignore);
      },
      close: () => {
        subscriber.disconnect();
        return Promise.resolve();
      },
    } satisfies ReleaseFeed;
  };
}

/** Classic subscriber: after a reconnect, subscribe again and let every line look again. */
function resubscribeOnReady(subscriber: IoredisSubscriber, channels: Set<string>, prefix: string, onMessage: (channel: string, message: string) => void): void {
  let connectedBefore = false;
  subscriber.on('ready', () => {
    if (connectedBefore && channels.size > 0) {
      const again = [...channels];
      // Releases published while we were away were lost: once resubscribed, each line tries again.
      subscriber.subscribe(...again.map((channel) => prefix + channel)).then(() => {
        for (const channel of again) if (channels.has(channel)) onMessage(channel, '');
      }, ignore);
    }
    connectedBefore = true;
  });
}

/**
 * Sharded subscribers of an ioredis Cluster: the driver keeps one connection per master and
 * resubscribes them itself when the topology changes ('subscribersReady'); a shard's connection
 * failing or being replaced means its messages may be missed until then.
 */
function watchShards(subscriber: IoredisSubscriber, channels: Set<string>, onMessage: (channel: string, message: string) => void, onDown: (() => void) | undefined): void {
  subscriber.on('-subscriber', () => onDown?.());
  subscriber.on('nodeError', () => onDown?.());
  subscriber.on('subscribersReady', () => {
    for (const channel of channels) onMessage(channel, '');
  });
}
