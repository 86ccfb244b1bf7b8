/**
 * Constraints a measured process starts in (the table's `cap` column). Also a memory limit:
 * {@link createMemoryLimit}.
 *
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
 * process that used its 7 ms can wait up to 93 ms; the runner uses 20 ms (1.4 ms of CPU per
 * period), so figures move in 20 ms steps. Lambda's exact period is not documented.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export type CapMethod = 'none' | 'cgroup-v2' | 'cgroup-v1' | 'duty-cycle' | 'memory-cgroup';

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

  constructor(readonly method: 'cgroup-v1' | 'cgroup-v2' | 'memory-cgroup', readonly dir: string, readonly percent: number, readonly periodMs: number, label?: string) {
    this.label = label ?? `${percent}%`;
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
    if (this.method === 'memory-cgroup') return `memory cgroup ${this.dir}: ${this.label} (Node.js sizes its heap for it, as in a function of that size)`;
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
export function createCpuCap(percent = 7, periodMs = 20, forceMethod?: CapMethod): CpuCap {
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

/**
 * A memory limit of `mb` MB (a memory cgroup), or undefined when none can be created here.
 * Node.js reads the limit (`process.constrainedMemory()`) and sizes V8's heap for it, as it does
 * in a Lambda function of that memory size; on a large machine it would size it for the machine.
 */
export function createMemoryLimit(mb: number): CpuCap | undefined {
  const name = `telemetry-bench-mem-${process.pid}-${Date.now()}`;
  const bytes = String(mb * 1024 * 1024);
  if (fs.existsSync(path.join(V2_ROOT, 'cgroup.controllers'))) {
    const dir = path.join(V2_ROOT, name);
    if (tryCgroup(dir, (d) => fs.writeFileSync(path.join(d, 'memory.max'), bytes))) return new CgroupCap('memory-cgroup', dir, 100, 0, `${mb}MB`);
  }
  const v1 = '/sys/fs/cgroup/memory';
  if (fs.existsSync(path.join(v1, 'memory.limit_in_bytes'))) {
    const dir = path.join(v1, name);
    if (tryCgroup(dir, (d) => fs.writeFileSync(path.join(d, 'memory.limit_in_bytes'), bytes))) return new CgroupCap('memory-cgroup', dir, 100, 0, `${mb}MB`);
  }
  return undefined;
}
