import { bundleExtension } from '../../projenrc/bundle-extension';

/** Jest global setup: build the layer folder from the current extension sources. */
export default async function globalSetup(): Promise<void> {
  await bundleExtension();
}
