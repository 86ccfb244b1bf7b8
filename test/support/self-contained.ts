/**
 * Finds references from test code to files outside the repository: the shared folder beside the
 * clone, absolute paths into the machine that ran the tests before, the home directory, and
 * `__dirname` paths that climb above the repository root. Used by
 * test/setup/self-contained.test.ts; pure (`findOutsideReferences`) so it can be tested itself.
 */
import * as fs from 'fs';
import * as path from 'path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** One reference to something outside the repository. */
export interface OutsideReference {
  /** Path relative to the repository root. */
  readonly file: string;
  /** 1-based line number. */
  readonly line: number;
  readonly text: string;
  readonly reason: string;
}

// Built from pieces so that this file does not report itself.
const SHARED = 'sha' + 'red';
const LITERALS: ReadonlyArray<{ readonly pattern: RegExp; readonly reason: string }> = [
  { pattern: new RegExp(`\\.\\./${SHARED}\\b`), reason: `the ${SHARED}/ folder beside the clone` },
  { pattern: new RegExp(`['"\`/]${SHARED}/fixtures\\b`), reason: `the ${SHARED}/fixtures folder outside the clone (copy into test/fixtures/)` },
  { pattern: new RegExp('[\'"`]/(work|home|root|Users)/'), reason: 'an absolute path on some machine' },
  { pattern: new RegExp(`TELEMETRY_${SHARED.toUpperCase()}_DIR`), reason: 'a folder outside the clone chosen by environment' },
  { pattern: /\bos\.homedir\(|\bhomedir\(\)|['"`]~\//, reason: 'the home directory' },
  { pattern: new RegExp(`['"\`]/t${'mp'}/`), reason: 'a fixed path in the temp folder (use test/support/temp.ts)' },
];

/** `path.join(__dirname, '..', '..')` / `path.resolve(__dirname, '../..')` / `${__dirname}/../..` */
const DIRNAME_CALL = /(?:join|resolve)\(\s*__dirname\s*((?:,\s*(?:'[^']*'|"[^"]*"))*)/g;
const DIRNAME_TEMPLATE = /\$\{__dirname\}((?:\/[^/`'"$\s]+)*)/g;

function climbs(segments: string[]): number {
  // The highest level above the start directory that the path reaches.
  let depth = 0;
  let highest = 0;
  for (const segment of segments) {
    if (segment === '..') highest = Math.max(highest, ++depth);
    else if (segment !== '.' && segment !== '') depth--;
  }
  return highest;
}

/**
 * References to outside the repository in one file's text. `file` is relative to the
 * repository root (its folder depth bounds how far `__dirname` may climb).
 */
export function findOutsideReferences(file: string, text: string): OutsideReference[] {
  const found: OutsideReference[] = [];
  const depth = path.posix.dirname(file.split(path.sep).join('/')).split('/').filter((s) => s !== '.' && s !== '').length;
  text.split('\n').forEach((lineText, i) => {
    const at = (reason: string) => found.push({ file, line: i + 1, text: lineText.trim(), reason });
    for (const { pattern, reason } of LITERALS) if (pattern.test(lineText)) at(reason);
    for (const m of lineText.matchAll(DIRNAME_CALL)) {
      const args = [...m[1].matchAll(/'([^']*)'|"([^"]*)"/g)].flatMap((a) => (a[1] ?? a[2]).split('/'));
      if (climbs(args) > depth) at(`__dirname climbs ${climbs(args)} levels from a folder ${depth} below the repository root`);
    }
    for (const m of lineText.matchAll(DIRNAME_TEMPLATE)) {
      const segments = m[1].split('/');
      if (climbs(segments) > depth) at(`__dirname climbs ${climbs(segments)} levels from a folder ${depth} below the repository root`);
    }
  });
  return found;
}

const SCANNED = /\.(ts|tsx|js|cjs|mjs|py|sh)$/;

/** Every test and support source file under `dir` (relative to the repository root). */
export function testSources(dir = 'test'): string[] {
  return fs
    .readdirSync(path.join(REPO_ROOT, dir), { recursive: true, encoding: 'utf8' })
    .map((f) => path.join(dir, f))
    .filter((f) => SCANNED.test(f) && !f.split(path.sep).includes('node_modules') && fs.statSync(path.join(REPO_ROOT, f)).isFile());
}

/** Scans every test source of the repository. */
export function scanTests(dir = 'test'): OutsideReference[] {
  return testSources(dir).flatMap((f) => findOutsideReferences(f, fs.readFileSync(path.join(REPO_ROOT, f), 'utf8')));
}
