import type { RedisNode } from '../node.js';
import { describeValue, hasMethods } from '../validate.js';

/**
 * The part of a valkey-glide client (`GlideClient` or `GlideClusterClient`, 2.x) that this library
 * uses: `customCommand`, with a route on a Cluster. Typed structurally so the library never
 * imports the driver.
 */
export interface GlideClientLike {
  customCommand(args: string[]): Promise<unknown>;
}

/** A Cluster client's `customCommand` also takes a route. */
type RoutedCommand = (args: string[], options: { route: { type: 'primarySlotKey'; key: string } }) => Promise<unknown>;

/**
 * Wraps a valkey-glide client as a {@link RedisNode}. The client stays yours: create and close it
 * yourself, with a `requestTimeout` no longer than the per-node timeout you want. Commands go
 * through `customCommand`; on a `GlideClusterClient` each is routed to the primary of its key's
 * slot. Glide takes its subscriptions at client creation only, so there is no release feed:
 * waiters fall back to their retry delay, bounded by the holder's ttl.
 * @throws TypeError when `client` lacks `customCommand`.
 */
export function fromGlide(client: GlideClientLike): RedisNode {
  // Checked at run time too: JavaScript callers get no compile-time help.
  if (!hasMethods(client, ['customCommand'])) {
    throw new TypeError(`fromGlide(client) needs a valkey-glide client, got ${describeValue(client)}`);
  }
  const cluster = (client as { constructor?: { name?: unknown } }).constructor?.name === 'GlideClusterClient';
  // A key routes the command on a Cluster (a keyless one would go to any node).
  const send = (key: string | undefined, args: string[]): Promise<unknown> =>
    cluster && key !== undefined ? (client.customCommand as RoutedCommand).call(client, args, { route: { type: 'primarySlotKey', key } }) : client.customCommand(args);
  const node: { -readonly [K in keyof RedisNode]: RedisNode[K] } = {
    setNX: (key, value, ttl) => send(key, ['SET', key, value, 'PX', String(ttl), 'NX']),
    evalsha: (sha, keys, args) => send(keys[0], ['EVALSHA', sha, String(keys.length), ...keys, ...args]).catch(asNoScript),
    eval: (source, keys, args) => send(keys[0], ['EVAL', source, String(keys.length), ...keys, ...args]),
    get: (key) => send(key, ['GET', key]) as Promise<string | null>,
    waitReplicas: async (key, replicas, timeout) => Number(await send(key, ['WAIT', String(replicas), String(timeout)])),
  };
  if (cluster) node.cluster = true;
  // A Cluster answers INFO per node; the eviction check reads one server's reply.
  else node.info = (section) => send(undefined, ['INFO', section]) as Promise<string>;
  return node;
}

/** Glide reports NOSCRIPT as "NoScriptError: ..."; the library looks for the server's own prefix. */
function asNoScript(error: unknown): never {
  if (error instanceof Error && /NoScript/i.test(error.message) && !error.message.startsWith('NOSCRIPT')) {
    throw new Error(`NOSCRIPT ${error.message}`, { cause: error });
  }
  throw error;
}
