/**
 * The Telemetry API as an ingest source (./ingest.ts): the extension's own log lines are never
 * forwarded, and `platform.logsDropped` adds what the platform lost to the counters.
 */
import type { IngestSource } from './ingest';
import { isOwnOutput } from '../log';
import { isKnownEvent, type ParsedEvent } from '../telemetry/schemas';

export const TELEMETRY_API_SOURCE: IngestSource<ParsedEvent> = {
  name: 'telemetry-api',
  itemsName: 'telemetry events',
  isOwnOutput: (event) => event.type === 'extension' && isOwnOutput(event.record),
  account: (event, counters) => {
    if (isKnownEvent(event) && event.type === 'platform.logsDropped') {
      counters.platformDroppedRecords += event.record.droppedRecords;
      counters.platformDroppedBytes += event.record.droppedBytes;
    }
  },
};
