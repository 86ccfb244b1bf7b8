/** Any known Telemetry API event as one schema (a union of the per-type schemas), for tests. */
import * as v from 'valibot';
import { EVENT_SCHEMAS } from '../../extension-src/telemetry/schemas';

export const TelemetryEventSchema = v.union(Object.values(EVENT_SCHEMAS));
