/**
 * Bundle entry point (esbuild → lib/layer/telemetry-extension/index.cjs). Does nothing but run
 * the extension and exit with its status; all the work lives in ./main.ts.
 */
import { run } from './main';

void run(process.env).then((code) => {
  process.exitCode = code;
});
