/**
 * The semaphore arithmetic on N nodes: every plan keeps the most holders that can coexist at or
 * under the limit, checked by brute force over who could be admitted where; the unsafe quorum
 * plan (per-node limit = limit) is shown to break it, so the check can see a violation.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { maxHolders, planSemaphore } from '../../src/semaphore/plan.js';

/**
 * The most holders that can be admitted at once when each holder needs `votes` of `nodes` nodes
 * and each node admits `perNode`: greedy over the least-loaded nodes, which reaches the bound.
 */
function mostHoldersByAdmission(nodes: number, perNode: number, votes: number): number {
  const load = Array.from({ length: nodes }, () => 0);
  let holders = 0;
  for (;;) {
    const order = load.map((l, i) => [l, i] as const).sort((a, b) => a[0] - b[0]);
    const chosen = order.slice(0, votes);
    if (chosen.some(([l]) => l >= perNode)) return holders;
    for (const [, i] of chosen) load[i] = (load[i] ?? 0) + 1;
    holders += 1;
  }
}

describe('semaphore plan', () => {
  test('the bound floor(N * perNode / votes) is what admission can actually reach', () => {
    for (let n = 1; n <= 7; n++) for (let votes = 1; votes <= n; votes++) for (let per = 1; per <= 6; per++) assert.equal(mostHoldersByAdmission(n, per, votes), maxHolders(n, per, votes), `N=${n} votes=${votes} perNode=${per}`);
  });

  test('the control: a quorum with perNode = limit admits more than the limit (3 nodes, limit 2: 3 holders)', () => {
    assert.equal(mostHoldersByAdmission(3, 2, 2), 3);
  });

  test('every plan keeps holders <= limit, and quorum plans use the largest safe per-node limit', () => {
    for (let n = 1; n <= 7; n++) {
      for (let limit = 1; limit <= 20; limit++) {
        const all = planSemaphore(limit, n, 'all');
        assert.equal(all.effectiveLimit, limit);
        assert.ok(mostHoldersByAdmission(n, all.perNode, all.votes) <= limit);
        const quorum = planSemaphore(limit, n, 'quorum');
        assert.ok(quorum.perNode >= 1);
        assert.ok(mostHoldersByAdmission(n, quorum.perNode, quorum.votes) <= limit, `N=${n} limit=${limit}`);
        assert.equal(quorum.effectiveLimit, mostHoldersByAdmission(n, quorum.perNode, quorum.votes));
        assert.ok(maxHolders(n, quorum.perNode + 1, quorum.votes) > limit, `N=${n} limit=${limit}: perNode could be higher`);
      }
    }
  });

  test('examples stated in docs/primitives.md', () => {
    assert.deepEqual(planSemaphore(5, 3, 'quorum'), { mode: 'quorum', limit: 5, perNode: 3, votes: 2, effectiveLimit: 4 });
    assert.deepEqual(planSemaphore(4, 3, 'quorum'), { mode: 'quorum', limit: 4, perNode: 3, votes: 2, effectiveLimit: 4 });
    assert.deepEqual(planSemaphore(2, 3, 'quorum'), { mode: 'quorum', limit: 2, perNode: 1, votes: 2, effectiveLimit: 1 });
    assert.deepEqual(planSemaphore(5, 3, 'all'), { mode: 'all', limit: 5, perNode: 5, votes: 3, effectiveLimit: 5 });
    assert.deepEqual(planSemaphore(5, 1, 'quorum'), { mode: 'quorum', limit: 5, perNode: 5, votes: 1, effectiveLimit: 5 });
  });
});
