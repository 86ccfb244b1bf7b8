/**
 * One trace per invocation: the platform's records of an invocation join the function's own
 * trace when the function is instrumented.
 *
 * The rules (README "One trace per invocation"):
 * - The function's invocation span (./function-roots.ts) is found, per request id, by its
 *   `faas.invocation_id` / `faas.execution`; else, for an invocation in an X-Ray trace, by that
 *   trace id; else as the one local root span that starts while that invocation runs and no other
 *   known invocation does (with concurrent invocations, time alone never decides).
 * - Found: every record the converter made for the invocation moves into the function's trace.
 *   The platform's invocation span becomes an INTERNAL child of the function's SERVER span
 *   (never a second SERVER span); its children (`responseLatency`, `responseDuration`,
 *   `runtimeOverhead`), the cold start's `init` span, the `function` log records and the REPORT
 *   record (billed duration, memory, init duration) keep their parent and take the function's
 *   trace id. The function's own data is never changed nor held.
 * - Not found yet, while the function is known to be instrumented (it sent spans since the
 *   process started): the invocation's records are held, at most `joinWaitMs` after the
 *   invocation closed (and `maxHoldMs` from the first held record), at most
 *   `maxHeldInvocations` invocations (the oldest goes out first), and never past a `final`
 *   convert (the caller is about to freeze or exit) or the drain. Then they go out as today, on
 *   their own trace; that decision stands for the invocation's later records.
 * - Not instrumented: nothing is held, records go out as today.
 */
import { SpanKind } from '@opentelemetry/api';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { functionRoots, type FunctionRoot } from './function-roots';
import type { InvocationContext } from './invocation-context';
import type { ResourceSpans } from '../receiver/otlp-types';

export interface JoinLimits {
  /** How long an invocation's records wait for its function span after it closed. */
  readonly joinWaitMs: number;
  /** How long any record waits at most (records of a long-running invocation). */
  readonly maxHoldMs: number;
  /** Invocations whose records are held at most. */
  readonly maxHeldInvocations: number;
  /** Function root spans and invocations remembered for matching, each. */
  readonly maxRemembered: number;
}

export const DEFAULT_JOIN_LIMITS: JoinLimits = {
  joinWaitMs: 500,
  maxHoldMs: 5_000,
  maxHeldInvocations: 64,
  maxRemembered: 1_000,
};

/** Records of one batch, platform side. */
export interface PlatformRecords {
  spans: ReadableSpan[];
  logs: ReadableLogRecord[];
}

interface Known {
  readonly inv: InvocationContext;
  endMs?: number;
}

interface Held {
  readonly known: Known;
  readonly spans: ReadableSpan[];
  readonly logs: ReadableLogRecord[];
  readonly sinceMs: number;
  closedAtMs?: number;
}

/** Joined to this function span, or `null`: decided to stand alone. */
type Decision = FunctionRoot | null;

export class TraceJoiner {
  /** Invocations joined with the function's trace so far. */
  joined = 0;
  /** Invocations of an instrumented function whose records went out on their own (no function span in time). */
  unjoined = 0;
  private instrumented = false;
  private readonly keyed = new Map<string, FunctionRoot>();
  private loose: FunctionRoot[] = [];
  private readonly decisions = new Map<string, Decision>();
  /** Invocations by request id, and their platform trace ids. */
  private readonly known = new Map<string, Known>();
  private readonly byTrace = new Map<string, Known[]>();
  private readonly held = new Map<string, Held>();

  constructor(private readonly limits: JoinLimits, private readonly now: () => number) {}

  /** Invocations whose records are held now. */
  get heldInvocations(): number {
    return this.held.size;
  }

  /** The converter made `inv`'s trace context (start, or a close without start). */
  track(inv: InvocationContext): void {
    // An uninstrumented function pays nothing: invocations are remembered only once the function
    // has sent spans (the batch that brings the first ones registers them before its events).
    if (!this.instrumented) return;
    const known: Known = { inv };
    this.known.set(inv.requestId, known);
    const list = this.byTrace.get(inv.traceId);
    if (list) list.push(known);
    else this.byTrace.set(inv.traceId, [known]);
    while (this.known.size > this.limits.maxRemembered) {
      const [requestId, oldest] = this.known.entries().next().value as [string, Known];
      this.known.delete(requestId);
      const rest = (this.byTrace.get(oldest.inv.traceId) ?? []).filter((k) => k !== oldest);
      if (rest.length > 0) this.byTrace.set(oldest.inv.traceId, rest);
      else this.byTrace.delete(oldest.inv.traceId);
      this.decisions.delete(requestId);
    }
  }

