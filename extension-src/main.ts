/**
 * The extension's run: init (./lifecycle/init.ts), then the `next` loop until SHUTDOWN or a fatal
 * error (./lifecycle/next-loop.ts, ./lifecycle/shutdown.ts).
 *
 * Exit status: 0 after a SHUTDOWN; 1 after an init error (reported with `init/error` when the
 * extension could register), or a fatal error later (reported with `exit/error`).
 *
 * Nothing happens at import time.
 */
import { initialize, type RunDeps } from './lifecycle/init';
import { NextLoop } from './lifecycle/next-loop';

export type { CreateSink, RunDeps } from './lifecycle/init';

/** Run the extension until SHUTDOWN or a fatal error. Resolves with the process exit status. */
export async function run(env: NodeJS.ProcessEnv, deps: RunDeps = {}): Promise<number> {
  const extension = await initialize(env, deps);
  if (typeof extension === 'number') return extension;
  try {
    return await new NextLoop(extension).run();
  } finally {
    // The receiver takes the function's data until the very end (the queue accepts everything
    // once SHUTDOWN starts, see lifecycle/shutdown.ts); then its port is released.
    await extension.receiver?.close();
  }
}
