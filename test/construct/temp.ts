/**
 * Every test file that imports this writes its temporary files (synthesized assemblies, staged
 * bundled-Node.js layers, scratch folders) below one folder of its own, removed after its tests:
 * `TMPDIR` points there while the file runs, so even code that asks `os.tmpdir()` (the CDK's
 * default `outdir`, the bundled-layer staging cache) leaves nothing behind.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const previous = process.env.TMPDIR;
export const TEMP_ROOT = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-telemetry-extension-test-'));
process.env.TMPDIR = TEMP_ROOT;

afterAll(() => {
  if (previous === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = previous;
  fs.rmSync(TEMP_ROOT, { recursive: true, force: true });
});

/** A fresh folder below this file's temporary root. */
export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(TEMP_ROOT, prefix));
}
