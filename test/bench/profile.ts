/**
 * Where the extension's CPU and memory go (test/bench/PROFILE.md): runs the CPU rows' workloads
 * (./cpu.ts) against a layer with `node --cpu-prof`, then sums the profile's samples by bundled
 * module and by function. Read an unminified build: esbuild marks every module's start with a
 * `// <path>` comment, which maps a sample's line back to its package or source file.
 *
 *   npx tsx test/bench/profile.ts --layer=<dir> [--mode=invocation|events] [--out=<dir>] [--scale=1] [--prof=off]
 *
 * `--prof=off`: no profiler, only the memory figures at the end (V8 heap spaces, RSS by mapping).
 *
 * Node.js does not take --cpu-prof from NODE_OPTIONS, so the launcher finds a `node` on PATH
 * that execs the real one with the profiling flags (same pid) and a probe (`--require`) that
 * prints V8's heap figures on SIGUSR2. The extension is stopped with SHUTDOWN (the profile is
 * written at a normal exit).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { functionLogBatches } from './batches';
import { eventCpu, invocationCpu, defaultSettings, BATCH_EVENTS } from './cpu';
import { Session } from './session';
import { SinkServer } from './sink-server';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number; readonly columnNumber: number };
  readonly children?: readonly number[];
}
interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const PROBE = `'use strict';
const v8 = require('node:v8');
process.on('SIGUSR2', () => {
  const spaces = {};
  for (const s of v8.getHeapSpaceStatistics()) spaces[s.space_name] = { size: s.space_size, used: s.space_used_size };
  const code = v8.getHeapCodeStatistics();
  process.stderr.write('perf-probe ' + JSON.stringify({ memory: process.memoryUsage(), spaces, code }) + '\\n');
});
`;

/** Resident memory of `pid` by mapping kind (/proc/<pid>/smaps), MiB. */
export function residentByMapping(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  let kind = '';
  for (const line of fs.readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      const name = head[2];
      kind = name === '' ? `anonymous ${head[1]}` : name.startsWith('[') ? name : `file ${path.basename(name)}`;
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) out[kind] = (out[kind] ?? 0) + Number(rss[1]) / 1024;
  }
  const sorted = Object.entries(out).filter(([, v]) => v >= 0.1).sort((a, b) => b[1] - a[1]);
  return Object.fromEntries(sorted.map(([k, v]) => [k, Math.round(v * 10) / 10]));
}

function wrapperDir(out: string, flags: readonly string[]): string {
  const dir = path.join(out, 'bin');
  fs.mkdirSync(dir, { recursive: true });
  const probe = path.join(out, 'probe.cjs');
  fs.writeFileSync(probe, PROBE);
  fs.writeFileSync(path.join(dir, 'node'), `#!/bin/sh\nexec "${process.execPath}" ${flags.join(' ')} --require "${probe}" "$@"\n`, { mode: 0o755 });
  return dir;
}

/** Module ranges of an unminified esbuild bundle: `// path` comments at column 0. */
function moduleRanges(bundle: string): Array<{ line: number; name: string }> {
  const ranges: Array<{ line: number; name: string }> = [{ line: 0, name: '(bundle prelude)' }];
  bundle.split('\n').forEach((text, i) => {
    const m = /^\/\/ ((?:\.\.\/)*(?:main\/)?(?:node_modules\/)?\S+\.(?:[cm]?js|ts|json))$/.exec(text);
    if (m) ranges.push({ line: i, name: m[1].replace(/^(\.\.\/)*(main\/)?/, '') });
  });
  return ranges;
}

function moduleOf(ranges: ReturnType<typeof moduleRanges>, line: number): string {
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo < hi) {
    const mid = Math.floor((lo + hi + 1) / 2);
    if (ranges[mid].line <= line) lo = mid;
    else hi = mid - 1;
  }
  return ranges[lo].name;
}

/** A package (node_modules/<pkg>) or a source folder/file. */
function groupOf(module: string): string {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(module);
  if (pkg) return pkg[1];
  return module;
}

const KOA = /^(koa|@koa\/router|koa-compose|delegates|on-finished|ee-first|raw-body|statuses|vary|negotiator|mime-types|http-assert|http-errors|type-is|media-typer|content-type|content-disposition|accepts|fresh|escape-html|encodeurl|parseurl|only|cache-content-type|path-to-regexp|toidentifier|setprototypeof|inherits|bytes|unpipe|koa-convert|deep-equal|koa-is-json)$/;
const SOCKET_NATIVE = new Set(['writev', 'writeLatin1String', 'writeUtf8String', 'writeBuffer', 'close', 'internalConnect', 'shutdown', 'readStop', 'readStart']);
const INIT = /^node:(realm|loader|helpers|esm|translators|run_main|source_map|cjs)|^\(bundle prelude\)$/;