  /** `requestId` ended at `endMs` (platform time). */
  closed(requestId: string, endMs: number): void {
    const known = this.known.get(requestId);
    if (known) known.endMs = endMs;
    const held = this.held.get(requestId);
    if (held) held.closedAtMs = this.now();
  }

  /** The function's spans of this batch: remember its invocation spans. */
  functionSpans(resourceSpans: readonly ResourceSpans[]): void {
    if (resourceSpans.some((rs) => (rs.scopeSpans ?? []).some((ss) => (ss.spans ?? []).length > 0))) this.instrumented = true;
    for (const root of functionRoots(resourceSpans)) {
      if (root.requestId !== undefined) {
        const existing = this.keyed.get(root.requestId);
        if (!existing || (root.server && !existing.server)) this.keyed.set(root.requestId, root);
        trim(this.keyed, this.limits.maxRemembered);
      } else {
        this.loose.push(root);
        if (this.loose.length > this.limits.maxRemembered) this.loose.shift();
      }
    }
  }

  /**
   * Apply the rules to one batch's platform records (in place): joined records are rewritten,
   * records to wait are moved out, held records that joined or waited long enough are added.
   * `final`: nothing is held past this call.
   */
  settle(out: PlatformRecords, final: boolean): void {
    const nowMs = this.now();
    const spans = out.spans;
    const logs = out.logs;
    out.spans = [];
    out.logs = [];
    for (const [requestId, held] of this.held) {
      const root = this.rootFor(held.known);
      const expired = final
        || (held.closedAtMs !== undefined && nowMs - held.closedAtMs >= this.limits.joinWaitMs)
        || nowMs - held.sinceMs >= this.limits.maxHoldMs;
      if (root === undefined && !expired) continue;
      this.held.delete(requestId);
      if (root === undefined && held.closedAtMs !== undefined) this.decide(requestId, null);
      this.emit(held.spans, held.logs, held.known.inv, root ?? null, out);
    }
    for (const span of spans) {
      const ctx = span.spanContext();
      const known = this.owner(ctx.traceId, ctx.spanId, span.parentSpanContext?.spanId);
      this.route(known, [span], [], final, nowMs, out);
    }
    for (const log of logs) {
      const known = log.spanContext ? this.owner(log.spanContext.traceId, log.spanContext.spanId, undefined) : undefined;
      this.route(known, [], [log], final, nowMs, out);
    }
  }

  /** Every held record, on its own trace unless it can join now (drain). */
  drain(out: PlatformRecords): void {
    this.settle(out, true);
  }

  private route(
    known: Known | undefined, spans: ReadableSpan[], logs: ReadableLogRecord[], final: boolean, nowMs: number, out: PlatformRecords,
  ): void {
    if (!known) {
      out.spans.push(...spans);
      out.logs.push(...logs);
      return;
    }
    const requestId = known.inv.requestId;
    const root = this.rootFor(known);
    const held = this.held.get(requestId);
    if (root !== undefined || !this.instrumented || final) {
      if (held) {
        // The same invocation's earlier records go out with these.
        this.held.delete(requestId);
        spans = [...held.spans, ...spans];
        logs = [...held.logs, ...logs];
      }
      // The invocation span went out on its own: its later records (the REPORT) follow it.
      if (root === undefined && spans.some((s) => s.spanContext().spanId === known.inv.spanId)) this.decide(requestId, null);
      this.emit(spans, logs, known.inv, root ?? null, out);
      return;
    }
    if (held) {
      held.spans.push(...spans);
      held.logs.push(...logs);
      return;
    }
    const entry: Held = { known, spans, logs, sinceMs: nowMs, closedAtMs: known.endMs !== undefined ? nowMs : undefined };
    this.held.set(requestId, entry);
    while (this.held.size > this.limits.maxHeldInvocations) {
      const [oldestId, oldest] = this.held.entries().next().value as [string, Held];
      this.held.delete(oldestId);
      this.decide(oldestId, null);
      this.emit(oldest.spans, oldest.logs, oldest.known.inv, null, out);
    }
  }

