/**
 * The function's own OTLP data (../receiver/) as an ingest source (./ingest.ts): one accepted
 * export request is one queue entry holding `items` records, counted in records under the source
 * name `function`; records the receiver refused (partial_success) are counted as invalid.
 *
 * Byte weight: the queue's byte bound is about memory, and its unit is the Telemetry API's JSON
 * bytes (parsed events hold 3-5x their JSON size on the heap, ../queue/bounded-queue.ts). A
 * decoded OTLP request is kept as decoded messages (the receiver decodes it anyway to screen the
 * records and answer `partial_success`, and the sink needs it decoded to merge resources and join
 * traces): it holds 8.8-9.6x its protobuf size on the heap (100 spans with attributes: 10.8 KB
 * protobuf, 104 KB decoded), and 2.6x an OTLP/JSON body (33 KB JSON of the same spans, 86 KB
 * decoded). So a protobuf body weighs {@link PROTOBUF_WEIGHT} x its (uncompressed) size, the heap
 * parity of an event at 4x; an OTLP/JSON body weighs its size (below parity, on the safe side).
 */
import type { Ingest, IngestResult, IngestSource } from './ingest';
import type { FunctionTelemetry } from '../receiver/function-telemetry';
import type { OtlpEncoding } from '../receiver/otlp-types';

export const FUNCTION_SOURCE_NAME = 'function';

/** Queue bytes per protobuf body byte: up to 9.6x on the heap, over the ~4x heap of an event's JSON byte. */
export const PROTOBUF_WEIGHT = 2.4;

export const FUNCTION_SOURCE: IngestSource<FunctionTelemetry> = {
  name: FUNCTION_SOURCE_NAME,
  itemsName: 'function OTLP records',
  records: (item) => item.items,
};

/** Queue bytes of a request body of `bytes` (uncompressed) in `encoding`. */
export function queueWeight(bytes: number, encoding: OtlpEncoding): number {
  return encoding === 'protobuf' ? bytes * PROTOBUF_WEIGHT : bytes;
}

/** The receiver's `accept`: into the queue through `ingest`, whole or not at all. */
export function acceptFunctionTelemetry(ingest: Pick<Ingest<FunctionTelemetry>, 'ingest'>) {
  return (item: FunctionTelemetry, bytes: number, rejected = 0): IngestResult =>
    ingest.ingest(FUNCTION_SOURCE, { items: [item], invalid: [], unknown: 0, uncountedInvalid: rejected, bytes: queueWeight(bytes, item.encoding) });
}

/** Records the receiver refused in a request that had nothing else: counted as invalid. */
export function countRefusedOnly(ingest: Pick<Ingest<FunctionTelemetry>, 'ingest'>) {
  return (rejected: number): void => {
    ingest.ingest(FUNCTION_SOURCE, { items: [], invalid: [], unknown: 0, uncountedInvalid: rejected, bytes: 0 });
  };
}
