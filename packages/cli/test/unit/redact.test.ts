import assert from 'node:assert/strict';
import { test } from 'node:test';
import { redactUrl } from '../../src/connect.js';

test('redactUrl hides passwords and keeps what locates the server', () => {
  assert.equal(redactUrl('redis://:hunter2@db.internal:6380/2'), 'redis://:***@db.internal:6380/2');
  assert.equal(redactUrl('rediss://locker:s3cret@10.0.0.1:6379'), 'rediss://locker:***@10.0.0.1:6379');
  assert.equal(redactUrl('redis://127.0.0.1:6379'), 'redis://127.0.0.1:6379');
  assert.equal(redactUrl('unix:///tmp/redis.sock'), 'unix:///tmp/redis.sock');
  assert.equal(redactUrl('not a url:pw@host'), '***@host');
});
