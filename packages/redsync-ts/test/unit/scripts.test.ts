import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { isNoScriptError, runScript, toInteger } from '../../src/script.js';
import { ALL_SCRIPTS, lockRelease } from '../../src/scripts/index.js';
import type { RedisNode } from '../../src/index.js';

describe('scripts', () => {
  for (const script of ALL_SCRIPTS) {
    test(`${script.name}: the written-out SHA1 is the SHA1 of its source`, () => {
      assert.equal(script.sha1, createHash('sha1').update(script.source).digest('hex'));
    });
  }

  test('replies are normalised whatever the client returns', () => {
    assert.equal(toInteger(1, 's'), 1);
    assert.equal(toInteger('-1', 's'), -1);
    assert.equal(toInteger(1n, 's'), 1);
    assert.throws(() => toInteger('OK', 's'), TypeError);
    assert.throws(() => toInteger(null, 's'), TypeError);
    assert.throws(() => lockRelease.parse(7), TypeError);
  });

  test('NOSCRIPT falls back to EVAL once; other errors propagate', async () => {
    const sent: string[] = [];
    const node: RedisNode = {
      setNX: () => Promise.resolve('OK'),
      evalsha: () => (sent.push('evalsha'), Promise.reject(new Error('NOSCRIPT No matching script. Please use EVAL.'))),
      eval: () => (sent.push('eval'), Promise.resolve(1)),
    };
    assert.equal(await runScript(node, lockRelease, ['k'], ['v']), 'ok');
    assert.deepEqual(sent, ['evalsha', 'eval']);
    const failing: RedisNode = { setNX: () => Promise.resolve('OK'), evalsha: () => Promise.reject(new Error('NOPERM no')), eval: () => Promise.resolve(1) };
    await assert.rejects(runScript(failing, lockRelease, ['k'], ['v']), /NOPERM/);
    assert.equal(isNoScriptError('NOSCRIPT'), false);
  });
});
