/**
 * Temporary folders that tests remove. A CDK `App` without `outdir` synthesizes into a new
 * `cdk.out*` folder under os.tmpdir() that nothing removes (and a bundled-Node layer copies a
 * 100 MB binary into it): give it `tempApp()` instead.
 *
 * Imported by a jest test file, everything made here is removed after that file's tests
 * (`afterAll`, registered when this module loads); elsewhere (scripts) call `removeTempDirs()`.
 *
 * @example
 *   const stack = new Stack(tempApp(), 'Test');   // assembly in a temp folder, removed after the file
 *   const dir = tempDir('staged-layer-');         // an empty folder, removed after the file
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, type AppProps } from 'aws-cdk-lib';

const made: string[] = [];

/** A new empty folder `<os.tmpdir()>/<prefix>XXXXXX`, removed by `removeTempDirs()`. */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** A CDK App whose cloud assembly goes to a `tempDir('cdk.out-')` (unless `props.outdir` is set). */
export function tempApp(props: AppProps = {}): App {
  return new App({ ...props, outdir: props.outdir ?? tempDir('cdk.out-') });
}

/** Removes every folder made by `tempDir` / `tempApp` so far. */
export function removeTempDirs(): void {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

if (typeof afterAll === 'function') afterAll(removeTempDirs);
