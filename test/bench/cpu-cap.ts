/**
 * A CPU cap that emulates a small function: Lambda gives a function CPU in proportion to its
 * memory (1,769 MB = one vCPU), so 128 MB gets about 7 % of one core.
 *
 * Methods, best first:
 * - `cgroup-v2`: a child cgroup with `cpu.max` = "<quota> <period>";
 * - `cgroup-v1`: a child of the `cpu` hierarchy with `cpu.cfs_quota_us` / `cpu.cfs_period_us`;
 * - `duty-cycle`: when no cgroup is writable, the harness SIGCONTs the process for `quota` ms
 *   and SIGSTOPs it for the rest of every period (coarser: timer resolution, whole process).
 * A process enters a cgroup before it runs any of its own code: it is started through
 * `sh -c 'echo $$ > cgroup.procs && exec "$@"'`. Floors run under the same cap as the subject.
 *
 * The CFS period matters for latency: with 100 ms (the kernel's default, Docker's `--cpus`), a
 * process that used its 7 ms can wait up to 93 ms. Lambda's exact period is not documented.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export type CapMethod = 'none' | 'cgroup-v2' | 'cgroup-v1' | 'duty-cycle';

export interface CpuCap {
  /** `none` or e.g. `7%`: the table's `cap` column. */
  readonly label: string;
  readonly method: CapMethod;
  readonly percent: number;
  readonly periodMs: number;
  /** The command line that starts `command` inside the cap. */
  wrap(command: string, args: readonly string[]): { command: string; args: string[] };
  /** Call right after spawning; returns the function that releases the process (duty-cycle). */
  attach(pid: number): () => void;
  /** Removes the cgroup (its processes must have exited). */
  dispose(): void;
  describe(): string;
}

export const NO_CAP: CpuCap = {
  label: 'none',
  method: 'none',
  percent: 100,
  periodMs: 0,
  wrap: (command, args) => ({ command, args: [...args] }),
  attach: () => () => undefined,
  dispose: () => undefined,
  describe: () => 'no CPU cap',
};

const V2_ROOT = '/sys/fs/cgroup';
const V1_ROOTS = ['/sys/fs/cgroup/cpu', '/sys/fs/cgroup/cpu,cpuacct'];

function tryCgroup(dir: string, configure: (dir: string) => void): boolean {
  try {
    fs.mkdirSync(dir);
  } catch {
    return false;
  }
  try {
    configure(dir);
    return true;
  } catch {
    fs.rmdirSync(dir);
    return false;
  }
}

class CgroupCap implements CpuCap {
  readonly label: string;
  private readonly onExit: () => void;

  constructor(readonly method: 'cgroup-v1' | 'cgroup-v2', readonly dir: string, readonly percent: number, readonly periodMs: number) {
    this.label = `${percent}%`;
    this.onExit = () => this.dispose();
    process.once('exit', this.onExit);
  }

  wrap(command: string, args: readonly string[]): { command: string; args: string[] } {
    return { command: '/bin/sh', args: ['-c', 'echo $$ > "$0" && exec "$@"', path.join(this.dir, 'cgroup.procs'), command, ...args] };
  }

  attach(): () => void {
    return () => undefined;
  }

  dispose(): void {
    process.removeListener('exit', this.onExit);
    try {
      fs.rmdirSync(this.dir);
    } catch {
      // already removed, or a process is still inside (it is killed by its owner)
    }
  }

  describe(): string {
    return `${this.method} ${this.dir}: ${this.percent}% of one core (quota ${(this.percent * this.periodMs) / 100} ms per ${this.periodMs} ms)`;
  }
}

class DutyCycleCap implements CpuCap {
  readonly method = 'duty-cycle' as const;
  readonly label: string;

  constructor(readonly percent: number, readonly periodMs: number) {
    this.label = `${percent}%`;
  }

  wrap(command: string, args: readonly string[]): { command: string; args: string[] } {
    return { command, args: [...args] };
  }

  attach(pid: number): () => void {
    const runMs = Math.max(1, Math.round((this.percent * this.periodMs) / 100));
    let stopTimer: NodeJS.Timeout | undefined;
    const signal = (name: NodeJS.Signals) => {
      try {
        process.kill(pid, name);
      } catch {
        // exited
      }
    };
    const cycle = setInterval(() => {
      signal('SIGCONT');
      stopTimer = setTimeout(() => signal('SIGSTOP'), runMs);
    }, this.periodMs);
    return () => {
      clearInterval(cycle);
      clearTimeout(stopTimer);
      signal('SIGCONT');
    };
  }

  dispose(): void {}

  describe(): string {
    return `duty-cycle (SIGCONT ${Math.round((this.percent * this.periodMs) / 100)} ms, SIGSTOP the rest of every ${this.periodMs} ms): ${this.percent}% of one core`;
  }
}

/** The best cap this machine allows: a cgroup if one can be created here, else a duty cycle. */
export function createCpuCap(percent = 7, periodMs = 100, forceMethod?: CapMethod): CpuCap {
  const name = `telemetry-bench-${process.pid}-${Date.now()}`;
  const quotaUs = Math.round(percent * periodMs * 10);
  const periodUs = periodMs * 1000;
  if (forceMethod === undefined || forceMethod === 'cgroup-v2') {
    if (fs.existsSync(path.join(V2_ROOT, 'cgroup.controllers'))) {
      const dir = path.join(V2_ROOT, name);
      if (tryCgroup(dir, (d) => fs.writeFileSync(path.join(d, 'cpu.max'), `${quotaUs} ${periodUs}`))) {
        return new CgroupCap('cgroup-v2', dir, percent, periodMs);
      }
    }
  }
  if (forceMethod === undefined || forceMethod === 'cgroup-v1') {
    for (const root of V1_ROOTS) {
      if (!fs.existsSync(path.join(root, 'cpu.cfs_quota_us'))) continue;
      const dir = path.join(root, name);
      const ok = tryCgroup(dir, (d) => {
        fs.writeFileSync(path.join(d, 'cpu.cfs_period_us'), String(periodUs));
        fs.writeFileSync(path.join(d, 'cpu.cfs_quota_us'), String(quotaUs));
      });
      if (ok) return new CgroupCap('cgroup-v1', dir, percent, periodMs);
    }
  }
  return new DutyCycleCap(percent, periodMs);
}
