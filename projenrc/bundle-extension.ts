/**
 * Builds the layer folder `lib/layer/` (git-ignored, shipped in the npm package):
 *
 *   extensions/telemetry-extension      the launcher Lambda starts (executable, POSIX sh)
 *   telemetry-extension/index.cjs       the extension, one minified CommonJS file
 *   telemetry-extension/index.cjs.LEGAL.txt  licences of the bundled packages
 *
 * `.cjs` so that no package.json above the unpacked folder (a `"type": "module"` app) changes
 * how Node loads it. The output is byte-for-byte deterministic (no timestamps, no absolute
 * paths), so the layer's asset hash only changes when its source does.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import * as esbuild from 'esbuild';
import { ENV, EXTENSION_NAME, LIMITS } from '../lib/config/contract';

const ROOT = path.resolve(__dirname, '..');
export const DEFAULT_LAYER_DIR = path.join(ROOT, 'lib', 'layer');
const ENTRY = path.join(ROOT, 'extension-src', 'index.ts');

/** The launcher: resolves everything relative to itself, so it runs from /opt and from any folder. */
export const LAUNCHER = `#!/bin/sh
# Started by Lambda from /opt/extensions/. Runs the telemetry extension with the Node.js of the
# layer (when bundled), else the function runtime's. Paths are relative to this file.
set -eu

# Without Node.js there is no HTTP client but bash's /dev/tcp: register, then report init/error
# so that Lambda fails the init with a reason instead of a silent missing extension.
report_init_error() {
  [ -n "\${AWS_LAMBDA_RUNTIME_API:-}" ] && [ -x /bin/bash ] || return 0
  /bin/bash -c '
    api=$AWS_LAMBDA_RUNTIME_API host=\${api%:*} port=\${api##*:}
    request() { # method path headers body -> response headers on stdout
      exec 3<>"/dev/tcp/$host/$port" || return 1
      printf "%s %s HTTP/1.1\\r\\nHost: %s\\r\\n%bContent-Type: application/json\\r\\nContent-Length: %d\\r\\nConnection: close\\r\\n\\r\\n%s" \\
        "$1" "$2" "$api" "$3" "\${#4}" "$4" >&3
      while IFS= read -r line <&3; do printf "%s\\n" "\${line%$'"'"'\\r'"'"'}"; done
      exec 3<&-
    }
    id=$(request POST /2020-01-01/extension/register "Lambda-Extension-Name: ${EXTENSION_NAME}\\r\\n" "{\\"events\\":[\\"SHUTDOWN\\"]}" |
      while IFS= read -r line; do case "\${line,,}" in lambda-extension-identifier:*) echo "\${line#*: }";; esac; done)
    [ -n "$id" ] || exit 0
    body="{\\"errorType\\":\\"Extension.NoNodeJs\\",\\"errorMessage\\":\\"$1\\"}"
    request POST /2020-01-01/extension/init/error \\
      "Lambda-Extension-Identifier: $id\\r\\nLambda-Extension-Function-Error-Type: Extension.NoNodeJs\\r\\n" "$body" >/dev/null
  ' report_init_error "$1" || true
}

# Shell builtins only from here: PATH may be anything, even empty.
case "$0" in */*) here=\${0%/*} ;; *) here=. ;; esac
here=$(CDPATH= cd -- "$here" && pwd)
root=\${here%/*}
bundle="$root/${EXTENSION_NAME}/index.cjs"
if [ -x "$root/${EXTENSION_NAME}/bin/node" ]; then
  node_bin="$root/${EXTENSION_NAME}/bin/node"
elif command -v node >/dev/null 2>&1; then
  node_bin=$(command -v node)
elif [ -x /var/lang/bin/node ]; then
  node_bin=/var/lang/bin/node
else
  message="no Node.js: the layer bundles none and the function runtime has none; attach the layer with NodeJsSource.bundled()"
  echo "[${EXTENSION_NAME}] ERROR $message" >&2
  report_init_error "$message"
  exit 1
fi
# Node.js >= 22.1 keeps a V8 compile cache of the bundle here (written at exit), so a later init
# of this execution environment (after a reset: /tmp survives) compiles less. Older versions ignore it.
: "\${NODE_COMPILE_CACHE:=/tmp/${EXTENSION_NAME}-compile-cache}"
export NODE_COMPILE_CACHE
# V8 sizes its heap to the allocation rate, and in Lambda the idle-time memory reducer never runs
# (the sandbox is frozen between invocations): left alone, a busy extension's RSS drifts from 60 to
# 100 MiB, too much next to a 128 MB function. Small semi-spaces and an old-space cap keep it flat
# (65 MiB over 3,000 invocations in the soak). The cap leaves room for a full queue (parsed events
# take 3 to 5 times their JSON) plus 48 MiB of working set and retry backlog: 64 MiB by default.
queue_bytes=\${${ENV.QUEUE_MAX_BYTES}:-${LIMITS.queueMaxBytes.default}}
case "$queue_bytes" in '' | *[!0-9]*) queue_bytes=${LIMITS.queueMaxBytes.default} ;; esac
heap_mb=$((48 + queue_bytes * 4 / 1048576))
# One malloc arena: the threads that compress (libuv's pool) would otherwise each keep their own.
export MALLOC_ARENA_MAX=1
# --expose-gc: the extension compacts its heap once a burst of exports is over
# (extension-src/delivery/compaction.ts): 78 -> 63 MiB after 100k events in the benchmarks.
exec "$node_bin" --expose-gc --max-old-space-size=$heap_mb --max-semi-space-size=1 "$bundle"
`;

