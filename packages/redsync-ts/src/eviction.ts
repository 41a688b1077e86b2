/**
 * The eviction check. A node with `maxmemory` set and any policy but `noeviction` can evict a held
 * lock key (and its `{key}:fence` counter) under memory pressure: a second client then gets the
 * lock while the first holds it, with a lower fence. `volatile-*` policies evict exactly the keys
 * with a ttl, which lock keys are. So each node's `INFO memory` is read once per process, on the
 * first acquisition, and acted on as the Redsync's `onEvictingNode` option says.
 */
import { LockError } from './errors.js';
import type { RedisNode } from './node.js';

/** What to do about a node that can evict keys: see `RedsyncOptions.onEvictingNode`. */
export type EvictingNodePolicy = 'warn' | 'throw' | 'ignore';

/** A node's memory settings, as `INFO memory` reports them. */
export interface NodeMemory {
  readonly maxmemory: number;
  readonly policy: string;
}

/**
 * `acquire()` refused because a node can evict keys and the Redsync's `onEvictingNode` is
 * `'throw'`. Nothing was sent to the nodes but `INFO memory`.
 */
export class EvictingNodeError extends LockError {
  override name = 'EvictingNodeError';
  /** Index of the node in the array passed to the `Redsync` constructor. */
  readonly node: number;
  /** Its `maxmemory_policy`. */
  readonly policy: string;

  /** @internal */
  constructor(node: number, memory: NodeMemory) {
    super('EVICTING_NODE', describeEvicting(node, memory));
    this.node = node;
    this.policy = memory.policy;
  }
}

function describeEvicting(node: number, memory: NodeMemory): string {
  return (
    `Redis node #${node} can evict lock keys (maxmemory ${memory.maxmemory} bytes, maxmemory-policy ${memory.policy}): ` +
    'an evicted lock lets a second holder in, and an evicted fence counter restarts its tokens. ' +
    'Use a Redis of its own for locks, or maxmemory-policy noeviction (see the README, "Deploying")'
  );
}

/** Reads `maxmemory` and `maxmemory_policy` from an `INFO memory` reply. */
export function parseMemoryInfo(info: string): NodeMemory {
  const field = (name: string): string | undefined => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim();
  return { maxmemory: Number(field('maxmemory') ?? 0), policy: field('maxmemory_policy') ?? 'noeviction' };
}

/** True when the node may evict keys. */
export function canEvict(memory: NodeMemory): boolean {
  return memory.maxmemory > 0 && memory.policy !== 'noeviction';
}

/** Per process: one reading per node, and one warning per node. */
const readings = new WeakMap<RedisNode, Promise<NodeMemory | undefined>>();
const warned = new WeakSet<RedisNode>();

/**
 * The node's memory settings, read once per process; undefined when it cannot tell (no `info`
 * on the client, or INFO refused by the ACL: then said once, as a process warning). A failed
 * read (the node is down) is forgotten, so that a later acquisition reads again.
 */
function readMemory(node: RedisNode, index: number): Promise<NodeMemory | undefined> {
  const known = readings.get(node);
  if (known !== undefined) return known;
  const reading =
    node.info === undefined
      ? Promise.resolve(undefined)
      : node.info('memory').then(parseMemoryInfo, (error: unknown) => {
          if (!/^NOPERM\b/.test(error instanceof Error ? error.message : '')) {
            readings.delete(node);
            return undefined;
          }
          process.emitWarning(`Redis node #${index} does not allow INFO to this user: cannot check whether it evicts lock keys`, { code: 'REDSYNC_EVICTION_UNCHECKED' });
          return undefined;
        });
  readings.set(node, reading);
  return reading;
}

/**
 * The check, for one Redsync: started by its first acquisition. With `'warn'` it runs beside the
 * acquisition (off its path) and warns once per node; with `'throw'` the first acquisitions wait
 * for it, and every acquisition after an evicting node was found is refused.
 */
export class EvictionGate {
  readonly #nodes: readonly RedisNode[];
  readonly #policy: Exclude<EvictingNodePolicy, 'ignore'>;
  #checking: Promise<void> | undefined;
  #passed = false;
  #refusal: EvictingNodeError | undefined;

  constructor(nodes: readonly RedisNode[], policy: Exclude<EvictingNodePolicy, 'ignore'>) {
    this.#nodes = nodes;
    this.#policy = policy;
  }

  /**
   * Undefined when an acquisition may go ahead at once (the usual case: no promise, no hop);
   * else a promise that resolves when it may, or rejects with an {@link EvictingNodeError}.
   */
  admit(): Promise<void> | undefined {
    if (this.#passed) return undefined;
    if (this.#refusal !== undefined) return Promise.reject(this.#refusal);
    this.#checking ??= this.#check();
    return this.#policy === 'warn' ? undefined : this.#checking;
  }

  async #check(): Promise<void> {
    const memories = await Promise.all(this.#nodes.map((node, index) => readMemory(node, index)));
    let unknown = false;
    memories.forEach((memory, index) => {
      const node = this.#nodes[index] as RedisNode;
      if (memory === undefined) unknown ||= readings.get(node) === undefined;
      else if (canEvict(memory)) {
        if (this.#policy === 'throw') this.#refusal ??= new EvictingNodeError(index, memory);
        else if (!warned.has(node)) {
          warned.add(node);
          process.emitWarning(describeEvicting(index, memory), { code: 'REDSYNC_EVICTING_NODE' });
        }
      }
    });
    this.#checking = undefined;
    if (this.#refusal !== undefined) throw this.#refusal;
    // A node that could not be read (down) is read again by a later acquisition.
    this.#passed = !unknown;
  }
}
