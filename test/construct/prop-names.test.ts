import { Size } from 'aws-cdk-lib';
import { newStack } from './helpers';
import { TelemetryExtensionLayer } from '../../lib';
import { inPython, pythonSpelling } from '../../lib/prop-names';

describe('messages name props in both spellings', () => {
  test.each([
    ['buffering.maxItems', 'buffering.max_items'],
    ['headersSecret', 'headers_secret'],
    ['x64BinaryPath', 'x64_binary_path'],
    ['arm64BinaryPath', 'arm64_binary_path'],
    ['nodeJs', 'node_js'],
    ['port', 'port'],
  ])('%s is %s in Python', (ts, py) => {
    expect(pythonSpelling(ts)).toBe(py);
  });

  test('nothing is added when both agree', () => {
    expect(inPython('port')).toBe('');
  });

  test('a validation error gives the Python spelling', () => {
    expect(() => new TelemetryExtensionLayer(newStack(), 'Telemetry', { buffering: { maxBytes: Size.kibibytes(1) } })).toThrow(
      'buffering.maxBytes must be from 256 KiB to 1 MiB (262144 to 1048576 bytes), got 1024 bytes (`buffering.max_bytes` in Python)',
    );
  });
});
