/**
 * Where the shared fixtures are: `shared/` beside the repository (as in CI, which clones the
 * repository with `shared/` next to it), or `TELEMETRY_SHARED_DIR` when set.
 */
import * as fs from 'fs';
import * as path from 'path';

export const SHARED_DIR = process.env.TELEMETRY_SHARED_DIR ?? path.resolve(__dirname, '..', '..', '..', 'shared');

/** A folder under shared/fixtures, e.g. `telemetry` or `extensions-api`; throws clearly when absent. */
export function sharedFixtures(folder: 'telemetry' | 'extensions-api'): string {
  const dir = path.join(SHARED_DIR, 'fixtures', folder);
  if (!fs.existsSync(dir)) {
    throw new Error(`shared fixtures not found at ${dir}: clone the repository next to shared/ or set TELEMETRY_SHARED_DIR`);
  }
  return dir;
}
