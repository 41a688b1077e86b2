import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

interface Phase {
  label: string;
  sold: number;
  oversold: number;
  nodeKilled: boolean;
}

test('the demo oversells without a lock, never with the Redlock, and survives a killed node', async () => {
  const { stdout } = await run(process.execPath, [MAIN, 'demo', '--stock', '60', '--workers', '3', '--json'], { timeout: 120_000 });
  const report = JSON.parse(stdout) as { stock: number; phases: Phase[] };
  const [unlocked, locked] = report.phases;
  assert.ok(unlocked !== undefined && locked !== undefined);
  assert.ok(unlocked.sold >= 60, 'the unlocked phase sells at least the stock');
  assert.equal(locked.sold, 60);
  assert.equal(locked.oversold, 0);
  assert.equal(locked.nodeKilled, true);
});

test('bad arguments exit 64 with the usage text', async () => {
  const error = await run(process.execPath, [MAIN, 'demo', '--workers', 'many']).catch((e: unknown) => e);
  assert.ok(error instanceof Error && 'code' in error && 'stderr' in error);
  assert.equal(error.code, 64);
  assert.match(String(error.stderr), /--workers must be a positive integer/);
});
