import { countOutcome } from '../../extension-src/pipeline/export-loop';
import type { Sink } from '../../extension-src/sinks/sink';
import type { Counters } from '../../extension-src/stats/counters';

/**
 * `sink`, with every outcome of `export` and `shutdown` added to `counters` by the export loop's
 * own rule ({@link countOutcome}), for tests that call a sink directly and check the counters.
 */
export function counted<S extends Sink>(sink: S, counters: Counters): S {
  const exportEvents = sink.export.bind(sink);
  const shutdown = sink.shutdown.bind(sink);
  sink.export = async (events, deadline) => {
    const outcome = await exportEvents(events, deadline);
    countOutcome(counters, outcome);
    return outcome;
  };
  sink.shutdown = async (deadline) => {
    const outcome = await shutdown(deadline);
    countOutcome(counters, outcome);
    return outcome;
  };
  return sink;
}
