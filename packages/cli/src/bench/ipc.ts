/** IPC with the bench's child processes. */
import type { ChildProcess } from 'node:child_process';

/** The child's next message; rejects if it exits first (a barrier never hangs on a dead child). */
export function nextMessage<T>(child: ChildProcess): Promise<T> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null): void => reject(new Error(`bench child exited with ${String(code)}`));
    child.once('exit', onExit);
    child.once('message', (message: T) => {
      child.off('exit', onExit);
      resolve(message);
    });
  });
}
