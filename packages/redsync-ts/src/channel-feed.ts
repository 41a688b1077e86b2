import { nextArrival, pushArrival, type Arrivals, type Queue } from './arrival-queue.js';
import { channelOf } from './keys.js';
import type { RedisNode, ReleaseFeed } from './node.js';
import { ProcessChannel, type Ticket } from './process-channel.js';

export { POLL_MS, type Arrival, type Arrivals } from './arrival-queue.js';
export type { Ticket } from './process-channel.js';

/** How long a key's subscription outlives its last waiter (a hot key's bursts reuse it). */
const LINGER_MS = 500;

/**
 * How long the subscriber connection outlives its last subscription. Opening it again inside a
 * burst cost each of 4 processes a connection handshake beside its 250 callers: with it kept
 * open, the cold burst's callers waited 16.7 -> 11.7 ms beyond the loader (bench:cache).
 */
const IDLE_MS = 30_000;

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
 * releases on `<key>:released`. Beside those, once a waiter asked for it, the process's own
 * channel (process-channel.ts), where a script tells waiters that registered in it. A node that
 * cannot listen gets no feed: its waiters look again every {@link POLL_MS}.
 */
export class ChannelFeed {
  readonly #node: RedisNode;
  readonly #suffix: string;
  #feed: ReleaseFeed | undefined;
  #idle: NodeJS.Timeout | undefined;
  #lastUsed = 0;
  readonly #channels = new Map<string, Channel>();
  #own: ProcessChannel | undefined;
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
    const queue: Queue = [];
    channel.queues.add(queue);
    channel.confirmed ??= this.#subscribe(name, channel);
    await channel.confirmed;
    const current = channel;
    return {
      get live() {
        return current.live;
      },
      next: (ms) => nextArrival(current.live, queue, ms),
      close: () => {
        current.queues.delete(queue);
        queue.wake?.();
        if (current.queues.size === 0) this.#linger(name, current);
      },
    };
  }

  /**
   * A waiter's registration on this process's own channel, subscribed once for all keys: the
   * server publishes to it only once the waiter registered in a script (cache-attempt.ts).
   * Undefined until {@link openTickets} subscribed that channel and the server confirmed it: the
   * waiter then listens on the key's own channel.
   */
  ticket(): Ticket | undefined {
    return this.#own?.issue();
  }

  /**
   * Subscribes this process's own channel for later waiters, if not yet. Called by a waiter that
   * had to listen on its key's channel: a process that only ever fills opens no subscriber
   * connection for it.
   */
  openTickets(): void {
    if (!this.#closed && this.#node.listen !== undefined) this.#own ??= this.#openOwn();
  }

  /** Closes the subscriber connection and wakes every waiter (they look again). */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#idle);
    for (const channel of this.#channels.values()) {
      clearTimeout(channel.linger);
      for (const queue of channel.queues) pushArrival(queue, '');
    }
    this.#channels.clear();
    this.#dropOwn();
    const feed = this.#feed;
    this.#feed = undefined;
    await feed?.close().catch(() => undefined);
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
        if (name === this.#own?.name) {
          this.#own.deliver(message);
          return;
        }
        const channel = this.#channels.get(name);
        if (channel === undefined) return;
        channel.live = true;
        for (const queue of channel.queues) pushArrival(queue, message);
      },
      () => {
        for (const channel of this.#channels.values()) channel.live = false;
        this.#own?.down();
      },
    );
    return this.#feed;
  }

  #linger(name: string, channel: Channel): void {
    channel.linger = setTimeout(() => {
      if (channel.queues.size > 0 || this.#channels.get(name) !== channel) return;
      this.#channels.delete(name);
      this.#feed?.unsubscribe(name).catch(() => undefined);
      this.#idleIfUnused();
    }, LINGER_MS);
    channel.linger.unref();
  }

  #unused(): boolean {
    return this.#channels.size === 0 && (this.#own?.unused ?? true);
  }

  /**
   * Closes the connection once nothing used it for {@link IDLE_MS}. One timer, armed when the feed
   * falls unused and pushed back when it fires early: a fill closes a ticket every time.
   */
  #idleIfUnused(): void {
    if (!this.#unused()) return;
    this.#lastUsed = performance.now();
    if (this.#idle === undefined) this.#armIdle(IDLE_MS);
  }

  #armIdle(ms: number): void {
    this.#idle = setTimeout(() => {
      this.#idle = undefined;
      if (!this.#unused()) return; // used again: armed anew when it falls unused
      const left = this.#lastUsed + IDLE_MS - performance.now();
      if (left > 0) {
        this.#armIdle(left);
        return;
      }
      const feed = this.#feed;
      this.#feed = undefined;
      this.#dropOwn();
      void feed?.close().catch(() => undefined);
    }, ms);
    this.#idle.unref();
  }

  /** Subscribes this process's own channel (see process-channel.ts). */
  #openOwn(): ProcessChannel {
    const own = new ProcessChannel(() => this.#idleIfUnused());
    this.#open()?.subscribe(own.name).then(
      () => {
        if (this.#own === own) own.confirmed();
      },
      () => undefined, // not subscribed: waiters listen per key
    );
    this.#idleIfUnused();
    return own;
  }

  /** Forgets the own channel (its connection is closing): its waiters look again. */
  #dropOwn(): void {
    this.#own?.drop();
    this.#own = undefined;
  }
}
