/**
 * The demo's waterfall, on spans as the demo's receiver gets them: a joined invocation made by the
 * converter from platform events and the real OpenTelemetry JS SDK's spans, encoded (the platform
 * side by otlp-transformer, the function's side by the receiver's encodeRequest) and decoded with
 * the official OTLP schema.
 */
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { invocationTrace, renderWaterfall } from './waterfall';
import { OtlpConverter, type OtlpBatch } from '../../extension-src/otlp/converter';
import { encodeRequest } from '../../extension-src/receiver';
import { FunctionSdk } from '../otlp/function-sdk';
import { parse, raw, REQ1, REQ2, T0 } from '../sinks/events';
import { decodeProtobuf, flattenSpans, type DecodedSpan } from '../support/otlp-proto/decode';

function decoded(batch: OtlpBatch): DecodedSpan[] {
  const platform = flattenSpans(decodeProtobuf('traces', ProtobufTraceSerializer.serializeRequest(batch.spans) as Uint8Array) as never);
  const fn = flattenSpans(decodeProtobuf('traces', encodeRequest('traces', { resourceSpans: batch.forward.traces })) as never);
  return [...fn, ...platform];
}

function converter() {
  return new OtlpConverter({
    resource: resourceFromAttributes({ 'service.name': 'telemetry-example' }),
    scope: { name: 'telemetry-extension', version: 'test' },
    spanName: 'telemetry-example',
  });
}

describe('the waterfall', () => {
  test('a joined cold start: one line per span under its parent, bars on one time axis, sides marked', () => {
    const fn = new FunctionSdk();
    fn.invoke({ requestId: REQ1, startMs: T0 + 200, endMs: T0 + 300 });
    const batch = converter().convert(parse([
      raw.initStart(T0), raw.initRuntimeDone(T0 + 99), raw.initReport(T0 + 100, 100), raw.start(T0 + 100, REQ1), raw.runtimeDone(T0 + 400, REQ1, 300),
    ]), [fn.traces()]);
    const lines = renderWaterfall(invocationTrace(decoded(batch), REQ1), { width: 40 });
    expect(lines.map((l) => l.slice(0, l.indexOf('|')).trimEnd())).toEqual([
      '',
      '[fn] handler',
      '[pl]   telemetry-example',
      '[pl]     init',
      '[pl]     responseLatency',
      '[pl]     responseDuration',
      '[fn]   work',
    ]);
    const bars = lines.map((l) => l.slice(l.indexOf('|') + 1, l.lastIndexOf('|')));
    expect(new Set(bars.map((b) => b.length))).toEqual(new Set([40]));
    // Axis 0..400 ms: init 0-100 ms = columns 0-10, handler 200-300 ms = columns 20-30.
    expect(bars[3]).toBe('░'.repeat(10) + ' '.repeat(30));
    expect(bars[1]).toBe(' '.repeat(20) + '█'.repeat(10) + ' '.repeat(10));
    expect(bars[2]).toBe(' '.repeat(10) + '░'.repeat(30));
    expect(lines[0]).toMatch(/\|0 ms +400 ms\|$/);
    expect(lines[1]).toMatch(/\| 100 ms$/);
  });

  test('platform only (function not instrumented): the invocation span is the root; errors are marked', () => {
    const batch = converter().convert(parse([raw.start(T0, REQ2), raw.runtimeDone(T0 + 50, REQ2, 50, 'error', 'Runtime.ExitError')]));
    const lines = renderWaterfall(invocationTrace(decoded(batch), REQ2));
    expect(lines.slice(1).map((l) => l.slice(0, l.indexOf('|')).trimEnd())).toEqual(['[pl]!telemetry-example', '[pl]   responseLatency', '[pl]   responseDuration']);
  });

  test('no spans, no lines', () => {
    expect(renderWaterfall(invocationTrace([], REQ1))).toEqual([]);
  });
});
