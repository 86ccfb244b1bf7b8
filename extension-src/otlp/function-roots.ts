/**
 * The function's own invocation spans, as its OpenTelemetry SDK sent them to the receiver: what
 * the joining rules (./joining.ts) read from the function's traces. Read only: the function's
 * data is forwarded as it came (./forward.ts).
 *
 * A span is a *root candidate* of an invocation when
 * - it carries `faas.invocation_id` (or the older `faas.execution`): keyed by that request id
 *   (a SERVER span wins over another span carrying the same id);
 * - or it is a local root: no parent, or a SERVER span whose parent is remote (an X-Ray `Parent`,
 *   an upstream `traceparent`). Those are matched by trace id (X-Ray) or by time.
 */
import type { Int64, KeyValue, ResourceSpans, Span } from '../receiver/otlp-types';

const SPAN_KIND_SERVER = 2;
const INVOCATION_ID_KEYS = ['faas.invocation_id', 'faas.execution'];

/** One function span that may stand for an invocation. */
export interface FunctionRoot {
  readonly traceId: string;
  readonly spanId: string;
  readonly traceFlags: number;
  readonly server: boolean;
  readonly startMs: number;
  /** From `faas.invocation_id` / `faas.execution`. */
  readonly requestId?: string;
}

export function hex(bytes: Uint8Array | undefined | null): string {
  return bytes && bytes.length > 0 ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex') : '';
}

function nanosToMs(value: Int64 | undefined | null): number {
  if (value === undefined || value === null) return 0;
  return (typeof value === 'number' ? value : value.toNumber()) / 1e6;
}

function invocationIdOf(attributes: readonly KeyValue[] | undefined): string | undefined {
  for (const key of INVOCATION_ID_KEYS) {
    const value = attributes?.find((a) => a.key === key)?.value?.stringValue;
    if (value) return value;
  }
  return undefined;
}

/** The root candidates among `resourceSpans`, in order. */
export function functionRoots(resourceSpans: readonly ResourceSpans[]): FunctionRoot[] {
  const roots: FunctionRoot[] = [];
  for (const rs of resourceSpans) {
    for (const ss of rs.scopeSpans ?? []) {
      const local = new Set<string>();
      for (const span of ss.spans ?? []) local.add(hex(span.spanId));
      for (const span of ss.spans ?? []) {
        const root = rootOf(span, local);
        if (root) roots.push(root);
      }
    }
  }
  return roots;
}

function rootOf(span: Span, sameRequest: ReadonlySet<string>): FunctionRoot | undefined {
  const traceId = hex(span.traceId);
  const spanId = hex(span.spanId);
  if (traceId.length !== 32 || spanId.length !== 16) return undefined;
  const parent = hex(span.parentSpanId);
  const server = span.kind === SPAN_KIND_SERVER;
  const requestId = invocationIdOf(span.attributes);
  const localRoot = parent === '' || (server && !sameRequest.has(parent));
  if (requestId === undefined && !localRoot) return undefined;
  // W3C flags: the low byte of `flags` (sampled = 1); an SDK that sends none exported a sampled span.
  const traceFlags = (span.flags ?? 0) % 256 || 1;
  return { traceId, spanId, traceFlags, server, startMs: nanosToMs(span.startTimeUnixNano), requestId };
}
