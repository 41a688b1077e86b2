/** Process plumbing for the test servers: readiness, a free port, TLS directives. */
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { RedisServerOptions } from './redis-server.js';

/** The directives that move the TCP listener to a TLS-only port. */
export function tlsConfig(tls: RedisServerOptions['tls'], port: number | undefined): Record<string, string> {
  if (tls === undefined || port === undefined) return {};
  return {
    port: '0',
    'tls-port': String(port),
    'tls-cert-file': tls.cert,
    'tls-key-file': tls.key,
    'tls-ca-cert-file': tls.ca,
    'tls-auth-clients': 'no',
  };
}

/**
 * Resolves on the ready line (`ready`: a sentinel logs no "ready to accept connections"); rejects
 * with the server's own output when it exits first.
 */
export function waitForReady(child: ChildProcess, binary: string, timeoutMs: number, ready = /ready to accept connections/i): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const done = (error?: Error): void => {
      clearTimeout(timer);
      child.stdout?.removeListener('data', onData);
      child.stderr?.removeListener('data', onData);
      child.removeListener('exit', onExit);
      child.removeListener('error', onError);
      child.stdout?.resume();
      child.stderr?.resume();
      if (error === undefined) resolve();
      else {
        child.kill('SIGKILL');
        reject(error);
      }
    };
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (ready.test(output)) done();
    };
    const onExit = (): void => done(new Error(`redis-server exited before it was ready:\n${output.slice(-2000)}`));
    const onError = (error: NodeJS.ErrnoException): void => {
      done(
        error.code === 'ENOENT'
          ? new Error(`${binary} not found on PATH: install Redis >= 6.2 (Debian/Ubuntu: apt-get install -y redis-server)`, { cause: error })
          : error,
      );
    };
    const timer = setTimeout(() => done(new Error(`redis-server not ready after ${timeoutMs} ms:\n${output.slice(-2000)}`)), timeoutMs);
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}

/** A port that was free a moment ago on 127.0.0.1 (the kernel picks it). */
/**
 * Runs `start` again (up to 3 times in all) when it failed because a port it was given was taken
 * between `freePort()` and the server's bind: the port was free when probed, but the kernel hands
 * the same range to other listeners and to outgoing connections.
 */
export async function retryOnPortClash<T>(start: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (error) {
      if (attempt >= 3 || !(error instanceof Error) || !error.message.includes('Address already in use')) throw error;
    }
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
