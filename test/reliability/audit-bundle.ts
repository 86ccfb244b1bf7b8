/**
 * `npm audit` for exactly what the layer ships. The extension's dependencies are devDependencies
 * of the package (esbuild bundles them into one file), so `npm audit --omit=dev` audits nothing
 * and a plain `npm audit` mixes in every build and test tool. This script builds the layer the way
 * projenrc/bundle-extension.ts does, with esbuild's metafile on, lists the packages whose files
 * went into the bundle, runs `npm audit --json` over the whole tree and keeps only the
 * advisories of those packages.
 *
 *   npx tsx test/reliability/audit-bundle.ts          # exit 0: none; 1: advisories; 2: audit could not run
 *   npx tsx test/reliability/audit-bundle.ts --list   # only build and print {layerDir, packages} as JSON (kept)
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Metafile } from 'esbuild';

const ROOT = path.resolve(__dirname, '..', '..');

export interface BundledPackage {
  /** e.g. `node_modules/@opentelemetry/core`, as in `npm audit`'s `nodes`. */
  readonly dir: string;
  readonly name: string;
  readonly version: string;
}

/** The packages whose files esbuild put into the bundle, from its metafile's inputs. */
export function bundledPackages(metafile: Metafile, root: string = ROOT): BundledPackage[] {
  const dirs = new Set<string>();
  for (const input of Object.keys(metafile.inputs)) {
    // esbuild names inputs by their real path: where node_modules is a link to another checkout's
    // (`../../main/node_modules/...`), the part before it is dropped, as npm audit names nodes.
    const relative = input.replace(/\\/g, '/').replace(/^(?:\.\.\/)+.*?(?=node_modules\/)/, '');
    const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(relative);
    if (match) dirs.add(match[1]);
  }
  return [...dirs].sort().map((dir) => {
    const manifest = JSON.parse(fs.readFileSync(path.join(root, dir, 'package.json'), 'utf8')) as { name: string; version: string };
    return { dir, name: manifest.name, version: manifest.version };
  });
}

/** The part of `npm audit --json` (report version 2) used here. */
export interface AuditReport {
  readonly vulnerabilities?: Readonly<Record<string, {
    readonly name: string;
    readonly severity: string;
    readonly nodes: readonly string[];
    /** Advisories of the package itself (objects) or names of vulnerable dependencies (strings). */
    readonly via: ReadonlyArray<string | { readonly title?: string; readonly url?: string; readonly range?: string }>;
  }>>;
}

export interface Finding {
  readonly name: string;
  readonly severity: string;
  readonly nodes: readonly string[];
  readonly advisories: readonly string[];
}

/**
 * Advisories against the code of bundled packages. An entry that is only "vulnerable through a
 * dependency" is kept when that dependency is bundled (it has an entry of its own), not otherwise:
 * esbuild only bundles what is reachable.
 */
export function auditFindings(report: AuditReport, packages: readonly BundledPackage[]): Finding[] {
  const bundled = new Set(packages.map((p) => p.dir));
  const findings: Finding[] = [];
  for (const vulnerability of Object.values(report.vulnerabilities ?? {})) {
    const nodes = vulnerability.nodes.filter((node) => bundled.has(node));
    const advisories = vulnerability.via.filter((via) => typeof via === 'object').map((via) => `${via.title ?? 'advisory'} ${via.url ?? ''}`.trim());
    if (nodes.length > 0 && advisories.length > 0) findings.push({ name: vulnerability.name, severity: vulnerability.severity, nodes, advisories });
  }
  return findings;
}

/**
 * Build the layer into `layerDir` with projenrc/bundle-extension.ts itself, esbuild's metafile
 * switched on (its `build` is wrapped before that module loads), and return the metafile.
 */
export async function buildWithMetafile(layerDir: string): Promise<Metafile> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require('esbuild') as typeof import('esbuild');
  const cached = require.cache[require.resolve('esbuild')];
  if (!cached) throw new Error('esbuild is not in the require cache');
  let metafile: Metafile | undefined;
  const original = cached.exports;
  cached.exports = {
    ...esbuild,
    build: async (options: Parameters<typeof esbuild.build>[0]) => {
      const result = await esbuild.build({ ...options, metafile: true });
      metafile = result.metafile;
      return result;
    },
  };
  try {
    const bundlePath = require.resolve('../../projenrc/bundle-extension');
    delete require.cache[bundlePath];
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { bundleExtension } = require(bundlePath) as typeof import('../../projenrc/bundle-extension');
    await bundleExtension(layerDir);
    delete require.cache[bundlePath];
  } finally {
    cached.exports = original;
  }
  if (!metafile) throw new Error('bundleExtension did not call esbuild.build');
  return metafile;
}

/** `npm audit --json` of the repository; undefined (with the reason printed) when it cannot run. */
function npmAudit(): AuditReport | undefined {
  const run = spawnSync('npm', ['audit', '--json'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  let report: AuditReport & { error?: unknown; message?: string };
  try {
    report = JSON.parse(run.stdout) as AuditReport & { error?: unknown; message?: string };
  } catch {
    console.error(`npm audit did not answer JSON (exit ${run.status}): ${run.stderr.trim().slice(0, 500)}`);
    return undefined;
  }
  if (report.error !== undefined || report.vulnerabilities === undefined) {
    console.error(`npm audit failed: ${report.message ?? JSON.stringify(report.error).slice(0, 500)}`);
    return undefined;
  }
  return report;
}

async function main(): Promise<number> {
  const layerDir = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-layer-'));
  if (process.argv.includes('--list')) {
    const packages = bundledPackages(await buildWithMetafile(layerDir));
    console.log(JSON.stringify({ layerDir, packages }));
    return 0;
  }
  try {
    const packages = bundledPackages(await buildWithMetafile(layerDir));
    console.log(`bundled packages (${packages.length}): ${packages.map((p) => `${p.name}@${p.version}`).join(', ')}`);
    const report = npmAudit();
    if (!report) return 2;
    const findings = auditFindings(report, packages);
    for (const f of findings) console.log(`${f.severity.toUpperCase()} ${f.name} (${f.nodes.join(', ')}): ${f.advisories.join('; ')}`);
    console.log(findings.length === 0 ? 'no known vulnerabilities in the bundled packages' : `${findings.length} bundled package(s) with known vulnerabilities`);
    return findings.length === 0 ? 0 : 1;
  } finally {
    fs.rmSync(layerDir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().then((code) => process.exit(code), (error: unknown) => {
    console.error(error);
    process.exit(2);
  });
}
