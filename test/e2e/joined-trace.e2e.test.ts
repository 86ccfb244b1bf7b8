/**
 * One trace per invocation, end to end: the example function (the real OpenTelemetry JS SDK, a
 * SERVER span `handler` and a child `work`, exported to the extension's OTLP receiver and flushed
 * before it returns) runs with the layer from cdk.out in the emulator; what the local OTLP
 * receiver gets (decoded with the official OTLP schema) must hold, per invocation, one tree: the
 * function's spans and the platform's (the invocation span, its runtime phases, the cold start's
 * init), one SERVER span, every parent exported but the root's (none, or the X-Ray `Parent`).
 * Cold and warm, success, error, timeout, with and without an X-Ray trace header; and a Python
 * function exporting with the official opentelemetry-proto classes (trace context from
 * `_X_AMZN_TRACE_ID`) with the same layer.
 */
import { randomBytes } from 'node:crypto';
import { runExample, type ExampleRun } from './harness';
import { OtlpReceiver } from '../../lib';
import { invocationTrace, isPlatformSpan } from '../demo/waterfall';
import { freePort } from '../support/free-port';
import { pythonOtlpFunction } from '../support/function-fixtures';
import type { DecodedSpan } from '../support/otlp-receiver';

interface Step {
  readonly name: string;
  readonly action: 'ok' | 'fail' | 'hang';
  readonly xray: boolean;
}

const STEPS: readonly Step[] = [
  { name: 'cold success', action: 'ok', xray: false },
  { name: 'warm success, X-Ray', action: 'ok', xray: true },
  { name: 'warm success', action: 'ok', xray: false },
  { name: 'warm error', action: 'fail', xray: false },
  { name: 'warm error, X-Ray', action: 'fail', xray: true },
  { name: 'timeout', action: 'hang', xray: false },
  { name: 'cold success after the reset, X-Ray', action: 'ok', xray: true },
];

function xrayHeader(): { header: string; traceId: string; parentId: string } {
  const root = randomBytes(16).toString('hex');
  const parentId = randomBytes(8).toString('hex');
  return { header: `Root=1-${root.slice(0, 8)}-${root.slice(8)};Parent=${parentId};Sampled=1`, traceId: root, parentId };
}

interface Done {
  readonly step: Step;
  readonly requestId: string;
  readonly status: string;
  readonly xray?: { readonly traceId: string; readonly parentId: string };
}

/** `side:name -> side:parent name` of one tree, after checking it is one: a single root with parent `rootParent`. */
function tree(spans: readonly DecodedSpan[], rootParent: string | undefined): Record<string, string> {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const label = (s: DecodedSpan) => `${isPlatformSpan(s) ? 'platform' : 'function'}:${s.name}`;
  const roots = spans.filter((s) => !s.parentSpanId || !byId.has(s.parentSpanId));
  expect(roots.map((r) => [label(r), r.parentSpanId])).toEqual([[expect.any(String), rootParent]]);
  expect(new Set(spans.map((s) => s.traceId)).size).toBe(1);
  expect(spans.filter((s) => s.kind === 'SPAN_KIND_SERVER')).toHaveLength(1);
  const out: Record<string, string> = {};
  for (const s of spans) {
    const parent = s.parentSpanId ? byId.get(s.parentSpanId) : undefined;
    const key = label(s);
    expect(out[key]).toBeUndefined();
    out[key] = parent ? label(parent) : '(root)';
  }
  return out;
}

const PLATFORM = 'platform:telemetry-example';

/** The function's SDK exports to the extension's receiver as attachTo sets it, on a free port (the host is shared here). */
async function withReceiver(): Promise<() => { otlpReceiver: OtlpReceiver }> {
  const port = await freePort();
  return () => ({ otlpReceiver: OtlpReceiver.http({ port }) });
}

