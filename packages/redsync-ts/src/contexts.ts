import type { EvictionGate } from './eviction.js';
import { splitsSlots } from './keys.js';
import { roundsFor, type LockContext, type LockProfile, type SetNXStandIn } from './lock-ops.js';
import type { RedisNode } from './node.js';
import { OptionCache } from './option-cache.js';
import type { MutexOptions, ResolvedMutexOptions } from './options.js';
import { quorumOf } from './quorum.js';
import type { ReleaseNotifier } from './release-notifier.js';
import { checkReplicaNodes } from './replicas.js';
import { checkName } from './validate.js';
import { monotonicNow } from './validity.js';

/**
 * @internal The contexts of a Redsync's locks and primitives: a name's key (prefix + name, checked
 * to keep its companion keys in its slot on a Redis Cluster) over a profile shared by every lock
 * with the same options.
 */
export class LockContexts {
  readonly #nodes: readonly RedisNode[];
  readonly #prefix: string;
  readonly #defaults: ResolvedMutexOptions;
  /** Shared mutex context parts, by resolved options (the defaults' entry lives as long as this). */
  readonly #profiles = new WeakMap<ResolvedMutexOptions, LockProfile>();
  /** Per-call options, resolved once per content. */
  readonly #options: OptionCache;
  /** Node indexes in list order, shared by every mutex that does not shuffle. */
  readonly #order: readonly number[];
  /** Some node is a Redis Cluster client: every key of a lock must share one slot. */
  readonly #cluster: boolean;
  readonly #notifier: ReleaseNotifier | undefined;
  readonly #eviction: EvictionGate | undefined;

  constructor(nodes: readonly RedisNode[], prefix: string, defaults: ResolvedMutexOptions, notifier: ReleaseNotifier | undefined, eviction: EvictionGate | undefined) {
    this.#nodes = nodes;
    this.#prefix = prefix;
    this.#defaults = defaults;
    this.#options = new OptionCache(defaults);
    this.#order = Object.freeze(nodes.map((_, index) => index));
    this.#cluster = nodes.some((node) => node.cluster === true);
    this.#notifier = notifier;
    this.#eviction = eviction;
  }

  /** The context of a mutex named `name` with `options` over the defaults (resolved once per content). */
  mutex(name: string, options: MutexOptions | undefined, setNXStandIn?: SetNXStandIn): LockContext {
    return this.#context(name, options === undefined ? this.#defaults : this.#options.resolve(options), setNXStandIn);
  }

  /** The options of `options` over the defaults. @throws TypeError / RangeError for a bad option */
  resolve(options: MutexOptions): ResolvedMutexOptions {
    return this.#options.resolve(options);
  }

  /** The context of a semaphore or other primitive: the Redsync's options with its own ttl. */
  lease(name: string, ttl: number | undefined): LockContext {
    return this.#context(name, ttl === undefined ? this.#defaults : this.#options.resolve({ ttl }));
  }

  /**
   * The key of `name`, unless a Redis Cluster could not keep its companion keys (fence, waiting
   * flag, a primitive's sets) in its slot: every call would then fail with CROSSSLOT, after every
   * retry.
   * @throws TypeError naming `label`, before any I/O.
   */
  key(label: string, name: string): string {
    const key = this.#prefix + name;
    if (this.#cluster && splitsSlots(key)) {
      throw new TypeError(`${label} has a '}' but no hash tag, so on a Redis Cluster its companion keys would fall into another slot: give it a hash tag, e.g. '{${key.replaceAll('}', '')}}'`);
    }
    return key;
  }

  /** The context of a named lock (or primitive): name-specific fields over a shared profile. */
  #context(name: string, resolved: ResolvedMutexOptions, setNXStandIn?: SetNXStandIn): LockContext {
    const checked = checkName('name', name, false);
    const key = this.key('name', checked);
    // Only the name-specific fields are per mutex; the rest is shared through the prototype, so
    // that a mutex (and every lock it hands out) costs a few dozen bytes, not a copy of it all.
    // Not frozen: it never leaves the library, and `mutex()` often runs once per acquisition.
    const ctx = Object.create(this.#profileFor(resolved)) as { -readonly [K in keyof LockContext]: LockContext[K] };
    ctx.name = checked;
    ctx.key = key;
    ctx.setNXStandIn = setNXStandIn; // set on every context: one shape, with or without
    return ctx;
  }

  /** The shared part of every mutex context with these options (shuffled orders are not shared). */
  #profileFor(resolved: ResolvedMutexOptions): LockProfile {
    const cached = resolved.shufflePools ? undefined : this.#profiles.get(resolved);
    if (cached !== undefined) return cached;
    checkReplicaNodes({ nodes: this.#nodes, options: resolved }, 'options');
    const shared = {
      ttlArg: String(resolved.ttl),
      nodes: this.#nodes,
      order: resolved.shufflePools ? shuffle([...this.#order]) : this.#order,
      quorum: quorumOf(this.#nodes.length),
      timeout: Math.max(1, Math.floor(resolved.ttl * resolved.timeoutFactor)),
      renewalGroup: '',
      options: resolved,
      clock: monotonicNow,
      notifier: this.#notifier,
      eviction: this.#eviction,
    };
    shared.renewalGroup = `${shared.ttlArg}/${String(resolved.autoExtendFactor)}/${String(shared.timeout)}/${String(resolved.driftFactor)}/${String(resolved.setNXOnExtend)}`;
    const profile: LockProfile = Object.freeze({ ...shared, ...roundsFor(shared) });
    if (!resolved.shufflePools) this.#profiles.set(resolved, profile);
    return profile;
  }
}

/** Fisher-Yates, in place; returns `items`. */
function shuffle(items: number[]): number[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    const a = items[i] as number;
    items[i] = items[j] as number;
    items[j] = a;
  }
  return items;
}
