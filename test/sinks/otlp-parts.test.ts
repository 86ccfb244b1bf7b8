import { SeverityNumber } from '@opentelemetry/api-logs';
import { REQ1 } from './events';
import { signalUrl } from '../../extension-src/otlp/endpoints';
import { parseLogLine, severityNumber } from '../../extension-src/otlp/log-line';
import { BatchMetrics, FAAS_METRICS } from '../../extension-src/otlp/metrics';
import { parseXRayHeader, RandomIds } from '../../extension-src/otlp/trace-context';

describe('parseXRayHeader', () => {
  test('Root, Parent, Sampled', () => {
    expect(parseXRayHeader('Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1')).toEqual({
      traceId: '5759e988bd862e3fe1be46a994272793',
      parentSpanId: '53995c3f42cd8ad8',
      sampled: true,
    });
  });

  test('order, case, Lineage and missing parts', () => {
    expect(parseXRayHeader('Sampled=0;Lineage=a87bd80c:1|68fd508a:5;root=1-5759E988-BD862E3FE1BE46A994272793')).toEqual({
      traceId: '5759e988bd862e3fe1be46a994272793',
      parentSpanId: undefined,
      sampled: false,
    });
    expect(parseXRayHeader('Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=?')?.sampled).toBeUndefined();
  });

  test.each([
    undefined,
    '',
    'Parent=53995c3f42cd8ad8',
    'Root=2-5759e988-bd862e3fe1be46a994272793',
    'Root=1-5759e988-bd862e3fe1be46a99427279',
    'Root=1-00000000-000000000000000000000000',
  ])('no valid Root: %j', (value) => {
    expect(parseXRayHeader(value)).toBeUndefined();
  });

  test('an invalid or zero Parent is ignored', () => {
    expect(parseXRayHeader('Root=1-5759e988-bd862e3fe1be46a994272793;Parent=xyz')?.parentSpanId).toBeUndefined();
    expect(parseXRayHeader('Root=1-5759e988-bd862e3fe1be46a994272793;Parent=0000000000000000')?.parentSpanId).toBeUndefined();
  });

  test('random ids have the right size', () => {
    const ids = new RandomIds();
    expect(ids.traceId()).toMatch(/^[0-9a-f]{32}$/);
    expect(ids.spanId()).toMatch(/^[0-9a-f]{16}$/);
    expect(ids.spanId()).not.toBe(ids.spanId());
  });
});

describe('signalUrl', () => {
  test.each([
    ['http://collector:4318', 'http://collector:4318/v1/traces'],
    ['http://collector:4318/', 'http://collector:4318/v1/traces'],
    ['https://otlp.example.com/otlp', 'https://otlp.example.com/otlp/v1/traces'],
    ['https://otlp.example.com/otlp/', 'https://otlp.example.com/otlp/v1/traces'],
  ])('%s', (base, expected) => {
    expect(signalUrl(base, 'traces').href).toBe(expected);
  });

  test('other schemes and garbage are refused', () => {
    expect(() => signalUrl('ftp://x', 'logs')).toThrow('OTLP endpoint must be http(s), got ftp:');
    expect(() => signalUrl('not a url', 'logs')).toThrow();
  });
});

describe('parseLogLine', () => {
  test('Node.js', () => {
    expect(parseLogLine(`2024-02-01T12:00:00.000Z\t${REQ1}\tINFO\thello\tworld`)).toEqual({
      timestamp: '2024-02-01T12:00:00.000Z', requestId: REQ1, level: 'INFO', message: 'hello\tworld',
    });
    expect(parseLogLine('2024-02-01T12:00:00.000Z\tundefined\tWARN\toutside')).toMatchObject({ requestId: undefined, level: 'WARN', message: 'outside' });
  });

  test('Python', () => {
    expect(parseLogLine(`[ERROR]\t2024-02-01T12:00:00.000Z\t${REQ1}\tTraceback\nline 2`)).toEqual({
      level: 'ERROR', timestamp: '2024-02-01T12:00:00.000Z', requestId: REQ1, message: 'Traceback\nline 2',
    });
    expect(parseLogLine('[WARNING] short form')).toEqual({ level: 'WARNING', message: 'short form' });
  });

  test('Java', () => {
    expect(parseLogLine(`2024-02-01 12:00:00,123 ${REQ1} INFO  com.example.Handler - hi`)).toEqual({
      timestamp: '2024-02-01T12:00:00.123', requestId: REQ1, level: 'INFO', message: 'com.example.Handler - hi',
    });
  });

  test('unrecognised lines are kept whole', () => {
    expect(parseLogLine('hello world')).toEqual({ message: 'hello world' });
    expect(parseLogLine('[NOTALEVEL] x')).toEqual({ message: '[NOTALEVEL] x' });
  });

  test.each([
    ['TRACE', SeverityNumber.TRACE],
    ['debug', SeverityNumber.DEBUG],
    ['INFO', SeverityNumber.INFO],
    ['Warning', SeverityNumber.WARN],
    ['ERROR', SeverityNumber.ERROR],
    ['fail', SeverityNumber.ERROR],
    ['CRITICAL', SeverityNumber.FATAL],
    ['FATAL', SeverityNumber.FATAL],
    ['verbose', SeverityNumber.UNSPECIFIED],
  ])('severity of %s', (level, expected) => {
    expect(severityNumber(level)).toBe(expected);
  });
});

describe('BatchMetrics histograms', () => {
  test('explicit buckets are upper-inclusive; sum/count/min/max', () => {
    const m = new BatchMetrics();
    for (const v of [0.005, 0.006, 1, 1000]) m.record(FAAS_METRICS.invokeDuration, v, 1);
    const [data] = m.toMetricData(0, 1);
    type Point = { buckets: { boundaries: number[]; counts: number[] }; count: number; sum: number; min: number; max: number };
    const point = data.dataPoints[0].value as Point;
    expect(point.count).toBe(4);
    expect(point.sum).toBeCloseTo(1001.011);
    expect([point.min, point.max]).toEqual([0.005, 1000]);
    const counts = point.buckets.counts;
    expect(counts).toHaveLength(point.buckets.boundaries.length + 1);
    expect(counts[0]).toBe(1); // 0.005 <= 0.005
    expect(counts[1]).toBe(1); // 0.006 in (0.005, 0.01]
    expect(counts[point.buckets.boundaries.indexOf(1)]).toBe(1);
    expect(counts[counts.length - 1]).toBe(1); // above 900 s
  });

  test('non-finite values are ignored', () => {
    const m = new BatchMetrics();
    m.record(FAAS_METRICS.invokeDuration, NaN, 1);
    expect(m.isEmpty).toBe(true);
  });
});