describe('an instrumented invocation is one trace with the platform spans in it', () => {
  let run: ExampleRun;
  const done: Done[] = [];

  beforeAll(async () => {
    run = await runExample({ stack: await withReceiver() });
    for (const step of STEPS) {
      const xray = step.xray ? xrayHeader() : undefined;
      const result = await run.emulator.invoke({ action: step.action }, { traceHeader: xray?.header });
      done.push({ step, requestId: result.requestId, status: result.status, xray });
    }
    await run.emulator.shutdown();
    await run.receiver.waitUntil(
      () => run.receiver.logs().filter((l) => l.attributes['aws.lambda.log.source'] === 'platform.report').length >= STEPS.length,
      'a REPORT record per invocation',
    );
  }, 90_000);

  afterAll(async () => {
    await run?.close();
  });

  const traceOf = (name: string) => {
    const d = done.find((x) => x.step.name === name)!;
    return { ...d, spans: invocationTrace(run.receiver.spans(), d.requestId) };
  };

  test.each(['cold success', 'cold success after the reset, X-Ray'])('%s: the init span and the runtime phases join the function trace', (name) => {
    const { spans, xray, status } = traceOf(name);
    expect(status).toBe('success');
    expect(tree(spans, xray?.parentId)).toEqual({
      'function:handler': '(root)',
      'function:work': 'function:handler',
      [PLATFORM]: 'function:handler',
      'platform:init': PLATFORM,
      'platform:responseLatency': PLATFORM,
      'platform:responseDuration': PLATFORM,
      'platform:runtimeOverhead': PLATFORM,
    });
    if (xray) expect(spans[0].traceId).toBe(xray.traceId);
    const platform = spans.find((s) => isPlatformSpan(s) && s.name === 'telemetry-example')!;
    expect(platform.kind).toBe('SPAN_KIND_INTERNAL');
    expect(platform.attributes['faas.coldstart']).toBe(true);
  });

  test.each(['warm success', 'warm success, X-Ray', 'warm error', 'warm error, X-Ray'])('%s: one tree, the platform span under the handler span', (name) => {
    const { spans, xray, step } = traceOf(name);
    expect(tree(spans, xray?.parentId)).toEqual({
      'function:handler': '(root)',
      'function:work': 'function:handler',
      [PLATFORM]: 'function:handler',
      'platform:responseLatency': PLATFORM,
      'platform:responseDuration': PLATFORM,
      'platform:runtimeOverhead': PLATFORM,
    });
    if (xray) expect(spans[0].traceId).toBe(xray.traceId);
    const errors = spans.filter((s) => s.status.code === 'STATUS_CODE_ERROR').map((s) => `${isPlatformSpan(s) ? 'platform' : 'function'}:${s.name}`).sort();
    expect(errors).toEqual(step.action === 'fail' ? ['function:handler', PLATFORM] : []);
  });

  test('timeout: the handler never flushed, so the platform span stands alone (one SERVER span, its own tree)', () => {
    const { spans, status } = traceOf('timeout');
    expect(status).toBe('timeout');
    const shape = tree(spans, undefined);
    expect(shape[PLATFORM]).toBe('(root)');
    expect(Object.keys(shape).every((k) => k.startsWith('platform:'))).toBe(true);
    const platform = spans.find((s) => s.name === 'telemetry-example')!;
    expect([platform.kind, platform.status.code]).toEqual(['SPAN_KIND_SERVER', 'STATUS_CODE_ERROR']);
  });

  test("the platform's log records of an invocation (function lines, REPORT) carry its joined trace id", () => {
    for (const d of done) {
      const traceId = invocationTrace(run.receiver.spans(), d.requestId)[0]?.traceId;
      const records = run.receiver.logs().filter((l) => l.attributes['faas.invocation_id'] === d.requestId && l.scope.name === 'telemetry-extension');
      expect(records.map((r) => r.attributes['aws.lambda.log.source'])).toEqual(expect.arrayContaining(['function', 'platform.report']));
      expect(new Set(records.map((r) => r.traceId))).toEqual(new Set([traceId]));
    }
  });
});

describe('a Python function (official opentelemetry-proto classes) is joined the same way', () => {
  let run: ExampleRun;
  const done: Done[] = [];

  beforeAll(async () => {
    const fn = pythonOtlpFunction();
    run = await runExample({ stack: await withReceiver(), emulator: { handlerDir: fn.dir, handler: fn.handler, runtimeCommand: fn.runtimeCommand } });
    const steps: Array<Step & { event: object }> = [
      { name: 'cold success', action: 'ok', xray: false, event: {} },
      { name: 'warm success, X-Ray', action: 'ok', xray: true, event: {} },
      { name: 'warm error, X-Ray', action: 'fail', xray: true, event: { fail: true } },
    ];
    for (const step of steps) {
      const xray = step.xray ? xrayHeader() : undefined;
      const result = await run.emulator.invoke(step.event, { traceHeader: xray?.header });
      done.push({ step, requestId: result.requestId, status: result.status, xray });
    }
    await run.emulator.shutdown();
    await run.receiver.waitUntil(
      () => run.receiver.logs().filter((l) => l.attributes['aws.lambda.log.source'] === 'platform.report').length >= steps.length,
      'a REPORT record per invocation',
    );
  }, 90_000);

  afterAll(async () => {
    await run?.close();
  });

  test('each invocation is one tree under the handler span, in the X-Ray trace when there is one', () => {
    expect(done.map((d) => d.status)).toEqual(['success', 'success', 'error']);
    for (const d of done) {
      const spans = invocationTrace(run.receiver.spans(), d.requestId);
      const shape = tree(spans, d.xray?.parentId);
      expect(shape).toMatchObject({
        'function:handler': '(root)',
        'function:work': 'function:handler',
        [PLATFORM]: 'function:handler',
        'platform:responseLatency': PLATFORM,
      });
      expect('platform:init' in shape).toBe(d.step.name.startsWith('cold'));
      if (d.xray) expect(spans[0].traceId).toBe(d.xray.traceId);
    }
  });
});
