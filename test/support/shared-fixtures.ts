/**
 * The upstream fixtures: real and documented Telemetry / Extensions API payloads, copied into the
 * repository (`test/fixtures/upstream/`, provenance in `test/fixtures/README.md`). Nothing here
 * reads outside the clone.
 */
import * as fs from 'fs';
import * as path from 'path';

/** `test/fixtures` of this repository. */
export const FIXTURES_DIR = path.resolve(__dirname, '..', 'fixtures');

/** `test/fixtures/upstream`: the payloads copied unchanged from the shared fixture set. */
export const UPSTREAM_DIR = path.join(FIXTURES_DIR, 'upstream');

/** A folder under test/fixtures/upstream, e.g. `telemetry` or `extensions-api`; throws clearly when absent. */
export function sharedFixtures(folder: 'telemetry' | 'extensions-api'): string {
  const dir = path.join(UPSTREAM_DIR, folder);
  if (!fs.existsSync(dir)) throw new Error(`fixtures not found at ${dir}: test/fixtures/upstream/${folder} belongs in the repository`);
  return dir;
}