/** The PROFILE.md categories of a self-time group (package, file, native function). */
export function categoryOf(group: string, fn: string): string {
  if (group === '(garbage collector)') return 'GC';
  if (SOCKET_NATIVE.has(fn.split(' ')[0]) && (group === fn.split(' ')[0] || group === 'node:net')) return 'socket system calls (connect, write, close)';
  if (group === 'node:zlib' || /zlib|deflate|crc32/i.test(fn)) return 'gzip (node:zlib)';
  if (INIT.test(group) || /^(compileForInternalLoader|wrapSafe|compileFunction)/.test(fn)) return 'module loading (init)';
  if (KOA.test(group)) return 'Koa, @koa/router and their dependencies';
  if (group === 'valibot') return 'valibot';
  if (group === '@opentelemetry/otlp-transformer') return 'otlp-transformer (protobuf encoding)';
  if (group.startsWith('@opentelemetry/')) return 'other OpenTelemetry packages';
  if (group.startsWith('node:')) return 'Node.js http/net/streams/timers (JS)';
  if (/^extension-src\/(sinks\/otlp|telemetry\/time)/.test(group)) return 'extension: OTLP mapping (otlp-processor, log-line, time parsing)';
  if (/^extension-src\/(listener|telemetry)/.test(group)) return 'extension: listener + parse-batch (incl. JSON.parse, inlined)';
  if (/^extension-src\//.test(group)) return 'extension: other (API client, queue, export loop, sinks)';
  if (group.startsWith('RegExp:')) return 'extension: OTLP mapping (otlp-processor, log-line, time parsing)';
  if (group === '(program)') return '(program: V8/native outside JS)';
  return `other: ${group}`;
}

export function analyse(profile: CpuProfile, bundle: string, bundleUrlPart = 'index.cjs') {
  const ranges = moduleRanges(bundle);
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const label = (n: ProfileNode) => {
    const f = n.callFrame;
    if (f.url.includes(bundleUrlPart)) {
      const module = moduleOf(ranges, f.lineNumber);
      return { group: groupOf(module), fn: `${f.functionName || '(anonymous)'} ${module}:${f.lineNumber + 1}` };
    }
    if (f.url.startsWith('node:')) return { group: `node:${f.url.slice(5).split('/').slice(-1)[0]}`, fn: `${f.functionName || '(anonymous)'} ${f.url}` };
    if (f.url === '') return { group: f.functionName || '(native)', fn: f.functionName || '(native)' };
    return { group: f.url, fn: `${f.functionName} ${f.url}` };
  };
  let total = 0;
  let idle = 0;
  const groups = new Map<string, number>();
  const fns = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const categories = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id)!;
    if (node.callFrame.functionName === '(idle)') {
      idle += us;
      continue;
    }
    total += us;
    const l = label(node);
    groups.set(l.group, (groups.get(l.group) ?? 0) + us);
    fns.set(l.fn, (fns.get(l.fn) ?? 0) + us);
    const cat = categoryOf(l.group, l.fn);
    categories.set(cat, (categories.get(cat) ?? 0) + us);
    // Inclusive time of the extension's own functions and packages (each counted once per stack).
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const c = byId.get(cur)!;
      if (!c.callFrame.url.includes(bundleUrlPart)) continue;
      const key = label(c).group;
      if (!seen.has(key)) {
        seen.add(key);
        inclusive.set(key, (inclusive.get(key) ?? 0) + us);
      }
    }
  }
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  return {
    totalMs: total / 1000,
    idleMs: idle / 1000,
    categories: sorted(categories),
    groups: sorted(groups),
    fns: sorted(fns),
    inclusive: sorted(inclusive),
  };
}