/** The version in package.json (0.0.0 in a source checkout; the release version when published). */
function packageVersion(): string {
  return JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version;
}

export interface BundleResult {
  readonly layerDir: string;
  readonly bundleBytes: number;
  readonly bundleGzipBytes: number;
}

export async function bundleExtension(layerDir: string = DEFAULT_LAYER_DIR): Promise<BundleResult> {
  // Build aside, then swap in only if something changed: parallel builds (jest runs, watch
  // tasks) never see the layer folder missing or half-written.
  const building = `${layerDir}.building-${process.pid}`;
  fs.rmSync(building, { recursive: true, force: true });
  const codeDir = path.join(building, EXTENSION_NAME);
  const extensionsDir = path.join(building, 'extensions');
  fs.mkdirSync(codeDir, { recursive: true });
  fs.mkdirSync(extensionsDir, { recursive: true });

  await esbuild.build({
    entryPoints: [ENTRY],
    outfile: path.join(codeDir, 'index.cjs'),
    bundle: true,
    platform: 'node',
    target: 'node18',
    format: 'cjs',
    minify: true,
    legalComments: 'external',
    sourcemap: false,
    absWorkingDir: ROOT,
    logLevel: 'warning',
    // Prefer the packages' ESM builds: esbuild tree-shakes those, not CommonJS (about 300 KB
    // of OpenTelemetry code becomes about 90 KB).
    mainFields: ['module', 'main'],
    // Small stand-ins for two large data packages the listener never needs, and for four of Koa's
    // dependencies that only cost init time here (about 8 ms of loading; see the files).
    alias: {
      'iconv-lite': './extension-src/shims/iconv-lite.cjs',
      'mime-db': './extension-src/shims/mime-db.cjs',
      'debug': './extension-src/shims/debug.cjs',
      'depd': './extension-src/shims/depd.cjs',
      'cookies': './extension-src/shims/cookies.cjs',
      'destroy': './extension-src/shims/destroy.cjs',
    },
    define: {
      'process.env.NODE_ENV': '"production"',
      '__TELEMETRY_EXTENSION_VERSION__': JSON.stringify(packageVersion()),
    },
  });
  const launcher = path.join(extensionsDir, EXTENSION_NAME);
  fs.writeFileSync(launcher, LAUNCHER, { mode: 0o755 });
  fs.chmodSync(launcher, 0o755);

  if (fs.existsSync(layerDir) && sameContent(building, layerDir)) {
    fs.rmSync(building, { recursive: true, force: true });
  } else {
    const old = `${layerDir}.old-${process.pid}`;
    if (fs.existsSync(layerDir)) fs.renameSync(layerDir, old);
    fs.renameSync(building, layerDir);
    fs.rmSync(old, { recursive: true, force: true });
  }

  const code = fs.readFileSync(path.join(layerDir, EXTENSION_NAME, 'index.cjs'));
  return { layerDir, bundleBytes: code.length, bundleGzipBytes: zlib.gzipSync(code, { level: 9 }).length };
}

/** Same files, bytes and modes. */
function sameContent(a: string, b: string): boolean {
  const list = (dir: string): string[] =>
    fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
  const files = list(a);
  if (JSON.stringify(files) !== JSON.stringify(list(b))) return false;
  return files.every((f) => {
    const sa = fs.statSync(path.join(a, f));
    const sb = fs.statSync(path.join(b, f));
    if (sa.isDirectory() || sb.isDirectory()) return sa.isDirectory() === sb.isDirectory();
    return sa.mode === sb.mode && fs.readFileSync(path.join(a, f)).equals(fs.readFileSync(path.join(b, f)));
  });
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

if (require.main === module) {
  bundleExtension(process.argv[2] ?? DEFAULT_LAYER_DIR).then(
    (r) => {
      console.log(
        `telemetry extension bundled into ${path.relative(ROOT, r.layerDir)}: index.cjs ${kib(r.bundleBytes)} (gzip ${kib(r.bundleGzipBytes)})`,
      );
    },
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
