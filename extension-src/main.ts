/**
 * The extension's lifecycle. Placeholder until the runtime core is wired (see the report of the
 * runtime-core helper): it only says so and exits with an error status.
 */
import { log } from './log';

export async function run(_env: NodeJS.ProcessEnv): Promise<number> {
  log.error('telemetry extension runtime not wired yet');
  return 1;
}
