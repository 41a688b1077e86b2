import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LockNotAcquiredError, LockTakenError, Redsync } from '../../src/index.js';
import { runRound, quorumOf, type AnswerVerdict, type RoundSpec } from '../../src/quorum.js';
import { fakeNode, masks, type Behavior } from '../support/fake-node.js';

const count = (mask: readonly Behavior[], b: Behavior): number => mask.filter((x) => x === b).length;

describe('quorum of N nodes (every mask of ok / taken / error, N = 1..5)', () => {
  test('quorum is floor(N/2)+1', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 6].map(quorumOf), [1, 2, 2, 3, 3, 4]);
  });

  for (let n = 1; n <= 5; n++) {
    test(`N = ${n}: acquire succeeds iff ok >= quorum; taken on a quorum is LockTakenError`, async () => {
      const quorum = quorumOf(n);
      for (const mask of masks(n)) {
        const rs = new Redsync(mask.map(fakeNode), { tries: 1 });
        const outcome = await rs.mutex('q').acquire().then(
          (lock) => lock,
          (error: unknown) => error,
        );
        const label = `mask ${mask.join(',')}`;
        if (count(mask, 'ok') >= quorum) {
          assert.ok(!(outcome instanceof Error), `${label}: expected a lock`);
        } else if (count(mask, 'taken') >= quorum) {
          assert.ok(outcome instanceof LockTakenError, `${label}: expected LockTakenError`);
          assert.deepEqual(outcome.nodes, mask.flatMap((b, i) => (b === 'taken' ? [i] : [])), label);
        } else {
          assert.ok(outcome instanceof LockNotAcquiredError && !(outcome instanceof LockTakenError), `${label}: expected LockNotAcquiredError`);
          assert.equal(outcome.code, 'LOCK_NOT_ACQUIRED');
          const failed = outcome.outcomes.filter((o) => o.verdict === 'error').map((o) => o.node);
          assert.deepEqual(failed, mask.flatMap((b, i) => (b === 'error' ? [i] : [])), label);
        }
      }
    });

    test(`N = ${n}: tryAcquire gives null only when contention, not failures, blocked the quorum`, async () => {
      const quorum = quorumOf(n);
      for (const mask of masks(n)) {
        const rs = new Redsync(mask.map(fakeNode));
        const result = await rs.mutex('q').tryAcquire().then(
          (lock) => lock,
          (error: unknown) => error,
        );
        const label = `mask ${mask.join(',')}`;
        if (count(mask, 'ok') >= quorum) assert.ok(result !== null && !(result instanceof Error), label);
        else if (count(mask, 'taken') > 0 && count(mask, 'error') <= n - quorum) assert.equal(result, null, label);
        else assert.ok(result instanceof LockNotAcquiredError, label);
      }
    });
  }

  test('after a failed attempt, the clean-up reaches every node, including those that said taken', async () => {
    const nodes = (['ok', 'taken', 'taken', 'ok', 'taken'] as const).map(fakeNode);
    const rs = new Redsync(nodes, { tries: 3, retryDelay: 0 });
    await assert.rejects(rs.mutex('q').acquire(), LockTakenError);
    // One SET NX (and the reclaim script where it failed), then the reclaim script as each retry.
    for (const node of nodes) assert.deepEqual(node.calls, { acquire: 1, reclaim: node.behavior === 'taken' ? 3 : 2, other: 3 });
  });
});

