/**
 * mergeResource, and the round trip the export side will make: decoded function data, resource
 * merged, encoded again with encodeRequest, then decoded by the tests' independent decoder (the
 * official .proto files loaded by protobufjs) into the same spans the SDK made.
 */
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { decodeRequest, encodeRequest, mergeResource, type Resource } from '../../extension-src/receiver';
import { decodeProtobuf, flattenSpans } from '../support/otlp-proto/decode';

const EXTENSION_RESOURCE = {
  'service.name': 'the-extension',
  'telemetry.sdk.name': 'telemetry-extension',
  'cloud.provider': 'aws',
  'cloud.platform': 'aws_lambda',
  'cloud.region': 'eu-central-1',
  'faas.name': 'checkout-fn',
  'faas.version': '$LATEST',
  'faas.max_memory': 134217728,
};

describe('mergeResource', () => {
  it("keeps every attribute of the function's resource and fills only missing cloud.* / faas.* ones", () => {
    const own: Resource = {
      attributes: [
        { key: 'service.name', value: { stringValue: 'checkout' } },
        { key: 'cloud.region', value: { stringValue: 'us-east-1' } },
        { key: 'faas.name', value: { stringValue: 'set-by-function' } },
      ],
      droppedAttributesCount: 2,
    };
    const merged = mergeResource(own, EXTENSION_RESOURCE);
    expect(merged.attributes).toEqual([
      { key: 'service.name', value: { stringValue: 'checkout' } },
      { key: 'cloud.region', value: { stringValue: 'us-east-1' } },
      { key: 'faas.name', value: { stringValue: 'set-by-function' } },
      { key: 'cloud.provider', value: { stringValue: 'aws' } },
      { key: 'cloud.platform', value: { stringValue: 'aws_lambda' } },
      { key: 'faas.version', value: { stringValue: '$LATEST' } },
      { key: 'faas.max_memory', value: { intValue: 134217728 } },
    ]);
    expect(merged.droppedAttributesCount).toBe(2);
    expect(own.attributes).toHaveLength(3); // the input is not changed
  });

  it('a function without a resource gets the cloud.* / faas.* attributes only', () => {
    expect(mergeResource(undefined, EXTENSION_RESOURCE).attributes.map((a) => a.key)).toEqual([
      'cloud.provider', 'cloud.platform', 'cloud.region', 'faas.name', 'faas.version', 'faas.max_memory',
    ]);
  });

  it('works on a decoded message and encodes back losslessly', async () => {
    const memory = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'checkout', 'faas.name': 'own-name' }),
      spanProcessors: [new SimpleSpanProcessor(memory)],
    });
    provider.getTracer('s').startActiveSpan('op', { attributes: { n: 7 } }, (span) => span.end());
    await provider.forceFlush();
    const body = ProtobufTraceSerializer.serializeRequest(memory.getFinishedSpans())!;
    await provider.shutdown();

    const request = decodeRequest('traces', 'protobuf', body);
    for (const resourceSpans of request.resourceSpans) resourceSpans.resource = mergeResource(resourceSpans.resource, EXTENSION_RESOURCE);
    const again = flattenSpans(decodeProtobuf('traces', encodeRequest('traces', request)));
    const original = flattenSpans(decodeProtobuf('traces', body));

    expect(again).toHaveLength(1);
    expect(again[0].resource).toEqual({ ...original[0].resource, 'cloud.provider': 'aws', 'cloud.platform': 'aws_lambda', 'cloud.region': 'eu-central-1', 'faas.version': '$LATEST', 'faas.max_memory': 134217728 });
    expect(again[0].resource['faas.name']).toBe('own-name');
    expect(again[0].resource['service.name']).toBe('checkout');
    const { resource: _r1, ...spanAgain } = again[0];
    const { resource: _r2, ...spanOriginal } = original[0];
    expect(spanAgain).toEqual(spanOriginal);
  });

  it('a decoded resource without attributes gets the filled ones; the decoded message is not changed', () => {
    const request = decodeRequest('logs', 'protobuf', Buffer.from([0x0a, 0x02, 0x0a, 0x00])); // resourceLogs[0].resource = {}
    const resource = request.resourceLogs[0].resource!;
    expect(mergeResource(resource, EXTENSION_RESOURCE).attributes).toHaveLength(6);
    expect(resource.attributes).toHaveLength(0);
  });
});
