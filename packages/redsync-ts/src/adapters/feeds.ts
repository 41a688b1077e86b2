/**
 * Release-notification feeds for the adapters: a subscriber connection duplicated from the user's
 * client. The duplicate is ours (we open and close it); the user's client is never put into
 * subscriber mode. The drivers are typed structurally here too, and probed at run time, so a
 * client without `duplicate` simply gets no feed (its waiters poll).
 */
import type { ReleaseFeed, RedisNode } from '../node.js';

type Listen = NonNullable<RedisNode['listen']>;

interface IoredisSubscriber {
  on(event: string, listener: (...args: never[]) => void): unknown;
  subscribe(...channels: string[]): Promise<unknown>;
  unsubscribe(...channels: string[]): Promise<unknown>;
  disconnect(): void;
}

interface IoredisLike {
  readonly isCluster?: boolean;
  readonly options?: { readonly keyPrefix?: string; readonly redisOptions?: { readonly keyPrefix?: string } };
  duplicate(...overrides: unknown[]): IoredisSubscriber;
}

const ignore = (): void => undefined;

/** A feed for an ioredis `Redis` or `Cluster`, or undefined when it cannot duplicate itself. */
export function ioredisListen(client: object): Listen | undefined {
  const io = client as Partial<IoredisLike>;
  if (typeof io.duplicate !== 'function') return undefined;
  const source = client as IoredisLike;
  // ioredis prefixes KEYS inside scripts, so the script's channel carries the prefix; it does not
  // prefix channel names we subscribe to.
  const prefix = source.options?.keyPrefix ?? source.options?.redisOptions?.keyPrefix ?? '';
  // The user's client may fail fast or connect lazily; the subscriber must queue until connected.
  // ioredis's own resubscription after a reconnect leaves its promise unhandled (a connection
  // that drops again crashes the process), so we resubscribe ourselves.
  const overrides = { lazyConnect: false, enableOfflineQueue: true, autoResubscribe: false };
  return (onMessage, onDown) => {
    const subscriber = source.isCluster === true ? source.duplicate([], overrides) : source.duplicate(overrides);
    const channels = new Set<string>();
    let connectedBefore = false;
    subscriber.on('error', ignore); // it reconnects by itself; an unheard 'error' would crash the process
    subscriber.on('message', (channel: string, message: string) => {
      if (channel.startsWith(prefix)) onMessage(channel.slice(prefix.length), message);
    });
    subscriber.on('close', () => onDown?.());
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
    return {
      subscribe: (channel) => {
        channels.add(channel);
        return subscriber.subscribe(prefix + channel).then(ignore);
      },
      unsubscribe: (channel) => {
        channels.delete(channel);
        return subscriber.unsubscribe(prefix + channel).then(ignore);
      },
      close: () => {
        subscriber.disconnect();
        return Promise.resolve();
      },
    } satisfies ReleaseFeed;
  };
}

interface NodeRedisSubscriber {
  on(event: string, listener: (...args: never[]) => void): unknown;
  connect(): Promise<unknown>;
  subscribe(channel: string, listener: (message: string, channel: string) => void): Promise<unknown>;
  unsubscribe(channel: string, listener: (message: string, channel: string) => void): Promise<unknown>;
  destroy?(): unknown;
  disconnect?(): unknown;
}

/** A feed for a node-redis client or cluster (v4, v5), or undefined when it cannot duplicate itself. */
export function nodeRedisListen(client: object): Listen | undefined {
  const duplicate = (client as { duplicate?: unknown }).duplicate;
  if (typeof duplicate !== 'function') return undefined;
  return (onMessage, onDown) => {
    const subscriber = (duplicate as () => NodeRedisSubscriber).call(client);
    const channels = new Set<string>();
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
    const listener = (message: string, channel: string): void => {
      onMessage(channel, message);
    };
    return {
      subscribe: (channel) => {
        channels.add(channel);
        return connected.then(() => subscriber.subscribe(channel, listener)).then(ignore);
      },
      unsubscribe: (channel) => {
        channels.delete(channel);
        return connected.then(() => subscriber.unsubscribe(channel, listener)).then(ignore);
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
