/**
 * Bundle entry point (esbuild → lib/layer/telemetry-extension/index.cjs). Runs the extension
 * and exits with its status (open sockets, e.g. an export still in flight, must not keep the
 * process alive past SHUTDOWN). The run is wired in ./main.ts, the work lives in ./lifecycle/.
 */
import { log } from './log';
import { run } from './main';

run(process.env).then(
  (code) => process.exit(code),
  (error: unknown) => {
    log.error('unexpected error, exiting', { error: error instanceof Error ? error.message : String(error) });
    process.exit(1);
  },
);
