/**
 * In-memory stand-ins for Redis nodes, for pure unit tests of quorum, validity and retry logic
 * only. They answer by behaviour, not by running Lua: anything about Redis itself is tested
 * against real servers.
 */
import type { RedisNode } from '../../src/index.js';
import { lockExtendMany, lockReclaim } from '../../src/scripts/index.js';

/** ok: votes for us · taken: someone else holds it · error: rejects · hang: never answers. */
export type Behavior = 'ok' | 'taken' | 'error' | 'hang';

export interface FakeNode extends RedisNode {
  /** Calls received: `acquire` (SET NX), `reclaim` (the script after a failed SET NX), `other` (release, extend). */
  readonly calls: { acquire: number; reclaim: number; other: number };
  /** Key counts of each batched renewal (`lock-extend-many`) received. */
  readonly batches: number[];
  /** Keys this node reports missing in batched renewals while its behaviour is `ok` (a node restarted empty). */
  readonly missingKeys: Set<string>;
  behavior: Behavior;
}

export function fakeNode(behavior: Behavior): FakeNode {
  const calls = { acquire: 0, reclaim: 0, other: 0 };
  const answer = <T>(ok: T, taken: T): Promise<T> => {
    switch (node.behavior) {
      case 'ok':
        return Promise.resolve(ok);
      case 'taken':
        return Promise.resolve(taken);
      case 'error':
        return Promise.reject(new Error('ERR fake failure'));
      case 'hang':
        return new Promise(() => undefined);
    }
  };
  const batches: number[] = [];
  const missingKeys = new Set<string>();
  const node: FakeNode = {
    calls,
    batches,
    missingKeys,
    behavior,
    setNX() {
      calls.acquire += 1;
      return answer<unknown>('OK', null);
    },
    evalsha(sha, keys) {
      if (sha === lockExtendMany.sha1) {
        batches.push(keys.length);
        // The batch replies with its misses only: none when all renewed, every key when taken.
        const missing = keys.flatMap((key, i) => (missingKeys.has(key) ? [i + 1, -1] : []));
        return answer<unknown>(missing, keys.flatMap((_, i) => [i + 1, 0]));
      }
      const isReclaim = sha === lockReclaim.sha1;
      calls[isReclaim ? 'reclaim' : 'other'] += 1;
      return answer<unknown>(isReclaim ? 'OK' : 1, isReclaim ? 5000 : 0);
    },
    eval() {
      return Promise.reject(new Error('fake nodes always have the script cached'));
    },
    waitReplicas(_key, replicas) {
      calls.other += 1;
      return answer(replicas, 0);
    },
  };
  return node;
}

/** Every assignment of behaviours to n nodes (3^n of them). */
export function* masks(n: number, behaviors: readonly Behavior[] = ['ok', 'taken', 'error']): Generator<Behavior[]> {
  const total = behaviors.length ** n;
  for (let code = 0; code < total; code++) {
    const mask: Behavior[] = [];
    let rest = code;
    for (let i = 0; i < n; i++) {
      mask.push(behaviors[rest % behaviors.length] as Behavior);
      rest = Math.floor(rest / behaviors.length);
    }
    yield mask;
  }
}
