import * as fs from 'fs';
import * as path from 'path';
import { EXTENSION_NAME } from './config/contract';

/**
 * The built layer folder: `extensions/telemetry-extension` (the launcher Lambda starts) and
 * `telemetry-extension/` (the bundled extension). Built by `projen pre-compile`, shipped in the
 * npm package, never committed.
 */
export const LAYER_ASSET_DIR = path.join(__dirname, 'layer');

/** Throws a clear error when the layer folder has not been built (a source checkout before `projen build`). */
export function assertLayerBuilt(): string {
  const launcher = path.join(LAYER_ASSET_DIR, 'extensions', EXTENSION_NAME);
  if (!fs.existsSync(launcher)) {
    throw new Error(
      `The telemetry extension layer is not built: ${launcher} is missing. In a source checkout run "npx projen build" (or "npx projen pre-compile") first.`,
    );
  }
  return LAYER_ASSET_DIR;
}
