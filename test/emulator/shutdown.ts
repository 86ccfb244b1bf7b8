/**
 * The SHUTDOWN phase (also a reset): the runtime gets SIGTERM and, after its budget, SIGKILL; then
 * every extension registered for SHUTDOWN gets the event as the answer to its `next`, the others
 * are killed at once, and whatever still runs at `deadlineMs` is SIGKILLed.
 */
import type { ExtensionRegistry } from './extension-registry';
import type { ExitInfo, ManagedProcess } from './processes';
import type {
  ExtensionExitRecord, ProcessExitRecord, ShutdownReason, ShutdownRecord,
} from './types';

export interface ShutdownArgs {
  readonly reason: ShutdownReason;
  readonly runtime: ManagedProcess | undefined;
  readonly extensions: ReadonlyMap<string, ManagedProcess>;
  readonly registry: ExtensionRegistry;
  /** Whole phase: `deadlineMs` = start + this. */
  readonly budgetMs: number;
  readonly runtimeBudgetMs: number;
  /**
   * Managed instances: the runtime gets SIGTERM at the same moment as the SHUTDOWN events and may
   * finish the invocations in flight until `deadlineMs` (then SIGKILL), instead of first having to
   * exit within `runtimeBudgetMs`.
   */
  readonly runtimeAlongside?: boolean;
  /** When the phase began (before the thaw that precedes it). @default now */
  readonly startedAt?: number;
}

export async function shutdownProcesses(args: ShutdownArgs): Promise<ShutdownRecord> {
  const startedAt = args.startedAt ?? Date.now();
  const deadlineMs = startedAt + args.budgetMs;
  const runtimeStop = args.runtime ? stopRuntime(args.runtime, args.runtimeAlongside ? args.budgetMs : args.runtimeBudgetMs) : undefined;
  const runtime = args.runtimeAlongside ? undefined : await runtimeStop;
  const killed = new Map<string, ExtensionExitRecord['killed']>();
  for (const [name, proc] of args.extensions) {
    if (!proc.alive) continue;
    const agent = args.registry.byName(name);
    if (agent?.wants('SHUTDOWN')) {
      agent.deliver({ eventType: 'SHUTDOWN', deadlineMs, shutdownReason: args.reason });
    } else {
      killed.set(name, 'not-registered-for-shutdown');
      proc.signal('SIGKILL');
    }
  }
  let deadlineTimer: NodeJS.Timeout | undefined;
  const killAtDeadline = (): void => {
    const early = deadlineMs - Date.now();
    if (early > 0) {
      deadlineTimer = setTimeout(killAtDeadline, early); // timers may fire a millisecond early
      return;
    }
    for (const [name, proc] of args.extensions) {
      if (!proc.alive) continue;
      killed.set(name, 'at-deadline');
      proc.signal('SIGKILL');
    }
  };
  deadlineTimer = setTimeout(killAtDeadline, Math.max(0, deadlineMs - Date.now()));
  await Promise.all([...args.extensions.values()].map((p) => p.exited));
  clearTimeout(deadlineTimer);
  for (const p of args.extensions.values()) p.signal('SIGKILL'); // leftovers in the process groups
  const extensions = [...args.extensions].map(([name, proc]): ExtensionExitRecord => {
    const info = proc.exitInfo as ExitInfo;
    const agent = args.registry.byName(name);
    return {
      name,
      pid: proc.pid,
      registered: agent !== undefined,
      events: agent?.events ?? [],
      shutdownDeliveredAt: agent?.shutdownDeliveredAt,
      exitCode: info.code,
      signal: info.signal,
      exitedAt: info.at,
      exitAfterMs: Math.max(0, info.at - (agent?.shutdownDeliveredAt ?? startedAt)),
      killed: killed.get(name),
    };
  });
  return { reason: args.reason, startedAt, deadlineMs, endedAt: Date.now(), runtime: runtime ?? await runtimeStop, extensions };
}

async function stopRuntime(proc: ManagedProcess, budgetMs: number): Promise<ProcessExitRecord> {
  const termAt = Date.now();
  let killed = false;
  let timer: NodeJS.Timeout | undefined;
  if (proc.alive) {
    proc.signal('SIGTERM');
    timer = setTimeout(() => {
      killed = true;
      proc.signal('SIGKILL');
    }, budgetMs);
  }
  const info = await proc.exited;
  clearTimeout(timer);
  proc.signal('SIGKILL');
  return {
    name: 'runtime',
    pid: proc.pid,
    exitCode: info.code,
    signal: info.signal,
    exitedAt: info.at,
    exitAfterMs: Math.max(0, info.at - termAt),
    killed: killed ? 'runtime-budget' : undefined,
  };
}