function print(title: string, result: ReturnType<typeof analyse>, units: number, unitName: string): string {
  const pct = (us: number) => `${((100 * us) / (result.totalMs * 1000)).toFixed(1).padStart(5)} %`;
  const per = (us: number) => `${(us / units).toFixed(unitName === 'invocation' ? 1 : 3).padStart(8)} us/${unitName}`;
  const head = `## ${title}: ${result.totalMs.toFixed(0)} ms of samples (not idle), ${units} ${unitName}s, ${((result.totalMs * 1000) / units).toFixed(2)} us/${unitName}`;
  const out = [head, '', 'self time by category:'];
  for (const [k, us] of result.categories) out.push(`  ${pct(us)}  ${per(us)}  ${k}`);
  out.push('', 'self time by package / source file:');
  for (const [k, us] of result.groups.slice(0, 30)) out.push(`  ${pct(us)}  ${per(us)}  ${k}`);
  out.push('', 'inclusive time of bundled packages / files (on the stack):');
  for (const [k, us] of result.inclusive.slice(0, 25)) out.push(`  ${pct(us)}  ${per(us)}  ${k}`);
  out.push('', 'self time by function:');
  for (const [k, us] of result.fns.slice(0, 40)) out.push(`  ${pct(us)}  ${per(us)}  ${k}`);
  return out.join('\n');
}

/** `--analyse=<file.cpuprofile>`: print an existing profile again (with --layer, --mode, --units). */
function reanalyse(file: string, layerDir: string, mode: string, units: number): void {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const bundle = fs.readFileSync(path.join(layerDir, 'telemetry-extension', 'index.cjs'), 'utf8');
  console.log(print(mode, analyse(profile, bundle), units, mode === 'invocation' ? 'invocation' : 'event'));
}

async function main(): Promise<void> {
  const get = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const layerDir = path.resolve(get('layer') ?? path.join(__dirname, '..', '..', 'lib', 'layer'));
  const mode = get('mode') ?? 'invocation';
  const scale = Number(get('scale') ?? 1);
  const existing = get('analyse');
  if (existing) return reanalyse(existing, layerDir, mode, Number(get('units') ?? 1));
  const out = path.resolve(get('out') ?? fs.mkdtempSync(path.join(os.tmpdir(), 'perf-profile-')));
  const profDir = path.join(out, `prof-${mode}`);
  fs.rmSync(profDir, { recursive: true, force: true });
  const profiling = get('prof') !== 'off';
  const bin = wrapperDir(out, profiling ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`, '--cpu-prof-interval=250'] : []);
  const receiver = await SinkServer.start();
  const pathEnv = [bin, path.dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'].join(':');
  const session = await Session.start({ kind: 'extension', layerDir, settings: defaultSettings(receiver.url, { PATH: pathEnv }) });
  let units: number;
  try {
    if (mode === 'invocation') {
      units = Math.round(4 * 500 * scale);
      const samples = await invocationCpu(session, 4, units / 4, 200, 0, receiver);
      console.log(`cpu ms/invocation by block: ${samples.map((s) => s.toFixed(3)).join(' ')}`);
    } else {
      const runs = Math.round(10 * scale);
      units = runs * 10 * BATCH_EVENTS;
      const samples = await eventCpu(session, functionLogBatches(10), runs, 10, receiver);
      console.log(`cpu us/event by run: ${samples.map((s) => s.toFixed(2)).join(' ')}`);
    }
    process.kill(session.proc.pid, 'SIGUSR2');
    for (let i = 0; i < 100 && !session.proc.lineWith('perf-probe'); i++) await new Promise((r) => setTimeout(r, 10));
    console.log(`rss ${(session.proc.rssBytes() / 1048576).toFixed(1)} MiB; ${session.proc.lineWith('perf-probe') ?? 'no probe line'}`);
    console.log(`resident by mapping (MiB): ${JSON.stringify(residentByMapping(session.proc.pid))}`);
    const exit = await session.shutdown(5_000);
    console.log(`shutdown: exit ${exit.code} after ${exit.exitMs.toFixed(0)} ms${exit.killed ? ' (killed)' : ''}`);
  } finally {
    await session.close();
    await receiver.close();
  }
  if (!profiling) return;
  const file = fs.readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no profile in ${profDir}`);
  const profile = JSON.parse(fs.readFileSync(path.join(profDir, file), 'utf8')) as CpuProfile;
  const bundle = fs.readFileSync(path.join(layerDir, 'telemetry-extension', 'index.cjs'), 'utf8');
  const text = print(mode, analyse(profile, bundle), units, mode === 'invocation' ? 'invocation' : 'event');
  fs.writeFileSync(path.join(out, `${mode}.txt`), `${text}\n`);
  console.log(text);
  console.log(`\nprofile: ${path.join(profDir, file)}`);
}

if (require.main === module) {
  main().then(() => process.exit(0), (error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