  private emit(
    spans: readonly ReadableSpan[], logs: readonly ReadableLogRecord[], inv: InvocationContext, root: FunctionRoot | null, out: PlatformRecords,
  ): void {
    if (root === null) {
      out.spans.push(...spans);
      out.logs.push(...logs);
      return;
    }
    for (const span of spans) out.spans.push(joinSpan(span, inv, root));
    for (const log of logs) out.logs.push(joinLog(log, root));
  }

  /** The invocation a platform record belongs to (by its trace id; span ids break ties). */
  private owner(traceId: string, spanId: string, parentSpanId: string | undefined): Known | undefined {
    const list = this.byTrace.get(traceId);
    if (!list) return undefined;
    if (list.length === 1) return list[0];
    return list.find((k) => k.inv.spanId === spanId || k.inv.spanId === parentSpanId) ?? list[list.length - 1];
  }

  /** The function span `known` joins, `null` when it stands alone, undefined: not known yet. */
  private rootFor(known: Known): Decision | undefined {
    const { inv } = known;
    if (this.decisions.has(inv.requestId)) return this.decisions.get(inv.requestId) as Decision;
    const root = this.keyed.get(inv.requestId) ?? this.byXRay(inv) ?? this.byTime(known);
    if (root) this.decide(inv.requestId, root);
    return root;
  }

  private byXRay(inv: InvocationContext): FunctionRoot | undefined {
    if (!inv.xray) return undefined;
    const same = this.loose.filter((r) => r.traceId === inv.traceId);
    const root = same.find((r) => r.server) ?? same[0];
    if (root) this.loose = this.loose.filter((r) => r !== root);
    return root;
  }

  private byTime(known: Known): FunctionRoot | undefined {
    const within = (k: Known, t: number) => t >= k.inv.startMs - 1 && t <= (k.endMs ?? Infinity);
    for (const root of this.loose) {
      if (this.byTrace.has(root.traceId) && !this.byTrace.get(root.traceId)?.includes(known)) continue;
      if (!within(known, root.startMs)) continue;
      let others = 0;
      for (const other of this.known.values()) if (other !== known && within(other, root.startMs)) others++;
      if (others > 0) continue;
      this.loose = this.loose.filter((r) => r !== root);
      return root;
    }
    return undefined;
  }

  private decide(requestId: string, decision: Decision): void {
    if (this.decisions.has(requestId) && this.decisions.get(requestId) !== null) return;
    if (decision) this.joined++;
    else if (this.instrumented) this.unjoined++;
    this.decisions.set(requestId, decision);
    trim(this.decisions, this.limits.maxRemembered);
  }
}

function trim<K, V>(map: Map<K, V>, max: number): void {
  while (map.size > max) map.delete(map.keys().next().value as K);
}

/**
 * `span` in the function's trace: the invocation span becomes an INTERNAL child of the
 * function's span, every other span keeps its parent.
 */
export function joinSpan(span: ReadableSpan, inv: InvocationContext, root: FunctionRoot): ReadableSpan {
  const own = span.spanContext();
  const ids = { traceId: root.traceId, spanId: own.spanId, traceFlags: root.traceFlags };
  const isInvocation = own.spanId === inv.spanId;
  const parent = isInvocation || !span.parentSpanContext
    ? { traceId: root.traceId, spanId: root.spanId, traceFlags: root.traceFlags, isRemote: false }
    : { ...span.parentSpanContext, traceId: root.traceId, traceFlags: root.traceFlags };
  return {
    ...span,
    kind: isInvocation ? SpanKind.INTERNAL : span.kind,
    spanContext: () => ids,
    parentSpanContext: parent,
  };
}

/** A platform log record of the invocation, in the function's trace (its span id stays the platform span's). */
export function joinLog(log: ReadableLogRecord, root: FunctionRoot): ReadableLogRecord {
  return log.spanContext ? { ...log, spanContext: { ...log.spanContext, traceId: root.traceId, traceFlags: root.traceFlags } } : log;
}
