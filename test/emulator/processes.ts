/**
 * Real child processes of the emulated execution environment: each one in its own process group
 * (so SIGSTOP / SIGCONT / SIGKILL reach its children too), stdout and stderr captured line by line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';

/** Longest wait, after a process exited, for the rest of its output. */
const OUTPUT_DRAIN_MS = 250;

export type ProcessKind = 'runtime' | 'extension';
export type OutputStream = 'stdout' | 'stderr';

/** One line a process wrote (without its trailing newline). */
export interface OutputLine {
  /** Extension file name, or `runtime`. */
  readonly process: string;
  readonly kind: ProcessKind;
  readonly pid: number;
  readonly stream: OutputStream;
  readonly line: string;
  /** Epoch ms when the emulator read it. */
  readonly time: number;
}

/** How a process ended. */
export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Epoch ms. */
  readonly at: number;
  /** Set when the process could not be started at all (e.g. not executable). */
  readonly spawnError?: string;
}

export interface SpawnSpec {
  readonly name: string;
  readonly kind: ProcessKind;
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Record<string, string>;
  readonly cwd: string;
  readonly onLine: (line: OutputLine) => void;
  readonly onExit: (process: ManagedProcess, info: ExitInfo) => void;
}

export class ManagedProcess {
  public readonly name: string;
  public readonly kind: ProcessKind;
  public readonly startedAt = Date.now();
  /** Undefined only when spawning failed. */
  public readonly pid: number | undefined;
  public exitInfo: ExitInfo | undefined;
  /** Resolves when the process has exited (or failed to start). */
  public readonly exited: Promise<ExitInfo>;
  private readonly child: ChildProcess;

  public constructor(private readonly spec: SpawnSpec) {
    this.name = spec.name;
    this.kind = spec.kind;
    this.child = spawn(spec.command, [...spec.args], {
      cwd: spec.cwd,
      env: spec.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.pid = this.child.pid;
    this.exited = new Promise((resolve) => {
      const finish = (info: ExitInfo): void => {
        if (this.exitInfo) return;
        this.exitInfo = info;
        resolve(info);
        spec.onExit(this, info);
      };
      this.child.once('error', (error) => finish({ code: null, signal: null, at: Date.now(), spawnError: error.message }));
      // Reported once its output is fully read ('close'), so that its last lines come first; a child
      // it left behind may hold the pipes open, hence the bound.
      this.child.once('exit', (code, signal) => {
        const info = { code, signal, at: Date.now() };
        const timer = setTimeout(() => finish(info), OUTPUT_DRAIN_MS);
        this.child.once('close', () => {
          clearTimeout(timer);
          finish(info);
        });
      });
    });
    this.capture('stdout');
    this.capture('stderr');
  }

  /** Until its exit has been reported (output drained). */
  public get alive(): boolean {
    return this.pid !== undefined && this.exitInfo === undefined;
  }

  /** Sends `signal` to the whole process group. Ignores processes that are already gone. */
  public signal(signal: NodeJS.Signals): void {
    if (this.pid === undefined) return;
    try {
      process.kill(-this.pid, signal);
    } catch {
      // ESRCH: the group is gone already.
    }
  }

  /** Pids currently in this process's group (the process and whatever it started). */
  public groupPids(): number[] {
    return this.pid === undefined ? [] : pidsInGroup(this.pid);
  }

  private capture(stream: OutputStream): void {
    const readable = this.child[stream];
    if (!readable) return;
    readable.setEncoding('utf8');
    let pending = '';
    const emit = (line: string): void => this.spec.onLine({
      process: this.name, kind: this.kind, pid: this.pid ?? -1, stream, line, time: Date.now(),
    });
    readable.on('data', (chunk: string) => {
      pending += chunk;
      let newline = pending.indexOf('\n');
      while (newline >= 0) {
        emit(pending.slice(0, newline));
        pending = pending.slice(newline + 1);
        newline = pending.indexOf('\n');
      }
    });
    readable.on('end', () => {
      if (pending.length > 0) emit(pending);
      pending = '';
    });
  }
}

interface ProcStat {
  readonly pid: number;
  /** R, S, D, T (stopped), t, Z, ... */
  readonly state: string;
  readonly pgrp: number;
}

/** Parses `/proc/<pid>/stat` (the command name may contain spaces and parentheses). */
export function readProcStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { pid, state: fields[0], pgrp: Number(fields[2]) };
}

/** Every live pid whose process group is `pgid`. */
export function pidsInGroup(pgid: number): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readProcStat(Number(entry));
    if (stat && stat.pgrp === pgid) pids.push(stat.pid);
  }
  return pids;
}

/** Peak resident set size (`VmHWM`) of one process in bytes, 0 when unknown. */
/** Resident memory of a process now (`VmRSS`), 0 when it is gone. */
export function currentRssBytes(pid: number): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

export function peakRssBytes(pid: number): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Is every pid stopped (`T`), dead, or a zombie? */
export function allStopped(pids: readonly number[]): boolean {
  return pids.every((pid) => {
    const state = readProcStat(pid)?.state;
    return state === undefined || state === 'T' || state === 't' || state === 'Z' || state === 'X';
  });
}

/**
 * Resolves once every given pid is stopped. SIGSTOP is delivered asynchronously; this polls
 * `/proc` on each turn of the event loop (bounded by `timeoutMs`) so that "frozen" really means it.
 */
export function waitAllStopped(pids: readonly number[], timeoutMs = 2000): Promise<boolean> {
  const giveUpAt = Date.now() + timeoutMs;
  return new Promise((resolve) => {
    const check = (): void => {
      if (allStopped(pids)) resolve(true);
      else if (Date.now() > giveUpAt) resolve(false);
      else setImmediate(check);
    };
    check();
  });
}
