/**
 * The dependency audit of the layer (CI: `npx tsx test/reliability/audit-bundle.ts`): it must
 * audit exactly the packages in the shipped bundle, and keep only their advisories. Running
 * `npm audit` itself needs the registry's audit endpoint, so it is CI's step, not this test's.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { auditFindings, type AuditReport, type BundledPackage } from './audit-bundle';
import { LAYER_DIR } from './support/bundle-emulator';
import { EXTENSION_NAME } from '../../lib/config/contract';

const ROOT = path.resolve(__dirname, '..', '..');

describe('audit-bundle', () => {
  let listed: { layerDir: string; packages: BundledPackage[] };

  beforeAll(() => {
    const run = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), path.join(__dirname, 'audit-bundle.ts'), '--list'], {
      cwd: ROOT, encoding: 'utf8',
    });
    if (run.status !== 0) throw new Error(`audit-bundle --list failed: ${run.stderr}`);
    listed = JSON.parse(run.stdout.trim().split('\n').at(-1) as string);
  });

  afterAll(() => {
    if (listed) fs.rmSync(listed.layerDir, { recursive: true, force: true });
  });

  test('audits the bundle that ships: built by bundle-extension.ts, byte for byte the layer\'s', () => {
    const built = fs.readFileSync(path.join(listed.layerDir, EXTENSION_NAME, 'index.cjs'));
    expect(built.equals(fs.readFileSync(path.join(LAYER_DIR, EXTENSION_NAME, 'index.cjs')))).toBe(true);
  });

  test('lists the runtime packages in the bundle, and none of the build or test tools', () => {
    const names = listed.packages.map((p) => p.name);
    expect(names).toEqual(expect.arrayContaining(['koa', '@koa/router', 'raw-body', 'valibot', 'aws4', '@opentelemetry/otlp-transformer', '@opentelemetry/core']));
    for (const tool of ['esbuild', 'jest', 'typescript', 'aws-cdk-lib', 'constructs', 'fast-check', 'iconv-lite', 'mime-db']) expect(names).not.toContain(tool);
    for (const p of listed.packages) {
      expect(p.dir).toMatch(/^node_modules\//);
      expect(p.version).toMatch(/^\d+\.\d+\.\d+/);
    }
  });

  test('keeps the advisories of bundled packages only', () => {
    const packages: BundledPackage[] = [
      { dir: 'node_modules/koa', name: 'koa', version: '3.0.0' },
      { dir: 'node_modules/@koa/router', name: '@koa/router', version: '15.0.0' },
      { dir: 'node_modules/path-to-regexp', name: 'path-to-regexp', version: '8.0.0' },
    ];
    const report: AuditReport = {
      vulnerabilities: {
        'koa': { name: 'koa', severity: 'high', nodes: ['node_modules/koa'], via: [{ title: 'Open redirect', url: 'https://github.com/advisories/GHSA-1' }] },
        'jest': { name: 'jest', severity: 'critical', nodes: ['node_modules/jest'], via: [{ title: 'dev only' }] },
        '@koa/router': { name: '@koa/router', severity: 'high', nodes: ['node_modules/@koa/router'], via: ['path-to-regexp'] },
        'path-to-regexp': { name: 'path-to-regexp', severity: 'high', nodes: ['node_modules/path-to-regexp', 'node_modules/express/node_modules/path-to-regexp'], via: [{ title: 'ReDoS' }] },
        'ws': { name: 'ws', severity: 'moderate', nodes: ['node_modules/jsdom/node_modules/ws'], via: [{ title: 'DoS' }] },
      },
    };

    expect(auditFindings(report, packages)).toEqual([
      { name: 'koa', severity: 'high', nodes: ['node_modules/koa'], advisories: ['Open redirect https://github.com/advisories/GHSA-1'] },
      { name: 'path-to-regexp', severity: 'high', nodes: ['node_modules/path-to-regexp'], advisories: ['ReDoS'] },
    ]);
    expect(auditFindings({ vulnerabilities: {} }, packages)).toEqual([]);
  });
});
