/**
 * A PATH that exposes only some commands, for emulating runtimes without Node.js (`node` lives in
 * `/usr/bin` here, so simply dropping a PATH entry is not enough).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Fills `dir` with symlinks to `commands` (as found on the current PATH) and returns `dir`, to be
 * passed as the emulator's `path` option. Commands not found are skipped.
 */
export function restrictedPath(dir: string, commands: readonly string[]): string {
  fs.mkdirSync(dir, { recursive: true });
  const searchPath = (process.env.PATH ?? '').split(':').filter((entry) => entry.length > 0);
  for (const command of commands) {
    const found = searchPath.map((entry) => path.join(entry, command)).find((candidate) => {
      try {
        fs.accessSync(candidate, fs.constants.X_OK);
        return fs.statSync(candidate).isFile();
      } catch {
        return false;
      }
    });
    if (found) fs.symlinkSync(found, path.join(dir, command));
  }
  return dir;
}
