import { bundleExtension } from '../../projenrc/bundle-extension';
import { ensureCompiled } from '../support/compiled';

/**
 * Jest global setup, once before any test worker starts: build the layer folder from the current
 * extension sources, and compile the library with jsii when its output is missing or stale (the
 * npm-package and Python-wheel tests read it).
 */
export default async function globalSetup(): Promise<void> {
  await bundleExtension();
  ensureCompiled();
}
