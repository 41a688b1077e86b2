/**
 * `redsync inspect NAME`: the lock's state on every node, read with plain commands (nothing is
 * changed): whether the key exists and for how long, a masked holder value, the fencing counter,
 * the waiting flag, and how many processes listen for its release; then a verdict.
 */
import type { Redis } from 'ioredis';
import { lockKeysOf } from 'redsync-ts';
import { redactUrl } from '../connect.js';

export interface NodeState {
  readonly node: string;
  readonly ok: boolean;
  readonly error?: string;
  readonly held?: boolean;
  readonly ttlMs?: number;
  /** The first 4 characters of the holder's value: enough to tell holders apart, not to use it. */
  readonly holder?: string;
  readonly fence?: number;
  readonly waitingFlag?: boolean;
  readonly subscribers?: number;
}

export interface Inspection {
  readonly name: string;
  readonly key: string;
  readonly nodes: readonly NodeState[];
  /** Nodes on which the most common holder value holds the key. */
  readonly heldOn: number;
  readonly quorum: number;
  /** The shortest remaining ttl among the nodes of the quorum holder, in ms. */
  readonly validMs: number | undefined;
  readonly verdict: string;
}

async function readNode(client: Redis, url: string, keys: ReturnType<typeof lockKeysOf>): Promise<NodeState & { value?: string }> {
  try {
    const [value, ttl, fence, flag, numsub] = await Promise.all([client.get(keys.key), client.pttl(keys.key), client.get(keys.fence), client.exists(keys.waitingFlag), client.pubsub('NUMSUB', keys.releaseChannel)]);
    const held = value !== null;
    return {
      node: redactUrl(url),
      ok: true,
      held,
      ...(held ? { ttlMs: ttl, holder: `${value.slice(0, 4)}…`, value } : {}),
      ...(fence === null ? {} : { fence: Number(fence) }),
      waitingFlag: flag === 1,
      subscribers: Number(numsub[1] ?? 0),
    };
  } catch (error) {
    return { node: redactUrl(url), ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

/** Reads `name` (with `prefix`) on every node. */
export async function inspectLock(clients: readonly Redis[], urls: readonly string[], name: string, prefix: string): Promise<Inspection> {
  const keys = lockKeysOf(prefix + name);
  const states = await Promise.all(clients.map((client, i) => readNode(client, urls[i] ?? '?', keys)));
  const counts = new Map<string, number>();
  for (const s of states) if (s.value !== undefined) counts.set(s.value, (counts.get(s.value) ?? 0) + 1);
  const [top, heldOn] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0] ?? [undefined, 0];
  const quorum = Math.floor(clients.length / 2) + 1;
  const ttls = states.filter((s) => s.value === top && s.ttlMs !== undefined).map((s) => s.ttlMs as number);
  const validMs = heldOn >= quorum ? Math.min(...ttls) : undefined;
  const waiters = Math.max(0, ...states.map((s) => s.subscribers ?? 0));
  const down = states.filter((s) => !s.ok).length;
  const holding = heldOn === 0 ? 'free on every reachable node' : `held on ${String(heldOn)} of ${String(clients.length)} nodes${validMs === undefined ? ' (no quorum: not a valid lock; it expires by its ttl)' : `, valid about ${(validMs / 1000).toFixed(1)} s more`}`;
  const verdict = `${holding}; ${String(waiters)} waiting process(es) subscribed${down > 0 ? `; ${String(down)} node(s) unreachable` : ''}`;
  // The holder's value stays here: only its first characters are shown.
  const nodes = states.map((state) => {
    const shown: NodeState & { value?: string } = { ...state };
    delete shown.value;
    return shown;
  });
  return { name, key: keys.key, nodes, heldOn, quorum, validMs, verdict };
}

/** The inspection as text, one line per node. */
export function describeInspection(i: Inspection): string[] {
  const lines = [`lock "${i.name}" (key ${i.key}), quorum ${String(i.quorum)} of ${String(i.nodes.length)}`];
  i.nodes.forEach((n, index) => {
    if (!n.ok) lines.push(`  #${String(index)} ${n.node}: unreachable: ${n.error ?? ''}`);
    else lines.push(`  #${String(index)} ${n.node}: ${n.held === true ? `held by ${n.holder ?? '?'} for ${String(n.ttlMs)} ms more` : 'free'}; fence ${n.fence === undefined ? '-' : String(n.fence)}; waiting flag ${n.waitingFlag === true ? 'up' : 'down'}; ${String(n.subscribers ?? 0)} subscriber(s)`);
  });
  lines.push(i.verdict);
  return lines;
}
