import { ChannelFeed, type Arrivals } from './channel-feed.js';
import type { RedisNode } from './node.js';

/**
 * How long a pump waits for a message before asking again (a message wakes it at once; this only
 * bounds the timer each wait arms).
 */
const PUMP_MS = 60_000;

/**
 * The waiters of one key in this process, listening on every node's `<key><suffix>` channel: the
 * part the semaphore's permit lines and the fair lock's grant lines share. The subscription starts
 * with the first waiter and is not awaited (its confirmation tells every waiter to look again:
 * something may have been missed before it); it closes when the last waiter leaves.
 */
export abstract class ChannelLine {
  readonly #feeds: readonly ChannelFeed[];
  readonly #key: string;
  readonly #onEmpty: () => void;
  #listening: Promise<Arrivals[]> | undefined;
  /** The listeners, once every node's subscription was confirmed (or could not be made). */
  #listeners: readonly Arrivals[] | undefined;
  #closed = false;

  constructor(feeds: readonly ChannelFeed[], key: string, onEmpty: () => void) {
    this.#feeds = feeds;
    this.#key = key;
    this.#onEmpty = onEmpty;
  }

  /**
   * False until every node's subscription is confirmed, and while one is down: a message may go
   * unheard, so waiters should look again every `POLL_MS`.
   */
  get live(): boolean {
    return this.#listeners !== undefined && this.#listeners.every((listener) => listener.live);
  }

  /** A message from node `node`. */
  protected abstract heard(message: string, node: number): void;

  /** Messages may have been missed (a subscription confirmed or restored): everyone looks again. */
  protected abstract lookAll(): void;

  /** Starts listening, unless it does already (the first waiter joined). */
  protected listen(): void {
    this.#listening ??= this.#listenAll();
  }

  /** The last waiter left: the line closes its listeners and leaves the registry. */
  protected closeLine(): void {
    this.#closed = true;
    this.#onEmpty();
    void this.#listening?.then((listeners) => {
      for (const listener of listeners) listener.close();
    });
  }

  async #listenAll(): Promise<Arrivals[]> {
    let listeners: Arrivals[];
    try {
      listeners = await Promise.all(this.#feeds.map((feed) => feed.listen(this.#key)));
    } catch {
      return []; // a client that cannot listen: its waiters go by their timers
    }
    this.#listeners = listeners;
    listeners.forEach((listener, node) => void this.#pump(listener, node));
    this.lookAll();
    return listeners;
  }

  async #pump(listener: Arrivals, node: number): Promise<void> {
    for (;;) {
      const message = await listener.next(PUMP_MS);
      if (this.#closed) return;
      if (message === 'timeout') continue;
      // '' means a feed came back and may have missed messages.
      if (message === '') this.lookAll();
      else this.heard(message, node);
    }
  }
}

/** A Redsync's lines of one kind, one per key with waiters in this process, over shared feeds. */
export class ChannelLines<L extends ChannelLine> {
  readonly #nodes: readonly RedisNode[];
  readonly #suffix: string;
  readonly #lines = new Map<string, L>();
  /** One subscriber per node, opened by the first waiter. */
  #feeds: ChannelFeed[] | undefined;

  constructor(nodes: readonly RedisNode[], suffix: string) {
    this.#nodes = nodes;
    this.#suffix = suffix;
  }

  /** The line of `key`, made by `make` when it has none. */
  lineFor(key: string, make: (feeds: readonly ChannelFeed[], onEmpty: () => void) => L): L {
    let line = this.#lines.get(key);
    if (line === undefined) {
      this.#feeds ??= this.#nodes.map((node) => new ChannelFeed(node, this.#suffix));
      line = make(this.#feeds, () => this.#lines.delete(key));
      this.#lines.set(key, line);
    }
    return line;
  }

  /** Closes the subscriber connections; waiters then go by their timers. */
  async close(): Promise<void> {
    const feeds = this.#feeds ?? [];
    this.#feeds = undefined;
    await Promise.all(feeds.map((feed) => feed.close()));
  }
}
