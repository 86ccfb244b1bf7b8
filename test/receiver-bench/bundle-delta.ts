/**
 * What the OTLP receiver adds to the extension bundle (until main.ts wires it in): the bundle is
 * built twice with the options of projenrc/bundle-extension.ts, once from extension-src/index.ts
 * and once from an entry that also pulls in everything of extension-src/receiver/.
 *
 *   npx tsx test/receiver-bench/bundle-delta.ts
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import * as esbuild from 'esbuild';

const ROOT = path.resolve(__dirname, '..', '..');

async function bundle(entry: string, outfile: string): Promise<Buffer> {
  await esbuild.build({
    stdin: { contents: entry, resolveDir: ROOT, loader: 'ts' },
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node18',
    format: 'cjs',
    minify: true,
    legalComments: 'external',
    absWorkingDir: ROOT,
    logLevel: 'warning',
    mainFields: ['module', 'main'],
    alias: {
      'iconv-lite': './extension-src/shims/iconv-lite.cjs',
      'mime-db': './extension-src/shims/mime-db.cjs',
      'debug': './extension-src/shims/debug.cjs',
      'depd': './extension-src/shims/depd.cjs',
      'cookies': './extension-src/shims/cookies.cjs',
      'destroy': './extension-src/shims/destroy.cjs',
    },
    define: { 'process.env.NODE_ENV': '"production"', '__TELEMETRY_EXTENSION_VERSION__': '"0.0.0"' },
  });
  return fs.readFileSync(outfile);
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'receiver-bundle-'));
  try {
    const base = await bundle("import './extension-src/index';", path.join(dir, 'base.cjs'));
    const withReceiver = await bundle(
      "import './extension-src/index';\nexport * from './extension-src/receiver';",
      path.join(dir, 'with-receiver.cjs'),
    );
    const gz = (b: Buffer) => zlib.gzipSync(b, { level: 9 }).length;
    console.log(`bundle without receiver: ${kib(base.length)} (gzip ${kib(gz(base))})`);
    console.log(`bundle with receiver:    ${kib(withReceiver.length)} (gzip ${kib(gz(withReceiver))})`);
    console.log(`delta:                   +${kib(withReceiver.length - base.length)} (gzip +${kib(gz(withReceiver) - gz(base))})`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
