import { execFileSync, spawn, spawnSync } from 'child_process';
import { createHash } from 'crypto';
import { once } from 'events';
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { FileSystem } from 'aws-cdk-lib';
import { tempDir } from './temp';
import { bundleExtension } from '../../projenrc/bundle-extension';
import { ensureCompiled } from '../support/compiled';

const ROOT = path.join(__dirname, '..', '..');

function tmpdir(prefix: string): string {
  return tempDir(prefix);
}

function listFiles(dir: string): Array<{ file: string; mode: string; sha: string }> {
  const out: Array<{ file: string; mode: string; sha: string }> = [];
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) {walk(full);} else {
        out.push({
          file: path.relative(dir, full),
          mode: fs.statSync(full).mode.toString(8).slice(-3),
          sha: createHash('sha256').update(fs.readFileSync(full)).digest('hex'),
        });
      }
    }
  };
  walk(dir);
  return out;
}

describe('the layer asset', () => {
  let first: string;
  let second: string;

  beforeAll(async () => {
    first = (await bundleExtension(tmpdir('layer-a-'))).layerDir;
    second = (await bundleExtension(tmpdir('layer-b-'))).layerDir;
  });

  afterAll(() => {
    fs.rmSync(first, { recursive: true, force: true });
    fs.rmSync(second, { recursive: true, force: true });
  });

  test('holds the launcher (executable) and the bundle with an explicit .cjs extension', () => {
    const files = listFiles(first);
    expect(files.map((f) => f.file)).toEqual(
      expect.arrayContaining(['extensions/telemetry-extension', 'telemetry-extension/index.cjs']),
    );
    expect(files.find((f) => f.file === 'extensions/telemetry-extension')!.mode).toBe('755');
    // Lambda starts every regular file in /opt/extensions: the launcher must be the only one.
    expect(fs.readdirSync(path.join(first, 'extensions'))).toEqual(['telemetry-extension']);
  });

  test('two builds of the same source are byte-for-byte identical, so the asset hash is stable', () => {
    expect(listFiles(second)).toEqual(listFiles(first));
    expect(FileSystem.fingerprint(second)).toBe(FileSystem.fingerprint(first));
  });

  test('the bundle holds no absolute paths of the build machine', () => {
    const code = fs.readFileSync(path.join(first, 'telemetry-extension', 'index.cjs'), 'utf8');
    expect(code).not.toContain(ROOT);
    expect(code).not.toContain(os.tmpdir() + path.sep);
  });
});

/** What the launcher passes to Node.js with the default queue (see the launcher). */
const HEAP_FLAGS_DEFAULT = '--expose-gc --max-old-space-size=64 --max-semi-space-size=1';

