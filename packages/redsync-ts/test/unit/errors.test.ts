import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  LockError,
  LockLostError,
  LockNotAcquiredError,
  LockReleaseError,
  LockTakenError,
  NodeError,
  Redsync,
  isLockError,
} from '../../src/index.js';
import { fakeNode } from '../support/fake-node.js';

describe('errors', () => {
  test('each class has a stable code and name, and the hierarchy callers branch on', () => {
    const node = new NodeError(2, new Error('ECONNRESET'));
    assert.equal(node.code, 'NODE_ERROR');
    assert.equal(node.node, 2);
    assert.equal(node.message, 'node #2: ECONNRESET');
    const taken = new LockTakenError(3, [{ node: 0, verdict: 'taken' }, { node: 1, verdict: 'ok' }, { node: 2, verdict: 'taken' }]);
    assert.ok(taken instanceof LockNotAcquiredError && taken instanceof LockError);
    assert.deepEqual([taken.code, taken.name, taken.nodes, taken.attempts], ['LOCK_TAKEN', 'LockTakenError', [0, 2], 3]);
    assert.equal(new LockLostError('x', 'expired').code, 'LOCK_LOST');
    assert.equal(new LockReleaseError([{ node: 0, verdict: 'error', error: node }]).code, 'LOCK_RELEASE_FAILED');
  });

  test('node failures travel as an AggregateError of NodeErrors in cause', async () => {
    const rs = new Redsync([fakeNode('error'), fakeNode('error'), fakeNode('ok')], { tries: 2, retryDelay: 0 });
    const error = await rs.mutex('e').acquire().catch((e: unknown) => e);
    assert.ok(error instanceof LockNotAcquiredError);
    assert.equal(error.code, 'LOCK_NOT_ACQUIRED');
    assert.match(error.message, /2 of 3 nodes failed/);
    assert.ok(error.cause instanceof AggregateError);
    const causes = error.cause.errors as NodeError[];
    assert.deepEqual(causes.map((c) => c.node), [0, 1]);
    assert.ok(causes.every((c) => c instanceof NodeError && (c.cause as Error).message === 'ERR fake failure'));
  });

  test('permission and authentication refusals are recognised as configuration problems', () => {
    const refusals = [
      'NOPERM this user has no permissions to run the \'evalsha\' command',
      'NOPERM this user has no permissions to access one of the keys used as arguments',
      "ERR The user executing the script can't run this command or subcommand script: abc",
      'WRONGPASS invalid username-password pair or user is disabled.',
      'NOAUTH Authentication required.',
    ];
    for (const message of refusals) assert.equal(new NodeError(0, new Error(message)).misconfigured, true, message);
    for (const message of ['ERR fake failure', 'NOSCRIPT No matching script', 'Connection is closed.']) {
      assert.equal(new NodeError(0, new Error(message)).misconfigured, false, message);
    }
  });

  test('isLockError recognises errors by code, also from another copy of the package', () => {
    assert.equal(isLockError(new LockLostError('x', 'expired')), true);
    assert.equal(isLockError(new LockLostError('x', 'expired'), 'LOCK_LOST'), true);
    assert.equal(isLockError(new LockLostError('x', 'expired'), 'LOCK_TAKEN'), false);
    const foreign = Object.assign(new Error('from elsewhere'), { code: 'LOCK_TAKEN' });
    assert.equal(isLockError(foreign, 'LOCK_TAKEN'), true);
    assert.equal(isLockError(Object.assign(new Error('x'), { code: 'ENOENT' })), false);
    assert.equal(isLockError({ code: 'LOCK_LOST' }), false);
    assert.equal(isLockError(null), false);
  });

  test('lock values never appear in error messages', async () => {
    const secret = 'super-secret-lock-value';
    const rs = new Redsync([fakeNode('taken'), fakeNode('error'), fakeNode('taken')], { tries: 1, genValue: () => secret });
    const error = await rs.mutex('e').acquire().catch((e: unknown) => e);
    assert.ok(error instanceof LockTakenError);
    const text = JSON.stringify({ m: error.message, s: error.stack, c: String(error.cause), o: error.outcomes });
    assert.ok(!text.includes(secret));
    const lock = new Redsync([fakeNode('taken')]).mutex('e').adopt(secret);
    const lost = await lock.extend().catch((e: unknown) => e);
    assert.ok(lost instanceof LockLostError && !lost.message.includes(secret));
  });
});