describe('runRound', () => {
  const clock = (): number => performance.now();
  /** A spec whose replies already are verdicts. */
  const spec = (send: (node: number) => Promise<unknown>): RoundSpec => ({ send, interpret: (reply) => reply as AnswerVerdict });

  test('failFast settles once the quorum is won, without waiting for hung nodes', async () => {
    const nodes = (['ok', 'ok', 'hang', 'ok', 'hang'] as const).map(fakeNode);
    const round = await runRound([0, 1, 2, 3, 4], spec(async (i) => ((await nodes[i]?.evalsha('x', [], [])) === 1 ? 'ok' : 'taken')), {
      quorum: 3,
      failFast: true, settleOnWin: false,
      timeout: 60_000,
      clock,
    });
    assert.equal(round.ok, 3);
    assert.deepEqual(round.outcomes.map((o) => o.node), [0, 1, 3]);
  });

  test('settleOnWin settles once a quorum voted for us, without failFast and without waiting for a hung node', async () => {
    const verdicts = ['ok', 'hang', 'ok', 'hang', 'ok'] as const;
    const hung = (i: number): Promise<unknown> => (verdicts[i] === 'hang' ? new Promise(() => undefined) : Promise.resolve('ok'));
    const won = await runRound([0, 1, 2, 3, 4], spec(hung), { quorum: 3, failFast: false, settleOnWin: true, timeout: 60_000, clock });
    assert.equal(won.ok, 3);
    assert.equal(won.outcomes.length, 3);
    // A round that is not won still waits for every node (here: for the timeout).
    const lost = await runRound([0, 1, 2], spec((i) => (i === 0 ? Promise.resolve('ok') : i === 1 ? Promise.resolve('taken') : new Promise(() => undefined))), {
      quorum: 2,
      failFast: false,
      settleOnWin: true,
      timeout: 20,
      clock,
    });
    assert.deepEqual([lost.ok, lost.taken, lost.errors], [1, 1, 1]);
  });

  test('failFast settles once the quorum is lost', async () => {
    const verdicts = ['taken', 'hang', 'taken', 'hang', 'taken'] as const;
    const round = await runRound(
      [0, 1, 2, 3, 4],
      spec((i) => (verdicts[i] === 'hang' ? new Promise(() => undefined) : Promise.resolve('taken'))),
      { quorum: 3, failFast: true, settleOnWin: false, timeout: 60_000, clock },
    );
    assert.equal(round.taken, 3);
    assert.equal(round.outcomes.length, 3);
  });

  test('without failFast a hung node is cut off by the timeout and reported as a NodeError', async () => {
    const round = await runRound([0, 1, 2], spec((i) => (i === 1 ? new Promise(() => undefined) : Promise.resolve('ok'))), {
      quorum: 2,
      failFast: false, settleOnWin: false,
      timeout: 20,
      clock,
    });
    assert.equal(round.ok, 2);
    assert.equal(round.errors, 1);
    const failure = round.outcomes.find((o) => o.node === 1);
    assert.equal(failure?.verdict, 'error');
    const error = failure.error;
    assert.ok(error !== undefined);
    assert.equal(error.node, 1);
    assert.equal((error.cause as DOMException).name, 'TimeoutError');
  });

  test('an adapter that throws synchronously counts as a failed node, not a crash', async () => {
    const round = await runRound([0, 1], spec((i) => {
      if (i === 0) throw new Error('sync boom');
      return Promise.resolve('ok');
    }), { quorum: 2, failFast: false, settleOnWin: false, timeout: 1000, clock });
    assert.equal(round.errors, 1);
    assert.equal(round.ok, 1);
  });

  test('a fallback answers for a failed first command; without one, or when it fails too, the node fails', async () => {
    const round = await runRound(
      [0, 1, 2],
      {
        send: () => Promise.reject(new Error('NOSCRIPT')),
        interpret: (reply) => reply as AnswerVerdict,
        fallback: (node) => (node === 0 ? Promise.resolve('ok') : node === 1 ? Promise.reject(new Error('again')) : undefined),
      },
      { quorum: 2, failFast: false, settleOnWin: false, timeout: 1000, clock },
    );
    assert.deepEqual(round.outcomes.map((o) => o.verdict), ['ok', 'error', 'error']);
    assert.equal((round.outcomes[1]?.error?.cause as Error).message, 'again');
    assert.equal((round.outcomes[2]?.error?.cause as Error).message, 'NOSCRIPT');
  });

  test('a reply that cannot be interpreted counts as a failed node; an interpretation may take another step', async () => {
    const round = await runRound(
      [0, 1],
      {
        send: (node) => Promise.resolve(node),
        interpret: (reply) => {
          if (reply === 0) throw new TypeError('unexpected reply');
          return Promise.resolve('taken');
        },
      },
      { quorum: 2, failFast: false, settleOnWin: false, timeout: 1000, clock },
    );
    assert.deepEqual(round.outcomes.map((o) => o.verdict), ['error', 'taken']);
  });
});
