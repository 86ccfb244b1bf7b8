/**
 * The real layer (lib/layer, built by jest's global setup from extension-src) in the local Lambda
 * emulator, plus readers for what the extension printed.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EXTENSION_NAME } from '../../../lib/config/contract';
import { LambdaEmulator, type EmulatorOptions } from '../../emulator/emulator';

export const LAYER_DIR = path.resolve(__dirname, '..', '..', '..', 'lib', 'layer');
export const HANDLERS_DIR = path.resolve(__dirname, '..', 'fixtures');
const LAUNCHER = path.join(LAYER_DIR, 'extensions', EXTENSION_NAME);

const started: LambdaEmulator[] = [];
const tempDirs: string[] = [];

/** Starts the emulator with the real layer and the reliability handlers; `closeAll` ends it. */
export async function startWithLayer(options: Partial<EmulatorOptions> & { readonly env: Record<string, string> }): Promise<LambdaEmulator> {
  const emu = await LambdaEmulator.start({ layerDir: LAYER_DIR, handlerDir: HANDLERS_DIR, handler: 'handlers.logs', ...options });
  started.push(emu);
  return emu;
}

/**
 * A layer whose launcher runs the real one with `AWS_LAMBDA_RUNTIME_API` replaced (by a
 * {@link FaultProxy} in front of the emulator, or an address where nothing listens). The real
 * value is written to `<layer>/real-runtime-api` first (see {@link realRuntimePort}).
 */
export function layerWithRuntimeApi(runtimeApi: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reliability-layer-'));
  tempDirs.push(dir);
  fs.mkdirSync(path.join(dir, 'extensions'));
  fs.writeFileSync(
    path.join(dir, 'extensions', EXTENSION_NAME),
    `#!/bin/sh\nprintf %s "$AWS_LAMBDA_RUNTIME_API" > ${path.join(dir, 'real-runtime-api')}\n`
    + `AWS_LAMBDA_RUNTIME_API=${runtimeApi}\nexport AWS_LAMBDA_RUNTIME_API\nexec ${LAUNCHER}\n`,
    { mode: 0o755 },
  );
  return dir;
}

/** The emulator's Runtime API port, as the launcher of {@link layerWithRuntimeApi} recorded it. */
export function realRuntimePort(layerDir: string): number {
  return Number(fs.readFileSync(path.join(layerDir, 'real-runtime-api'), 'utf8').split(':')[1]);
}

export async function closeAll(): Promise<void> {
  await Promise.all(started.splice(0).map((emu) => emu.close()));
  for (const dir of tempDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/** Lines the extension process wrote (stdout and stderr). */
export function extensionLines(emu: LambdaEmulator): string[] {
  return emu.linesOf(EXTENSION_NAME);
}

/** The `key=value` fields of the extension's first log line whose message is `message`. */
export function logFields(emu: LambdaEmulator, message: string): Record<string, string> | undefined {
  const line = extensionLines(emu).find((l) => l.includes(`] INFO ${message} `) || l.includes(`] WARN ${message} `) || l.includes(`] ERROR ${message} `));
  if (line === undefined) return undefined;
  const fields: Record<string, string> = {};
  for (const m of line.matchAll(/ (\w+)=("(?:[^"\\]|\\.)*"|\S+)/g)) {
    fields[m[1]] = m[2].startsWith('"') ? JSON.parse(m[2]) as string : m[2];
  }
  return fields;
}

/** The extension's end-of-life counters, from its `shutdown` log line, as numbers. */
export function shutdownCounters(emu: LambdaEmulator): Record<string, number> {
  const fields = logFields(emu, 'shutdown');
  if (!fields) throw new Error(`no shutdown line; the extension wrote:\n${extensionLines(emu).join('\n')}`);
  const numbers: Record<string, number> = {};
  for (const [key, value] of Object.entries(fields)) if (/^\d+$/.test(value)) numbers[key] = Number(value);
  return numbers;
}

/** Configuration of the OTLP sink to `endpoint` with a fixed listener port. */
export function otlpEnv(endpoint: string, port: number, extra: Record<string, string> = {}): Record<string, string> {
  return {
    TELEMETRY_EXTENSION_CONFIGURED: '1',
    TELEMETRY_EXTENSION_SINK: 'otlp',
    TELEMETRY_EXTENSION_SINK_ENDPOINT: endpoint,
    TELEMETRY_EXTENSION_TYPES: 'platform,function',
    TELEMETRY_EXTENSION_PORT: String(port),
    ...extra,
  };
}
