import * as fc from 'fast-check';
import { buildResource, EXTENSION_VERSION, parseOtelResourceAttributes } from '../../extension-src/sinks/resource';

const lambdaEnv = {
  AWS_REGION: 'eu-central-1',
  AWS_LAMBDA_FUNCTION_NAME: 'orders-api',
  AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
};

describe('buildResource', () => {
  test('Lambda attributes from the environment; memory in bytes; sdk is the extension', () => {
    expect(buildResource({ env: lambdaEnv })).toEqual({
      attributes: {
        'cloud.provider': 'aws',
        'cloud.platform': 'aws_lambda',
        'cloud.region': 'eu-central-1',
        'faas.name': 'orders-api',
        'faas.version': '$LATEST',
        'faas.max_memory': 512 * 1024 * 1024,
        'service.name': 'orders-api',
        'telemetry.sdk.name': 'telemetry-extension',
        'telemetry.sdk.language': 'nodejs',
        'telemetry.sdk.version': EXTENSION_VERSION,
      },
    });
  });

  test('register-response names win over the environment', () => {
    const { attributes } = buildResource({ env: lambdaEnv, functionName: 'fn-from-register', functionVersion: '7' });
    expect(attributes).toMatchObject({ 'faas.name': 'fn-from-register', 'faas.version': '7', 'service.name': 'fn-from-register' });
  });

  test('service.name: configured > OTEL_SERVICE_NAME > OTEL_RESOURCE_ATTRIBUTES > function name', () => {
    const env = { ...lambdaEnv, OTEL_SERVICE_NAME: 'from-otel-service-name', OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-attrs' };
    expect(buildResource({ env, serviceName: 'configured' }).attributes['service.name']).toBe('configured');
    expect(buildResource({ env }).attributes['service.name']).toBe('from-otel-service-name');
    expect(buildResource({ env: { ...lambdaEnv, OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-attrs' } }).attributes['service.name']).toBe('from-attrs');
  });

  test('OTEL_RESOURCE_ATTRIBUTES adds and overrides detected attributes, never telemetry.sdk.*', () => {
    const env = { ...lambdaEnv, OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=prod,cloud.region=custom,team=a%2Cb%3Dc,telemetry.sdk.name=x' };
    const { attributes, warning } = buildResource({ env });
    expect(warning).toBeUndefined();
    expect(attributes).toMatchObject({
      'deployment.environment.name': 'prod',
      'cloud.region': 'custom',
      'team': 'a,b=c',
      'telemetry.sdk.name': 'telemetry-extension',
    });
  });

  test('a malformed OTEL_RESOURCE_ATTRIBUTES is ignored as a whole, with a warning', () => {
    const { attributes, warning } = buildResource({ env: { ...lambdaEnv, OTEL_RESOURCE_ATTRIBUTES: 'good=1,bad' } });
    expect(attributes.good).toBeUndefined();
    expect(warning).toBe('OTEL_RESOURCE_ATTRIBUTES ignored: entry "bad" is not key=value (percent-encode \',\' and \'=\')');
  });

  test('missing environment: no region/memory, a fallback service name', () => {
    const { attributes } = buildResource({ env: { AWS_LAMBDA_FUNCTION_MEMORY_SIZE: 'lots' } });
    expect(attributes['cloud.region']).toBeUndefined();
    expect(attributes['faas.max_memory']).toBeUndefined();
    expect(attributes['service.name']).toBe('unknown_service:telemetry-extension');
  });
});

describe('parseOtelResourceAttributes', () => {
  test.each([
    ['', {}],
    ['a=1', { a: '1' }],
    [' a = 1 , b=2,, ', { a: '1', b: '2' }],
    ['k%20ey=v%C3%A4lue', { 'k ey': 'välue' }],
    ['empty=', { empty: '' }],
  ])('%j', (raw, expected) => {
    expect(parseOtelResourceAttributes(raw)).toEqual({ ok: true, attributes: expected });
  });

  test('__proto__ is never assigned', () => {
    const parsed = parseOtelResourceAttributes('__proto__=x,a=1');
    expect(parsed).toEqual({ ok: true, attributes: { a: '1' } });
    expect(Object.getPrototypeOf(parsed.ok && parsed.attributes)).toBe(Object.prototype);
  });

  test.each(['a=1=2', 'novalue', '=v', 'bad=%E0%A4%A'])('%j is refused', (raw) => {
    expect(parseOtelResourceAttributes(raw).ok).toBe(false);
  });

  test('property: percent-encoded pairs round-trip', () => {
    fc.assert(fc.property(
      fc.dictionary(fc.string({ minLength: 1 }).filter((k) => k.trim() === k && k !== '' && k !== '__proto__'), fc.string().filter((v) => v.trim() === v)),
      (attrs) => {
        const raw = Object.entries(attrs).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join(',');
        const parsed = parseOtelResourceAttributes(raw);
        expect(parsed).toEqual({ ok: true, attributes: { ...attrs } });
      },
    ));
  });
});
