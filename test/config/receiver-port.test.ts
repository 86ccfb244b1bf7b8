import { ConfigError, readConfig, RECEIVER_PORT_ENV } from '../../extension-src/config/read-config';

describe('TELEMETRY_EXTENSION_OTLP_RECEIVER_PORT', () => {
  test('unset or blank: no receiver', () => {
    expect(readConfig({}).receiverPort).toBeUndefined();
    expect('receiverPort' in readConfig({ [RECEIVER_PORT_ENV]: '  ' })).toBe(false);
  });

  test('a port: the receiver listens there', () => {
    expect(RECEIVER_PORT_ENV).toBe('TELEMETRY_EXTENSION_OTLP_RECEIVER_PORT');
    expect(readConfig({ [RECEIVER_PORT_ENV]: '4318' }).receiverPort).toBe(4318);
  });

  test.each(['80', '9001', '65536', '43a', '-1'])('the listener port rules: %s is refused, naming the variable and the value', (value) => {
    expect(() => readConfig({ [RECEIVER_PORT_ENV]: value })).toThrow(new ConfigError(
      RECEIVER_PORT_ENV,
      `TELEMETRY_EXTENSION_OTLP_RECEIVER_PORT must be an integer from 1024 to 65535 other than 9001, got ${JSON.stringify(value)}`,
    ));
  });

  test('never the listener port (its default included)', () => {
    expect(() => readConfig({ [RECEIVER_PORT_ENV]: '4243' })).toThrow(
      'TELEMETRY_EXTENSION_OTLP_RECEIVER_PORT must differ from TELEMETRY_EXTENSION_PORT (4243): the OTLP receiver and the Telemetry API listener cannot share a port',
    );
    expect(() => readConfig({ TELEMETRY_EXTENSION_PORT: '5000', [RECEIVER_PORT_ENV]: '5000' })).toThrow(/must differ from TELEMETRY_EXTENSION_PORT \(5000\)/);
    expect(readConfig({ TELEMETRY_EXTENSION_PORT: '5000', [RECEIVER_PORT_ENV]: '4243' }).receiverPort).toBe(4243);
  });
});
