import { channelOf, lockKeyOf, releaseTagOf } from './keys.js';
import type { RedisNode, ReleaseFeed } from './node.js';
import { WaitLine, type Reservation, type Turn } from './wait-line.js';

/**
 * How long a key's subscription outlives its last waiter. A hot key whose waiters come and go
 * keeps its subscription instead of paying SUBSCRIBE/UNSUBSCRIBE for every burst. The connections
 * close with the last subscription, so a process that forgets `Redsync.close()` still exits, at
 * most this much after its last wait.
 */
export const LINGER_MS = 500;

/**
 * Release notifications for one `Redsync`: one subscriber connection per node that can listen,
 * opened by the first waiter, subscribed to the channel of each key that has waiters in this
 * process. A message from any node wakes the key's {@link WaitLine}.
 */
export class ReleaseNotifier {
  readonly #nodes: readonly RedisNode[];
  #feeds: ReleaseFeed[] | undefined;
  /** By lock key. */
  readonly #lines = new Map<string, WaitLine>();
  readonly #lingering = new Map<string, NodeJS.Timeout>();
  #seq = 0;
  #closed = false;

  private constructor(nodes: readonly RedisNode[]) {
    this.#nodes = nodes;
  }

  /** A notifier for `nodes`, or undefined when none of them can listen (waiters then poll). */
  static for(nodes: readonly RedisNode[]): ReleaseNotifier | undefined {
    const listening = nodes.filter((node) => typeof node.listen === 'function');
    return listening.length === 0 ? undefined : new ReleaseNotifier(listening);
  }

  /** Number of keys with a live subscription (waiting or lingering); for tests and diagnostics. */
  get subscriptions(): number {
    return this.#lines.size;
  }

  /**
   * True while some caller of this process waits for `key` (or is attempting after a wake-up):
   * a new `acquire()` then queues behind it instead of barging in. A Map lookup, no I/O.
   */
  queued(key: string): boolean {
    return this.#lines.get(key)?.busy === true;
  }

  /** A waiter of this process for `key` to hand the lock to (see {@link WaitLine.reserve}). */
  reserve(key: string): Reservation | undefined {
    return this.#closed ? undefined : this.#lines.get(key)?.reserve();
  }

  /** Joins the wait line of `key`, subscribing to its channel if this process was not yet. */
  join(key: string): Turn {
    // After close, a line of one that only its timer wakes, kept nowhere.
    if (this.#closed) return new WaitLine(() => undefined).join(0);
    let line = this.#lines.get(key);
    if (line === undefined) {
      const created = new WaitLine(() => this.#linger(key, created));
      line = created;
      this.#lines.set(key, line);
      this.#subscribe(key, line);
    }
    const lingering = this.#lingering.get(key);
    if (lingering !== undefined) {
      clearTimeout(lingering);
      this.#lingering.delete(key);
    }
    return line.join(this.#seq++);
  }

  /**
   * This process released `key`: wake one of its waiters here, without waiting for a message. The
   * release publishes only when some waiter raised the waiting flag, and a caller that queued
   * behind this process's waiters (so never attempted) has not. Tagged like the message would be,
   * so that the message, when there is one, counts as the same release.
   */
  released(key: string, value: string): void {
    this.#lines.get(key)?.releasedHere(releaseTagOf(value));
  }

  /** Closes the subscriber connections and wakes every waiter. Idempotent; never rejects. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const timer of this.#lingering.values()) clearTimeout(timer);
    this.#lingering.clear();
    for (const line of this.#lines.values()) line.wakeAll();
    this.#lines.clear();
    await this.#closeFeeds();
  }

  #subscribe(key: string, line: WaitLine): void {
    if (this.#closed) return;
    const feeds = this.#open();
    feeds.forEach((feed, i) => {
      feed.subscribe(this.#channel(i, key)).then(
        () => {
          if (this.#lines.get(key) !== line) return;
          const first = !line.confirmed;
          line.setConfirmed(i, true);
          // Wake the head once, on the first confirmation: a release between its failed attempt
          // and the subscription would otherwise go unheard until the holder's ttl ran out.
          if (first) line.notify();
        },
        () => undefined, // this node could not subscribe: the others (or the waiters' timers) cover it
      );
    });
  }

  /** `key`'s release channel at the `i`th node: sharded on a Redis Cluster node (keys.ts). */
  #channel(i: number, key: string): string {
    return channelOf(this.#nodes[i] as RedisNode, key, ':released');
  }

  #open(): ReleaseFeed[] {
    if (this.#feeds !== undefined) return this.#feeds;
    this.#feeds = this.#nodes.map((node, i) => {
      // A message proves the subscription is live on that feed. An empty one carries no release
      // tag: a publisher other than our release script, or a feed that resubscribed after a
      // reconnect and may have missed a release meanwhile.
      const onMessage = (channel: string, message: string): void => {
        const line = this.#lines.get(lockKeyOf(node, channel));
        if (line === undefined) return;
        line.setConfirmed(i, true);
        line.notify(message === '' ? undefined : message);
      };
      // The connection dropped: its subscriptions are gone until it resubscribes.
      const onDown = (): void => {
        for (const line of this.#lines.values()) line.setConfirmed(i, false);
      };
      return (node.listen as NonNullable<RedisNode['listen']>)(onMessage, onDown);
    });
    return this.#feeds;
  }

  #linger(key: string, line: WaitLine): void {
    if (this.#closed) return;
    const timer = setTimeout(() => {
      this.#lingering.delete(key);
      if (line.busy || this.#lines.get(key) !== line) return;
      this.#lines.delete(key);
      (this.#feeds ?? []).forEach((feed, i) => {
        feed.unsubscribe(this.#channel(i, key)).catch(() => undefined);
      });
      if (this.#lines.size === 0) void this.#closeFeeds();
    }, LINGER_MS);
    timer.unref();
    this.#lingering.set(key, timer);
  }

  async #closeFeeds(): Promise<void> {
    const feeds = this.#feeds ?? [];
    this.#feeds = undefined;
    await Promise.all(feeds.map((feed) => feed.close().catch(() => undefined)));
  }
}
