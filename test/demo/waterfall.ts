/**
 * An invocation's trace as a waterfall for the terminal: one line per span, indented under its
 * parent, a bar on a shared time axis, marked `[fn]` (the function's own span, from its SDK) or
 * `[pl]` (made by the extension from the Lambda platform's events), `!` for an ERROR status.
 *
 *   [fn] handler                |  ████████████████    | 41.2 ms
 *   [fn]   work                 |   ██████████████     | 38.0 ms
 *   [pl]   telemetry-example    |█████████████████████ | 52.0 ms
 */
import type { DecodedSpan } from '../support/otlp-receiver';

/** The instrumentation scope of the spans the extension makes. */
export const PLATFORM_SCOPE = 'telemetry-extension';

export interface WaterfallOptions {
  /** Columns of the time axis. Default 40. */
  readonly width?: number;
}

export function isPlatformSpan(span: DecodedSpan): boolean {
  return span.scope.name === PLATFORM_SCOPE;
}

/**
 * The spans of the trace of invocation `requestId`: the trace of the span that names it
 * (`faas.invocation_id`), the function's span first if both sides name it.
 */
export function invocationTrace(spans: readonly DecodedSpan[], requestId: string): DecodedSpan[] {
  const naming = spans.filter((s) => s.attributes['faas.invocation_id'] === requestId);
  const anchor = naming.find((s) => !isPlatformSpan(s)) ?? naming.find((s) => s.kind === 'SPAN_KIND_SERVER') ?? naming[0];
  return anchor ? spans.filter((s) => s.traceId === anchor.traceId) : [];
}

/** Depth-first, children after their parent by start time; spans whose parent is not here are roots. */
function ordered(spans: readonly DecodedSpan[]): Array<{ readonly span: DecodedSpan; readonly depth: number }> {
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string, DecodedSpan[]>();
  const roots: DecodedSpan[] = [];
  for (const span of spans) {
    if (span.parentSpanId && ids.has(span.parentSpanId) && span.parentSpanId !== span.spanId) {
      const list = children.get(span.parentSpanId) ?? [];
      list.push(span);
      children.set(span.parentSpanId, list);
    } else {
      roots.push(span);
    }
  }
  const byStart = (a: DecodedSpan, b: DecodedSpan) => Number(a.startTimeUnixNano - b.startTimeUnixNano);
  const out: Array<{ span: DecodedSpan; depth: number }> = [];
  const visit = (span: DecodedSpan, depth: number) => {
    out.push({ span, depth });
    for (const child of (children.get(span.spanId) ?? []).sort(byStart)) visit(child, depth + 1);
  };
  for (const root of roots.sort(byStart)) visit(root, 0);
  return out;
}

/** The waterfall's lines (a time-axis header first); none for no spans. */
export function renderWaterfall(spans: readonly DecodedSpan[], options: WaterfallOptions = {}): string[] {
  if (spans.length === 0) return [];
  const width = Math.max(10, options.width ?? 40);
  const rows = ordered(spans);
  const t0 = rows.reduce((min, r) => (r.span.startTimeUnixNano < min ? r.span.startTimeUnixNano : min), rows[0].span.startTimeUnixNano);
  const t1 = rows.reduce((max, r) => (r.span.endTimeUnixNano > max ? r.span.endTimeUnixNano : max), rows[0].span.endTimeUnixNano);
  const totalMs = Number(t1 - t0) / 1e6;
  const col = (t: bigint) => (totalMs === 0 ? 0 : Math.round((Number(t - t0) / 1e6 / totalMs) * width));
  const labels = rows.map(({ span, depth }) => `${isPlatformSpan(span) ? '[pl]' : '[fn]'}${span.status.code === 'STATUS_CODE_ERROR' ? '!' : ' '}${'  '.repeat(depth)}${span.name}`);
  const labelWidth = Math.max(...labels.map((l) => l.length));
  const axisEnd = `${formatMs(totalMs)}`;
  const header = `${' '.repeat(labelWidth)} |0 ms${' '.repeat(Math.max(1, width - 4 - axisEnd.length))}${axisEnd}|`;
  const lines = rows.map(({ span }, i) => {
    const from = Math.min(col(span.startTimeUnixNano), width - 1);
    const to = Math.max(from + 1, Math.min(width, col(span.endTimeUnixNano)));
    const bar = ' '.repeat(from) + (isPlatformSpan(span) ? '░' : '█').repeat(to - from) + ' '.repeat(width - to);
    return `${labels[i].padEnd(labelWidth)} |${bar}| ${formatMs(Number(span.endTimeUnixNano - span.startTimeUnixNano) / 1e6)}`;
  });
  return [header, ...lines];
}

function formatMs(ms: number): string {
  return ms >= 100 ? `${Math.round(ms)} ms` : `${ms.toFixed(1)} ms`;
}
