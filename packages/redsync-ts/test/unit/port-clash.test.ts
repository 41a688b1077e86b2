/**
 * The test kit's retry when a probed free port was taken before the server could bind it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { retryOnPortClash } from '../../src/testing/server-process.js';

test('a start that lost its port to another process is tried again, up to 3 times in all', async () => {
  let calls = 0;
  const started = await retryOnPortClash(() => {
    calls += 1;
    return calls < 3 ? Promise.reject(new Error('redis-server exited before it was ready:\nbind: Address already in use')) : Promise.resolve('up');
  });
  assert.equal(started, 'up');
  assert.equal(calls, 3);
  calls = 0;
  await assert.rejects(retryOnPortClash(() => {
    calls += 1;
    return Promise.reject(new Error('bind: Address already in use'));
  }), /Address already in use/);
  assert.equal(calls, 3, 'gives up after the third clash');
});

test('any other failure is not retried', async () => {
  let calls = 0;
  await assert.rejects(retryOnPortClash(() => {
    calls += 1;
    return Promise.reject(new Error('redis-server is not installed'));
  }), /not installed/);
  assert.equal(calls, 1);
});
