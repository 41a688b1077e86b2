import { ChannelFeed, type Arrivals } from '../channel-feed.js';
import type { RedisNode } from '../node.js';

/** How long a pump waits for a message before asking again (a message wakes it at once). */
const PUMP_MS = 60_000;
/** Grants remembered per line, for a waiter that joins just after its grant was heard. */
const RECENT = 64;

/** What a waiter in a {@link GrantLine} is told. */
export interface GrantListener {
  /** Node `node` granted the lock to this waiter, naming the registration `seq` it had seen. */
  granted(node: number, seq: number): void;
  /** Messages may have been missed (a subscription confirmed or restored): look again. */
  look(): void;
}

/**
 * The fair lock's waiters of one key in this process. It listens on every node's
 * `<key>:granted` channel and passes each grant to the one waiter it names (by the SHA1 of its
 * id), so a release wakes exactly the waiter it granted the lock to, and nobody else.
 */
export class GrantLine {
  readonly #feeds: readonly ChannelFeed[];
  readonly #key: string;
  readonly #onEmpty: () => void;
  readonly #waiters = new Map<string, GrantListener>();
  readonly #recent: { tag: string; node: number; seq: number }[] = [];
  #listening: Promise<Arrivals[]> | undefined;
  /** The listeners, once every node's subscription was confirmed (or could not be made). */
  #listeners: readonly Arrivals[] | undefined;
  #closed = false;

  constructor(feeds: readonly ChannelFeed[], key: string, onEmpty: () => void) {
    this.#feeds = feeds;
    this.#key = key;
    this.#onEmpty = onEmpty;
  }

  /** False until every node's subscription is confirmed, and while one is down (grants go unheard). */
  get live(): boolean {
    return this.#listeners !== undefined && this.#listeners.every((listener) => listener.live);
  }

  /**
   * Joins the line under `tag` (the SHA1 of the waiter's id), hearing at once any grant for it
   * heard since its registration may have been made. The subscription starts with the first
   * waiter and is not awaited: its confirmation tells every waiter to look again.
   * @returns how to leave the line.
   */
  join(tag: string, listener: GrantListener): () => void {
    this.#waiters.set(tag, listener);
    this.#listening ??= this.#listen();
    for (const grant of this.#recent) if (grant.tag === tag) listener.granted(grant.node, grant.seq);
    return () => {
      this.#waiters.delete(tag);
      if (this.#waiters.size > 0) return;
      this.#closed = true;
      this.#onEmpty();
      void this.#listening?.then((listeners) => {
        for (const listener of listeners) listener.close();
      });
    };
  }

  async #listen(): Promise<Arrivals[]> {
    let listeners: Arrivals[];
    try {
      listeners = await Promise.all(this.#feeds.map((feed) => feed.listen(this.#key)));
    } catch {
      return []; // a client that cannot listen: its waiters go by their refresh timers
    }
    this.#listeners = listeners;
    listeners.forEach((listener, node) => void this.#pump(listener, node));
    this.#lookAll();
    return listeners;
  }

  async #pump(listener: Arrivals, node: number): Promise<void> {
    for (;;) {
      const message = await listener.next(PUMP_MS);
      if (this.#closed) return;
      if (message === 'timeout') continue;
      if (message === '') this.#lookAll();
      else this.#deliver(message, node);
    }
  }

  /** A grant message: `<sha1 of the id> <seq>`. */
  #deliver(message: string, node: number): void {
    const space = message.indexOf(' ');
    const tag = message.slice(0, space);
    const seq = Number(message.slice(space + 1));
    if (space <= 0 || !Number.isSafeInteger(seq)) return;
    this.#recent.push({ tag, node, seq });
    if (this.#recent.length > RECENT) this.#recent.shift();
    this.#waiters.get(tag)?.granted(node, seq);
  }

  #lookAll(): void {
    for (const waiter of this.#waiters.values()) waiter.look();
  }
}

/** A Redsync's grant lines, one per fair lock key with waiters in this process. */
export class GrantLines {
  readonly #nodes: readonly RedisNode[];
  readonly #lines = new Map<string, GrantLine>();
  #feeds: ChannelFeed[] | undefined;

  constructor(nodes: readonly RedisNode[]) {
    this.#nodes = nodes;
  }

  lineFor(key: string): GrantLine {
    let line = this.#lines.get(key);
    if (line === undefined) {
      this.#feeds ??= this.#nodes.map((node) => new ChannelFeed(node, ':granted'));
      line = new GrantLine(this.#feeds, key, () => this.#lines.delete(key));
      this.#lines.set(key, line);
    }
    return line;
  }

  /** Closes the subscriber connections; waiters then go by their refresh timers. */
  async close(): Promise<void> {
    const feeds = this.#feeds ?? [];
    this.#feeds = undefined;
    await Promise.all(feeds.map((feed) => feed.close()));
  }
}
