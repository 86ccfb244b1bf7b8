/**
 * gzip level for the sinks' bodies (issue 12: "pick by CPU per byte saved"): compresses real OTLP
 * log bodies (1000 function log events each, mapped and encoded by the extension's own code, as the
 * OTLP sink sends them) at levels 1 to 6, in process, and prints CPU per body and per event,
 * the bytes kept, and CPU per KiB saved.
 *
 *   npx tsx test/bench/gzip-levels.ts
 *
 * CPU is this process's `process.cpuUsage()` (gzipSync: the compression runs on this thread).
 */
import * as zlib from 'node:zlib';
import { ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { functionLogBatches } from './batches';
import { OtlpConverter } from '../../extension-src/otlp/converter';
import { parseBatch } from '../../extension-src/telemetry/parse-batch';

export interface GzipLevelRow {
  readonly level: number;
  readonly usPerBody: number;
  readonly usPerEvent: number;
  readonly bytesPerBody: number;
  readonly percentKept: number;
  /** CPU us per KiB the level removes from the raw body. */
  readonly usPerKiBSaved: number;
}

export function measureGzipLevels(bodies: readonly Uint8Array[], eventsPerBody: number, reps = 5): GzipLevelRow[] {
  const raw = bodies.reduce((s, b) => s + b.byteLength, 0) / bodies.length;
  const rows: GzipLevelRow[] = [];
  for (const level of [1, 2, 3, 4, 5, 6]) {
    for (const b of bodies) zlib.gzipSync(b, { level }); // warm-up
    const start = process.cpuUsage();
    let out = 0;
    for (let r = 0; r < reps; r++) for (const b of bodies) out += zlib.gzipSync(b, { level }).byteLength;
    const used = process.cpuUsage(start);
    const usPerBody = (used.user + used.system) / (reps * bodies.length);
    const bytesPerBody = out / (reps * bodies.length);
    rows.push({
      level,
      usPerBody,
      usPerEvent: usPerBody / eventsPerBody,
      bytesPerBody,
      percentKept: (100 * bytesPerBody) / raw,
      usPerKiBSaved: usPerBody / ((raw - bytesPerBody) / 1024),
    });
  }
  return rows;
}

/** OTLP log bodies of `count` deliveries of 1000 function log events, as the sink encodes them. */
export function otlpLogBodies(count: number): Uint8Array[] {
  const resource = resourceFromAttributes({ 'service.name': 'bench-function', 'cloud.provider': 'aws', 'faas.name': 'bench-function' });
  const converter = new OtlpConverter({ resource, scope: { name: 'telemetry-extension', version: '0.0.0' }, spanName: 'bench-function' });
  return functionLogBatches(count).map((b) => {
    const { events } = parseBatch(JSON.parse(b.toString('utf8')), Date.now());
    return ProtobufLogsSerializer.serializeRequest(converter.convert(events).logs)!;
  });
}

if (require.main === module) {
  const bodies = otlpLogBodies(10);
  const raw = bodies.reduce((s, b) => s + b.byteLength, 0) / bodies.length;
  console.log(`OTLP log bodies of 1000 function log events, ${(raw / 1024).toFixed(1)} KiB raw; node ${process.version}`);
  console.log('| level | CPU us / body | us / event | KiB / body | % kept | CPU us / KiB saved |');
  console.log('|---:|---:|---:|---:|---:|---:|');
  for (const r of measureGzipLevels(bodies, 1000)) {
    console.log(`| ${r.level} | ${r.usPerBody.toFixed(0)} | ${r.usPerEvent.toFixed(3)} | ${(r.bytesPerBody / 1024).toFixed(1)} | ${r.percentKept.toFixed(1)} | ${r.usPerKiBSaved.toFixed(2)} |`);
  }
}