describe('the launcher', () => {
  let layer: string;
  let bin: string;

  beforeAll(async () => {
    // Unpacked somewhere else entirely, under a "type": "module" package.json, like a user's app.
    const app = tmpdir('esm-app-');
    fs.writeFileSync(path.join(app, 'package.json'), '{"type":"module"}');
    layer = (await bundleExtension(path.join(app, 'opt'))).layerDir;
    bin = tmpdir('bin-');
  });

  function fakeNode(dir: string): void {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'node'), '#!/bin/sh\necho "node=$0 args=$*"\n', { mode: 0o755 });
  }

  function launch(PATH: string, env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync('/bin/sh', [path.join(layer, 'extensions', 'telemetry-extension')], {
      env: { PATH, ...env },
      cwd: os.tmpdir(),
      encoding: 'utf8',
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  test('runs the bundle with node from the PATH, resolved relative to its own location', () => {
    fakeNode(bin);
    const r = launch(`${bin}:/usr/bin:/bin`);
    expect(r.stdout.trim()).toBe(`node=${bin}/node args=${HEAP_FLAGS_DEFAULT} ${layer}/telemetry-extension/index.cjs`);
    expect(r.status).toBe(0);
  });

  test.each([
    [{}, '--expose-gc --max-old-space-size=64 --max-semi-space-size=1'],
    [{ TELEMETRY_EXTENSION_QUEUE_MAX_BYTES: '16777216' }, '--expose-gc --max-old-space-size=112 --max-semi-space-size=1'],
    [{ TELEMETRY_EXTENSION_QUEUE_MAX_BYTES: '1024' }, '--expose-gc --max-old-space-size=48 --max-semi-space-size=1'],
    [{ TELEMETRY_EXTENSION_QUEUE_MAX_BYTES: 'bogus' }, '--expose-gc --max-old-space-size=64 --max-semi-space-size=1'],
  ])('caps the heap from the queue size %p', (env, flags) => {
    fakeNode(bin);
    expect(launch(`${bin}:/usr/bin:/bin`, env).stdout.trim()).toBe(`node=${bin}/node args=${flags} ${layer}/telemetry-extension/index.cjs`);
  });

  test('one malloc arena (MALLOC_ARENA_MAX=1), whatever the environment had', () => {
    const dir = tmpdir('bin-env-');
    fs.writeFileSync(path.join(dir, 'node'), '#!/bin/sh\necho "MALLOC_ARENA_MAX=$MALLOC_ARENA_MAX"\n', { mode: 0o755 });
    expect(launch(`${dir}:/usr/bin:/bin`, { MALLOC_ARENA_MAX: '8' }).stdout.trim()).toBe('MALLOC_ARENA_MAX=1');
  });

  test('prefers a Node.js binary bundled in the layer', () => {
    fakeNode(path.join(layer, 'telemetry-extension', 'bin'));
    try {
      const r = launch(`${bin}:/usr/bin:/bin`);
      expect(r.stdout.trim()).toBe(
        `node=${layer}/telemetry-extension/bin/node args=${HEAP_FLAGS_DEFAULT} ${layer}/telemetry-extension/index.cjs`,
      );
    } finally {
      fs.rmSync(path.join(layer, 'telemetry-extension', 'bin'), { recursive: true, force: true });
    }
  });

  test('with no Node.js at all, reports init/error through the Extensions API and exits 1', async () => {
    if (fs.existsSync('/var/lang/bin/node')) return; // a real Lambda Node.js image; not this machine
    // GIVEN a minimal Extensions API that records what it is sent
    const calls: Array<{ path: string; headers: http.IncomingHttpHeaders; body: string }> = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        calls.push({ path: req.url!, headers: req.headers, body });
        if (req.url!.endsWith('/register')) {
          res.writeHead(200, { 'Lambda-Extension-Identifier': 'ext-id-1', 'Content-Type': 'application/json' });
          res.end('{"functionName":"f","functionVersion":"$LATEST","handler":"h"}');
        } else {
          res.writeHead(202).end('{"status":"OK"}');
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    // WHEN the launcher runs with an empty PATH
    const child = spawn('/bin/sh', [path.join(layer, 'extensions', 'telemetry-extension')], {
      env: { PATH: tmpdir('nothing-'), AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${port}` },
    });
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += c));
    const [code] = await once(child, 'exit');
    server.close();
    // THEN
    expect(code).toBe(1);
    expect(stderr).toContain('no Node.js: the layer bundles none and the function runtime has none');
    expect(calls.map((c) => c.path)).toEqual(['/2020-01-01/extension/register', '/2020-01-01/extension/init/error']);
    expect(calls[0].headers['lambda-extension-name']).toBe('telemetry-extension');
    expect(calls[1].headers['lambda-extension-identifier']).toBe('ext-id-1');
    expect(calls[1].headers['lambda-extension-function-error-type']).toBe('Extension.NoNodeJs');
    expect(JSON.parse(calls[1].body)).toEqual({
      errorType: 'Extension.NoNodeJs',
      errorMessage:
        'no Node.js: the layer bundles none and the function runtime has none; attach the layer with NodeJsSource.bundled()',
    });
  });

  test('the real bundle loads as CommonJS under a "type": "module" package.json', () => {
    const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(path.join(layer, 'telemetry-extension', 'index.cjs'))})`], {
      env: { PATH: process.env.PATH, AWS_LAMBDA_RUNTIME_API: '' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(r.stderr).not.toMatch(/SyntaxError|ERR_REQUIRE_ESM|Cannot use import statement/);
  });
});

describe('the npm package', () => {
  test('contains the layer folder and the compiled library, not the extension sources', () => {
    ensureCompiled();
    const [pack] = JSON.parse(
      execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }),
    );
    const files: string[] = pack.files.map((f: { path: string }) => f.path);
    expect(files).toEqual(
      expect.arrayContaining([
        'lib/index.js',
        'lib/index.d.ts',
        'lib/layer/extensions/telemetry-extension',
        'lib/layer/telemetry-extension/index.cjs',
        '.jsii',
        'API.md',
        'README.md',
        'LICENSE',
      ]),
    );
    expect(files.filter((f) => f.startsWith('extension-src/'))).toEqual([]);
    expect(files.filter((f) => f.startsWith('test/') || f.startsWith('projenrc/') || f.startsWith('.ci/'))).toEqual([]);
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    const launcher = pack.files.find((f: { path: string }) => f.path === 'lib/layer/extensions/telemetry-extension');
    expect(launcher.mode.toString(8).slice(-3)).toBe('755');
  });
});
