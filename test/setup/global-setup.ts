import { startTempCheck } from './temp-check';
import { bundleExtension } from '../../projenrc/bundle-extension';
import { ensureCompiled } from '../support/compiled';

/**
 * Jest global setup, once before any test worker starts: build the layer folder from the current
 * extension sources, and compile the library with jsii when its output is missing or stale (the
 * npm-package and Python-wheel tests read it). When the global teardown is configured too, the
 * run gets a temp folder of its own that the teardown checks is empty (./temp-check.ts); without
 * it nobody would remove that folder, so the check is only started with its other half.
 */
export default async function globalSetup(_globalConfig: unknown, projectConfig?: { readonly globalTeardown?: string | null }): Promise<void> {
  await bundleExtension();
  ensureCompiled();
  if (projectConfig?.globalTeardown?.endsWith('global-teardown.ts')) startTempCheck();
}
