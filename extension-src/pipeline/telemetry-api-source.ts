/**
 * The Telemetry API as an ingest source (./ingest.ts): the extension's own log lines are never
 * forwarded, records below the minimum log level are filtered (./log-level-filter.ts), and
 * `platform.logsDropped` adds what the platform lost to the counters.
 */
import type { IngestSource } from './ingest';
import { logLevelFilter } from './log-level-filter';
import type { LogLevelName } from '../../lib/config/contract';
import { isOwnOutput } from '../log';
import { isKnownEvent, type ParsedEvent } from '../telemetry/schemas';

export interface TelemetryApiSourceOptions {
  /** `function` / `extension` records below it are counted as filtered, not queued. Default: all kept. */
  readonly minLogLevel?: LogLevelName;
}

export function telemetryApiSource(options: TelemetryApiSourceOptions = {}): IngestSource<ParsedEvent> {
  const keep = logLevelFilter(options.minLogLevel);
  return {
    name: 'telemetry-api',
    itemsName: 'telemetry events',
    isOwnOutput: (event) => event.type === 'extension' && isOwnOutput(event.record),
    ...(keep ? { keep } : {}),
    account: (event, counters) => {
      if (isKnownEvent(event) && event.type === 'platform.logsDropped') {
        counters.platformDroppedRecords += event.record.droppedRecords;
        counters.platformDroppedBytes += event.record.droppedBytes;
      }
    },
  };
}

/** Every record kept. */
export const TELEMETRY_API_SOURCE: IngestSource<ParsedEvent> = telemetryApiSource();
