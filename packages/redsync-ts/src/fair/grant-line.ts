import { ChannelLine, ChannelLines } from '../channel-line.js';
import type { RedisNode } from '../node.js';

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
export class GrantLine extends ChannelLine {
  readonly #waiters = new Map<string, GrantListener>();
  readonly #recent: { tag: string; node: number; seq: number }[] = [];

  /**
   * Joins the line under `tag` (the SHA1 of the waiter's id), hearing at once any grant for it
   * heard since its registration may have been made. The subscription starts with the first
   * waiter and is not awaited: its confirmation tells every waiter to look again.
   * @returns how to leave the line.
   */
  join(tag: string, listener: GrantListener): () => void {
    this.#waiters.set(tag, listener);
    this.listen();
    for (const grant of this.#recent) if (grant.tag === tag) listener.granted(grant.node, grant.seq);
    return () => {
      this.#waiters.delete(tag);
      if (this.#waiters.size === 0) this.closeLine();
    };
  }

  /** A grant message: `<sha1 of the id> <seq>`. */
  protected heard(message: string, node: number): void {
    const space = message.indexOf(' ');
    const tag = message.slice(0, space);
    const seq = Number(message.slice(space + 1));
    if (space <= 0 || !Number.isSafeInteger(seq)) return;
    this.#recent.push({ tag, node, seq });
    if (this.#recent.length > RECENT) this.#recent.shift();
    this.#waiters.get(tag)?.granted(node, seq);
  }

  protected lookAll(): void {
    for (const waiter of this.#waiters.values()) waiter.look();
  }
}

/** A Redsync's grant lines, one per fair lock key with waiters in this process. */
export class GrantLines {
  readonly #lines: ChannelLines<GrantLine>;

  constructor(nodes: readonly RedisNode[]) {
    this.#lines = new ChannelLines(nodes, ':granted');
  }

  lineFor(key: string): GrantLine {
    return this.#lines.lineFor(key, (feeds, onEmpty) => new GrantLine(feeds, key, onEmpty));
  }

  /** Closes the subscriber connections; waiters then go by their refresh timers. */
  close(): Promise<void> {
    return this.#lines.close();
  }
}
