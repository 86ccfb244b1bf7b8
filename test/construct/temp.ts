/**
 * Every test file that imports this writes its temporary files (synthesized assemblies, staged
 * bundled-Node.js layers, scratch folders) below one folder of its own, removed after its tests.
 * Apps get an explicit `outdir` there (helpers.ts); the bundled-layer staging cache is moved
 * there with CDK_TELEMETRY_EXTENSION_STAGING_DIR (jest gives a test file its own copy of
 * process.env, which the library sees but os.tmpdir() does not: TMPDIR would not do).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const STAGING = 'CDK_TELEMETRY_EXTENSION_STAGING_DIR';
const previous = process.env[STAGING];
export const TEMP_ROOT = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-telemetry-extension-test-'));
process.env[STAGING] = path.join(TEMP_ROOT, 'staged-layers');
fs.mkdirSync(process.env[STAGING]);

afterAll(() => {
  if (previous === undefined) delete process.env[STAGING];
  else process.env[STAGING] = previous;
  fs.rmSync(TEMP_ROOT, { recursive: true, force: true });
});

/** A fresh folder below this file's temporary root. */
export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(TEMP_ROOT, prefix));
}
