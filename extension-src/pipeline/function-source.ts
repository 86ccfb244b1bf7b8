/**
 * The function's own OTLP data (../receiver/) as an ingest source (./ingest.ts): one accepted
 * export request is one queue entry holding `items` records, counted in records under the source
 * name `function`; records the receiver refused (partial_success) are counted as invalid.
 *
 * Byte weight: the queue's byte bound is about memory, and its unit is the Telemetry API's JSON
 * bytes (parsed events hold 3-5x their JSON size on the heap, ../queue/bounded-queue.ts). A
 * decoded OTLP request is kept as decoded messages (the receiver decodes it anyway to screen the
 * records and answer `partial_success`, and the sink needs it decoded to merge resources and join
 * traces): it holds about 8.8x its protobuf size on the heap (test/receiver-bench/README.md), so
 * a protobuf body weighs {@link PROTOBUF_WEIGHT} x its (uncompressed) size, the heap parity of an
 * event; an OTLP/JSON body is already JSON and weighs its size.
 */
import type { Ingest, IngestResult, IngestSource } from './ingest';
import type { FunctionTelemetry } from '../receiver/function-telemetry';
import type { OtlpEncoding } from '../receiver/otlp-types';

export const FUNCTION_SOURCE_NAME = 'function';

/** Queue bytes per protobuf body byte: 8.8x on the heap, over the ~4x heap of a JSON byte. */
export const PROTOBUF_WEIGHT = 2.2;

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
