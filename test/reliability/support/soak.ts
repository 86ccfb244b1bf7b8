/**
 * The soak: many invocations with function logs through the real layer in the emulator, the
 * extension's RSS sampled from /proc while it is frozen between invocations, and every log line
 * and invocation span checked at the collector. Used by the short CI soak (soak.test.ts) and the
 * full one (`npx projen soak`, ../soak.ts).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HANDLERS_DIR, closeAll, otlpEnv, shutdownCounters, startWithLayer } from './bundle-emulator';
import { EXTENSION_NAME } from '../../../lib/config/contract';
import { freePort } from '../../support/free-port';
import { OtlpReceiver } from '../../support/otlp-receiver';

export interface SoakOptions {
  readonly invocations: number;
  /** Function log lines per invocation. */
  readonly linesPerInvocation: number;
  /** Sample RSS every this many invocations. */
  readonly sampleEvery: number;
  /** Extra environment of the function (e.g. NODE_OPTIONS). */
  readonly env?: Record<string, string>;
  /** Called with each sample as it is taken (progress output). */
  readonly onSample?: (sample: RssSample) => void;
}

export interface RssSample {
  readonly invocation: number;
  readonly rssKiB: number;
  /** JS heap in use right after a full GC (the last probe reading), KiB: what a leak grows. */
  readonly heapAfterGcKiB?: number;
  /** Open file descriptors (sockets included). */
  readonly fds: number;
  readonly elapsedMs: number;
}

export interface SoakResult {
  readonly samples: readonly RssSample[];
  readonly invocations: number;
  readonly failedInvocations: number;
  readonly expectedLines: number;
  /** Distinct expected log lines that never reached the collector. */
  readonly lostLines: number;
  /** Invocations without their SERVER span at the collector. */
  readonly lostSpans: number;
  /** The extension's own summary at SHUTDOWN. */
  readonly counters: Record<string, number>;
  readonly exitCode: number | null;
  readonly elapsedMs: number;
}

/** VmRSS of a process, KiB. */
export function rssKiB(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmRSS for ${pid}`);
  return Number(match[1]);
}

export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const receiver = await OtlpReceiver.start();
  const started = Date.now();
  const probeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'soak-probe-'));
  const probeFile = path.join(probeDir, 'heap.jsonl');
  const lastHeap = (): number | undefined => {
    if (!fs.existsSync(probeFile)) return undefined;
    const lines = fs.readFileSync(probeFile, 'utf8').trim().split('\n');
    return Math.round((JSON.parse(lines[lines.length - 1]) as { heapUsed: number }).heapUsed / 1024);
  };
  try {
    const env = {
      NODE_OPTIONS: `--expose-gc --require ${path.join(HANDLERS_DIR, 'heap-probe.cjs')}`,
      HEAP_PROBE_FILE: probeFile,
      ...options.env,
    };
    const emu = await startWithLayer({ timeoutMs: 10_000, env: otlpEnv(receiver.url, await freePort(), env) });
    const pid = emu.processes().find((p) => p.name === EXTENSION_NAME)?.pid;
    if (pid === undefined) throw new Error(`the extension did not start: ${emu.linesOf(EXTENSION_NAME).join('\n')}`);
    const samples: RssSample[] = [];
    const requestIds: string[] = [];
    let failedInvocations = 0;
    for (let i = 0; i < options.invocations; i++) {
      const result = await emu.invoke({ tag: `soak${i}`, count: options.linesPerInvocation });
      requestIds.push(result.requestId);
      if (result.status !== 'success') failedInvocations++;
      if ((i + 1) % options.sampleEvery === 0 || i === options.invocations - 1) {
        const sample = {
          invocation: i + 1, rssKiB: rssKiB(pid), heapAfterGcKiB: lastHeap(), fds: fs.readdirSync(`/proc/${pid}/fd`).length, elapsedMs: Date.now() - started,
        };
        samples.push(sample);
        options.onSample?.(sample);
      }
    }
    const shutdown = await emu.shutdown();

    const logged = new Set(receiver.logs().map((l) => String(l.body)));
    let lostLines = 0;
    for (let i = 0; i < options.invocations; i++) {
      for (let j = 0; j < options.linesPerInvocation; j++) if (!logged.has(`soak${i} ${j}`)) lostLines++;
    }
    const spans = new Set(receiver.spans().filter((s) => s.kind === 'SPAN_KIND_SERVER').map((s) => String(s.attributes['faas.invocation_id'])));
    return {
      samples,
      invocations: options.invocations,
      failedInvocations,
      expectedLines: options.invocations * options.linesPerInvocation,
      lostLines,
      lostSpans: requestIds.filter((id) => !spans.has(id)).length,
      counters: shutdownCounters(emu),
      exitCode: shutdown.extensions[0]?.exitCode ?? null,
      elapsedMs: Date.now() - started,
    };
  } finally {
    await closeAll();
    await receiver.close();
    fs.rmSync(probeDir, { recursive: true, force: true });
  }
}

/**
 * Growth of `value` over the second half of the run, KiB per 1000 invocations (least-squares
 * slope): the first half is warm-up (JIT, V8 sizing its heap to the allocation rate).
 */
export function steadyGrowthPer1000(samples: readonly RssSample[], value: (s: RssSample) => number | undefined = (s) => s.rssKiB): number {
  const half = samples.slice(Math.floor(samples.length / 2)).filter((s) => value(s) !== undefined);
  if (half.length < 2) return 0;
  const n = half.length;
  const mx = half.reduce((s, p) => s + p.invocation, 0) / n;
  const my = half.reduce((s, p) => s + (value(p) as number), 0) / n;
  const sxy = half.reduce((s, p) => s + (p.invocation - mx) * ((value(p) as number) - my), 0);
  const sxx = half.reduce((s, p) => s + (p.invocation - mx) ** 2, 0);
  return sxx === 0 ? 0 : (sxy / sxx) * 1000;
}
