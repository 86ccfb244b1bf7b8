/**
 * The processes a benchmark measures: the layer's launcher (`extensions/telemetry-extension`,
 * which execs Node on the bundle: same pid) or a floor script, started with a Lambda-like
 * environment of its own (nothing inherited from the harness, e.g. no NODE_OPTIONS), optionally
 * under a CPU cap, output captured line by line, memory read from /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NO_CAP, type CpuCap } from './cpu-cap';
import { EXTENSION_NAME } from '../../lib/config/contract';

export const FLOORS_DIR = path.join(__dirname, 'floors');
export const FLOOR_EXTENSION = path.join(FLOORS_DIR, 'floor-extension.cjs');
export const IDLE_SERVER = path.join(FLOORS_DIR, 'idle-server.cjs');

export interface ExitRecord {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** hrtime of the `exit` event. */
  readonly at: bigint;
}

export interface SpawnSpec {
  readonly command: string;
  readonly args?: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cap?: CpuCap;
}

export class BenchProcess {
  static spawn(spec: SpawnSpec): BenchProcess {
    return new BenchProcess(spec);
  }

  /** hrtime just before `spawn()`. */
  readonly startedAt: bigint;
  readonly pid: number;
  /** stdout and stderr lines, in arrival order. */
  readonly lines: string[] = [];
  readonly exited: Promise<ExitRecord>;
  exit: ExitRecord | undefined;
  private readonly child: ChildProcess;
  private readonly release: () => void;

  private constructor(spec: SpawnSpec) {
    const cap = spec.cap ?? NO_CAP;
    const { command, args } = cap.wrap(spec.command, spec.args ?? []);
    this.startedAt = process.hrtime.bigint();
    this.child = spawn(command, args, { env: { ...spec.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    if (this.child.pid === undefined) throw new Error(`cannot start ${spec.command}`);
    this.pid = this.child.pid;
    this.release = cap.attach(this.pid);
    for (const stream of [this.child.stdout, this.child.stderr]) {
      let rest = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        const parts = (rest + chunk).split('\n');
        rest = parts.pop() ?? '';
        for (const part of parts) if (this.lines.length < 10_000) this.lines.push(part);
      });
    }
    this.exited = new Promise<ExitRecord>((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exit = { code, signal, at: process.hrtime.bigint() };
        this.release();
        resolve(this.exit);
      });
    });
  }

  get alive(): boolean {
    return this.exit === undefined;
  }

  /** Resident set size now (VmRSS), bytes; 0 once exited. */
  rssBytes(): number {
    return this.statusField('VmRSS');
  }

  /** Peak resident set size so far (VmHWM), bytes. */
  peakRssBytes(): number {
    return this.statusField('VmHWM');
  }

  /**
   * CPU time used so far by all the process's threads (user + system), ms: the sum of every
   * thread's `se.sum_exec_runtime` from /proc/<pid>/task/<tid>/sched (nanosecond precision; the
   * V8 helper threads and libuv's pool, where zlib runs, included), or where that file does not
   * exist, utime + stime of /proc/<pid>/stat (10 ms ticks). 0 once exited.
   */
  cpuMs(): number {
    const precise = this.schedCpuMs();
    return precise ?? this.statCpuMs();
  }

  /** utime + stime of /proc/<pid>/stat, ms (clock ticks of 10 ms: USER_HZ is 100 on Linux). */
  statCpuMs(): number {
    try {
      const stat = fs.readFileSync(`/proc/${this.pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
    } catch {
      return 0;
    }
  }

  private schedCpuMs(): number | undefined {
    let tids: string[];
    try {
      tids = fs.readdirSync(`/proc/${this.pid}/task`);
    } catch {
      return undefined;
    }
    let sum = 0;
    for (const tid of tids) {
      let text: string;
      try {
        text = fs.readFileSync(`/proc/${this.pid}/task/${tid}/sched`, 'utf8');
      } catch {
        continue; // the thread ended between readdir and read
      }
      const match = /^se\.sum_exec_runtime\s*:\s*([\d.]+)/m.exec(text);
      if (!match) return undefined;
      sum += Number(match[1]);
    }
    return sum;
  }

  /** SIGKILL (if still running) and wait for the exit. */
  async kill(): Promise<ExitRecord> {
    if (this.alive) {
      try {
        process.kill(this.pid, 'SIGCONT');
        this.child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
    return this.exited;
  }

  /** The last line containing `text`, if any. */
  lineWith(text: string): string | undefined {
    for (let i = this.lines.length - 1; i >= 0; i--) if (this.lines[i].includes(text)) return this.lines[i];
    return undefined;
  }

  private statusField(name: string): number {
    try {
      const status = fs.readFileSync(`/proc/${this.pid}/status`, 'utf8');
      const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
      return match ? Number(match[1]) * 1024 : 0;
    } catch {
      return 0;
    }
  }
}

export { freePort } from '../support/free-port';

/** The launcher Lambda would start from `/opt/extensions`. */
export function launcherOf(layerDir: string): string {
  return path.join(layerDir, 'extensions', EXTENSION_NAME);
}

/**
 * The environment Lambda gives an extension (what matters here), plus `extra`. PATH leads to the
 * Node.js running the harness, as the Node.js managed runtime's PATH leads to its own.
 */
export function lambdaEnv(runtimeApi: string, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  return {
    PATH: [path.dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'].join(':'),
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs20.x',
    AWS_LAMBDA_FUNCTION_NAME: 'bench-function',
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '128',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_LAMBDA_RUNTIME_API: runtimeApi,
    ...extra,
  };
}
