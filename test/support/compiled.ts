/**
 * Some tests look at build outputs (the jsii assembly, lib/*.js, API.md): the npm package and the
 * Python wheel. They compile first when those are missing or older than the sources, so that
 * `npx projen test` works on a fresh clone whatever ran before it.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export const ROOT = path.join(__dirname, '..', '..');

function newestSource(): number {
  const libDir = path.join(ROOT, 'lib');
  return fs
    .readdirSync(libDir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .reduce((newest, f) => Math.max(newest, fs.statSync(path.join(libDir, f)).mtimeMs), 0);
}

/** Runs `projen compile` and `projen post-compile` (API.md) unless the jsii output is current. */
export function ensureCompiled(): void {
  const assembly = path.join(ROOT, '.jsii');
  const current =
    fs.existsSync(assembly) &&
    fs.existsSync(path.join(ROOT, 'lib', 'index.js')) &&
    fs.statSync(assembly).mtimeMs >= newestSource();
  if (current) return;
  const env = { ...process.env, JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: '20' };
  execFileSync('npx', ['projen', 'compile'], { cwd: ROOT, stdio: 'pipe', env });
  execFileSync('npx', ['projen', 'post-compile'], { cwd: ROOT, stdio: 'pipe', env });
}
