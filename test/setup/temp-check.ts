/**
 * A test run leaves the temp folder as it found it. The global setup points TMPDIR (what
 * os.tmpdir() returns, in jest and in every process the tests start) at a folder of the run's
 * own; the global teardown lists what is left in it, removes it, and fails the run when anything
 * was left. A private folder, so that other processes on the machine cannot disturb the count.
 *
 * Caches under fixed names are linked into the folder from the real temp folder first: every run
 * reuses them, they do not grow with the number of runs, and they stay warm. They are tsx's
 * compile cache (`tsx-<uid>`) and the library's own cache of staged bundled-Node layers
 * (`cdk-telemetry-extension/`, lib/bundled-node.ts: keyed by content, at most 6 entries of about
 * 100 MB, what a user's synth uses too).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Where the run's temp folder and the TMPDIR before it are recorded, for the teardown. */
const RUN_TMP = 'TELEMETRY_TEST_RUN_TMPDIR';
const ORIGINAL = 'TELEMETRY_TEST_ORIGINAL_TMPDIR';
const PRESENT = '.present-at-start';

/** Fixed-name caches, linked in from the real temp folder. */
export const TOOL_CACHES: readonly string[] = [`tsx-${process.getuid?.() ?? 0}`, 'cdk-telemetry-extension'];

/** A new folder under `parent` holding links to the tool caches of `parent`, its start state recorded. */
export function createRunTemp(parent: string): string {
  const dir = fs.mkdtempSync(path.join(parent, 'cdk-telemetry-extension-test-'));
  for (const cache of TOOL_CACHES) {
    fs.mkdirSync(path.join(parent, cache), { recursive: true, mode: 0o700 });
    fs.symlinkSync(path.join(parent, cache), path.join(dir, cache));
  }
  fs.writeFileSync(path.join(dir, PRESENT), JSON.stringify([PRESENT, ...fs.readdirSync(dir)]));
  return dir;
}

/** What was added to a `createRunTemp` folder since it was created (with the size of folders). */
export function leftovers(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const marker = path.join(dir, PRESENT);
  const present = new Set(fs.existsSync(marker) ? JSON.parse(fs.readFileSync(marker, 'utf8')) as string[] : []);
  return fs.readdirSync(dir).filter((entry) => !present.has(entry)).sort().map((entry) => {
    const full = path.join(dir, entry);
    return fs.lstatSync(full).isDirectory() ? `${entry}/ (${fs.readdirSync(full).length} entries)` : entry;
  });
}

/** Global setup: the run's temp folder becomes os.tmpdir() for this process and its children. */
export function startTempCheck(): string {
  // Each jest project runs the global setup: the run keeps the folder the first one made.
  const running = process.env[RUN_TMP];
  if (running !== undefined) return running;
  const dir = createRunTemp(os.tmpdir());
  process.env[ORIGINAL] = process.env.TMPDIR ?? '';
  process.env[RUN_TMP] = dir;
  process.env.TMPDIR = dir;
  return dir;
}

/**
 * Global teardown: restores TMPDIR, removes the run's folder, returns what was left in it
 * (undefined when the setup started no check).
 */
export function finishTempCheck(): string[] | undefined {
  const dir = process.env[RUN_TMP];
  if (dir === undefined) return undefined;
  const left = leftovers(dir);
  fs.rmSync(dir, { recursive: true, force: true });
  const original = process.env[ORIGINAL];
  if (original) process.env.TMPDIR = original;
  else delete process.env.TMPDIR;
  delete process.env[RUN_TMP];
  delete process.env[ORIGINAL];
  return left;
}
