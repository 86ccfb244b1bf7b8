/** Shared helpers for the emulator's self-tests: temporary layers with fake extensions, probes. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LambdaEmulator, type EmulatorOptions } from '../emulator/emulator';

export const FIXTURES = path.join(__dirname, '..', 'emulator', 'fixtures');
const FAKE_EXTENSION = path.join(FIXTURES, 'fake-extension.cjs');

/** Options of `fixtures/fake-extension.cjs` (see the comment at its top). */
export type FakeExtensionOptions = Record<string, unknown>;

const tempDirs: string[] = [];

/** A temporary layer folder whose `extensions/` holds one launcher per entry. */
export function makeLayer(extensions: Record<string, FakeExtensionOptions | { readonly script: string }>): string {
  const layerDir = fs.mkdtempSync(path.join(os.tmpdir(), 'emu-layer-'));
  tempDirs.push(layerDir);
  fs.mkdirSync(path.join(layerDir, 'extensions'));
  for (const [name, spec] of Object.entries(extensions)) {
    const script = 'script' in spec
      ? spec.script as string
      : `#!/usr/bin/env node\nrequire(${JSON.stringify(FAKE_EXTENSION)}).run(${JSON.stringify(spec)});\n`;
    fs.writeFileSync(path.join(layerDir, 'extensions', name), script, { mode: 0o755 });
  }
  return layerDir;
}

export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

export interface Probe {
  readonly kind: string;
  readonly [key: string]: any;
}

/** `PROBE {...}` lines one process printed, parsed. */
export function probes(emu: LambdaEmulator, processName: string, kind?: string): Probe[] {
  return emu.linesOf(processName)
    .filter((line) => line.startsWith('PROBE '))
    .map((line) => JSON.parse(line.slice('PROBE '.length)) as Probe)
    .filter((probe) => kind === undefined || probe.kind === kind);
}

/** Waits for the first probe of `kind` (matching `filter`) from one process. */
export function waitProbe(emu: LambdaEmulator, processName: string, kind: string, filter: (p: Probe) => boolean = () => true): Promise<Probe> {
  return emu.waitFor(() => probes(emu, processName, kind).find(filter), { description: `probe ${kind} from ${processName}` });
}

/** Starts an emulator on the fixture handlers; tracked so that `closeAll` ends it. */
const started: LambdaEmulator[] = [];
export async function startEmulator(options: Partial<EmulatorOptions> = {}): Promise<LambdaEmulator> {
  const emu = await LambdaEmulator.start({ handlerDir: FIXTURES, handler: 'handlers.echo', ...options });
  started.push(emu);
  return emu;
}

export async function closeAll(): Promise<void> {
  await Promise.all(started.splice(0).map((emu) => emu.close()));
  removeTempDirs();
}
