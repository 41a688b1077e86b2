import { channelOf } from './keys.js';
import type { RedisNode, ReleaseFeed } from './node.js';

/** How long a key's subscription outlives its last waiter (a hot key's bursts reuse it). */
const LINGER_MS = 500;

/**
 * How long the subscriber connection outlives its last subscription. Opening it again inside a
 * burst cost each of 4 processes a connection handshake beside its 250 callers: with it kept
 * open, the cold burst's callers waited 16.7 -> 11.7 ms beyond the loader (bench:cache).
 */
const IDLE_MS = 30_000;

/** How often a waiter looks again while no subscription is confirmed. */
export const POLL_MS = 100;

/**
 * What a waiter hears: a message from the channel, `''` (look again: a feed came back and may
 * have missed a message), or `'timeout'`.
 */
export type Arrival = string;

/** One waiter's messages for one key, from the moment its subscription was confirmed. */
export interface Arrivals {
  /** The next message, or `'timeout'` after `ms` (shorter while the subscription is down). */
  next(ms: number): Promise<Arrival>;
  /** Stops listening; the subscription lingers for the next waiter. */
  close(): void;
  /** False while the subscription is down (messages are being missed): waiters should poll. */
  readonly live: boolean;
}

/** A waiter's undelivered messages, and how to wake it while it waits. */
type Queue = Arrival[] & { wake?: (() => void) | undefined };

interface Channel {
  readonly queues: Set<Queue>;
  confirmed: Promise<void> | undefined;
  live: boolean;
  linger?: NodeJS.Timeout | undefined;
}

/**
 * Notifications from one node for waiters of this process: one subscriber connection (opened by
 * the first waiter), subscribed to `<key><suffix>` (sharded on a Cluster node: keys.ts
 * `channelOf`) for each key a waiter listens on. The cache's
 * fills publish on `<entry key>:filled` (a waiter takes the value from the message), semaphore
 * releases on `<key>:released`. A node that cannot listen gets no feed: its waiters look again
 * every {@link POLL_MS}.
 */
export class ChannelFeed {
  readonly #node: RedisNode;
  readonly #suffix: string;
  #feed: ReleaseFeed | undefined;
  #idle: NodeJS.Timeout | undefined;
  readonly #channels = new Map<string, Channel>();
  #closed = false;

  constructor(node: RedisNode, suffix: string) {
    this.#node = node;
    this.#suffix = suffix;
  }

  /** Starts listening for `key`'s messages; resolves once the server confirmed (or could not). */
  async listen(key: string): Promise<Arrivals> {
    const name = channelOf(this.#node, key, this.#suffix);
    let channel = this.#channels.get(name);
    if (channel === undefined) {
      channel = { queues: new Set(), confirmed: undefined, live: false };
      this.#channels.set(name, channel);
    }
    if (channel.linger !== undefined) clearTimeout(channel.linger);
    channel.linger = undefined;
    clearTimeout(this.#idle);
    const queue: Queue = [];
    channel.queues.add(queue);
    channel.confirmed ??= this.#subscribe(name, channel);
    await channel.confirmed;
    const current = channel;
    return {
      get live() {
        return current.live;
      },
      next: (ms) => this.#next(current, queue, ms),
      close: () => {
        current.queues.delete(queue);
        queue.wake?.();
        if (current.queues.size === 0) this.#linger(name, current);
      },
    };
  }

  /** Closes the subscriber connection and wakes every waiter (they look again). */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#idle);
    for (const channel of this.#channels.values()) {
      clearTimeout(channel.linger);
      for (const queue of channel.queues) this.#push(queue, '');
    }
    this.#channels.clear();
    const feed = this.#feed;
    this.#feed = undefined;
    await feed?.close().catch(() => undefined);
  }

  #next(channel: Channel, queue: Queue, ms: number): Promise<Arrival> {
    const queued = queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    const wait = channel.live ? ms : Math.min(ms, POLL_MS);
    return new Promise((resolve) => {
      const timer = setTimeout(() => done('timeout'), Math.max(0, wait));
      const done = (arrival: Arrival): void => {
        clearTimeout(timer);
        queue.wake = undefined;
        resolve(arrival);
      };
      queue.wake = () => done(queue.shift() ?? '');
    });
  }

  #push(queue: Queue, message: Arrival): void {
    queue.push(message);
    queue.wake?.();
  }

  #subscribe(name: string, channel: Channel): Promise<void> {
    const feed = this.#open();
    if (feed === undefined) return Promise.resolve();
    return feed.subscribe(name).then(
      () => {
        channel.live = true;
      },
      () => undefined, // not subscribed: its waiters poll
    );
  }

  #open(): ReleaseFeed | undefined {
    if (this.#closed || this.#node.listen === undefined) return undefined;
    this.#feed ??= this.#node.listen(
      (name, message) => {
        const channel = this.#channels.get(name);
        if (channel === undefined) return;
        channel.live = true;
        for (const queue of channel.queues) this.#push(queue, message);
      },
      () => {
        for (const channel of this.#channels.values()) channel.live = false;
      },
    );
    return this.#feed;
  }

  #linger(name: string, channel: Channel): void {
    channel.linger = setTimeout(() => {
      if (channel.queues.size > 0 || this.#channels.get(name) !== channel) return;
      this.#channels.delete(name);
      this.#feed?.unsubscribe(name).catch(() => undefined);
      if (this.#channels.size === 0) this.#closeWhenIdle();
    }, LINGER_MS);
    channel.linger.unref();
  }

  #closeWhenIdle(): void {
    clearTimeout(this.#idle);
    this.#idle = setTimeout(() => {
      if (this.#channels.size > 0) return;
      const feed = this.#feed;
      this.#feed = undefined;
      void feed?.close().catch(() => undefined);
    }, IDLE_MS);
    this.#idle.unref();
  }
}
