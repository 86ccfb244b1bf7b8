/**
 * Remembers which invocations have reached `platform.runtimeDone` and `platform.report` (and
 * whether the environment's init or restore has been reported), which invocations are open (from
 * their `platform.start` until their `platform.report`: several at once on managed instances),
 * and lets the flush and shutdown logic await them without polling. Fed by the queue's offer listener, so it sees every
 * accepted event once, in order, whether or not the export loop has already taken it.
 */
import { isFunctionTelemetry, type PipelineItem } from './items';

/** What the tracker watches: the items offered to the queue (of any kind). */
interface OfferSource {
  onOffer(listener: (items: readonly PipelineItem[]) => void): () => void;
}

/** How many request ids of each milestone are remembered (older ones are forgotten). */
const DEFAULT_MEMORY = 256;

class Milestones {
  private readonly seen = new Set<string>();
  private readonly waiters = new Map<string, Set<(arrived: boolean) => void>>();

  constructor(private readonly memory: number) {}

  record(requestId: string): void {
    if (this.seen.has(requestId)) return;
    this.seen.add(requestId);
    if (this.seen.size > this.memory) {
      const oldest = this.seen.values().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
    const waiting = this.waiters.get(requestId);
    if (waiting) {
      this.waiters.delete(requestId);
      for (const wake of waiting) wake(true);
    }
  }

  has(requestId: string): boolean {
    return this.seen.has(requestId);
  }

  wait(requestId: string, signal?: AbortSignal): Promise<boolean> {
    if (this.seen.has(requestId)) return Promise.resolve(true);
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      let waiting = this.waiters.get(requestId);
      if (!waiting) {
        waiting = new Set();
        this.waiters.set(requestId, waiting);
      }
      const set = waiting;
      const onAbort = () => {
        set.delete(wake);
        if (set.size === 0 && this.waiters.get(requestId) === set) this.waiters.delete(requestId);
        resolve(false);
      };
      const wake = (arrived: boolean) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(arrived);
      };
      set.add(wake);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  releaseAll(): void {
    const all = [...this.waiters.values()];
    this.waiters.clear();
    for (const set of all) for (const wake of set) wake(false);
  }
}

/** The one key of the phase milestone: `platform.initReport` or `platform.restoreReport`. */
const PHASE_REPORT = 'phase';

export class InvocationTracker {
  private readonly runtimeDone: Milestones;
  private readonly report: Milestones;
  private readonly phaseReport = new Milestones(1);
  /** Started, not yet reported, oldest first (at most `memory`: the oldest is forgotten). */
  private readonly open = new Set<string>();
  private readonly noneOpenWaiters = new Set<(arrived: boolean) => void>();
  private startedCount = 0;
  private readonly unsubscribe: () => void;

  constructor(queue: OfferSource, private readonly memory = DEFAULT_MEMORY) {
    this.runtimeDone = new Milestones(memory);
    this.report = new Milestones(memory);
    this.unsubscribe = queue.onOffer((events) => this.observe(events));
  }

  /** Request ids of the invocations started (`platform.start`) and not yet reported, oldest first. */
  openInvocations(): string[] {
    return [...this.open];
  }

  /** How many `platform.start` events have arrived. */
  get started(): number {
    return this.startedCount;
  }

  /** Resolves true when (or if already) every open invocation has its `platform.report`; false on abort. */
  waitForOpenReports(signal?: AbortSignal): Promise<boolean> {
    if (this.open.size === 0) return Promise.resolve(true);
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onAbort = () => {
        this.noneOpenWaiters.delete(wake);
        resolve(false);
      };
      const wake = (arrived: boolean) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(arrived);
      };
      this.noneOpenWaiters.add(wake);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Has `platform.runtimeDone` of `requestId` arrived? */
  hasRuntimeDone(requestId: string): boolean {
    return this.runtimeDone.has(requestId);
  }

  /** Has `platform.report` of `requestId` arrived? */
  hasReport(requestId: string): boolean {
    return this.report.has(requestId);
  }

  /** Resolves true when (or if already) `platform.runtimeDone` of `requestId` arrived; false on abort. */
  waitForRuntimeDone(requestId: string, signal?: AbortSignal): Promise<boolean> {
    return this.runtimeDone.wait(requestId, signal);
  }

  /** Resolves true when (or if already) `platform.report` of `requestId` arrived; false on abort. */
  waitForReport(requestId: string, signal?: AbortSignal): Promise<boolean> {
    return this.report.wait(requestId, signal);
  }

  /** Has `platform.initReport` or `platform.restoreReport` arrived? */
  hasPhaseReport(): boolean {
    return this.phaseReport.has(PHASE_REPORT);
  }

  /** Resolves true when (or if already) `platform.initReport` or `platform.restoreReport` arrived; false on abort. */
  waitForPhaseReport(signal?: AbortSignal): Promise<boolean> {
    return this.phaseReport.wait(PHASE_REPORT, signal);
  }

  /** Stop observing the queue and resolve every pending wait with false. */
  dispose(): void {
    this.unsubscribe();
    this.runtimeDone.releaseAll();
    this.report.releaseAll();
    this.phaseReport.releaseAll();
    this.wakeNoneOpen(false);
  }

  private wakeNoneOpen(arrived: boolean): void {
    const all = [...this.noneOpenWaiters];
    this.noneOpenWaiters.clear();
    for (const wake of all) wake(arrived);
  }

  private opened(requestId: string): void {
    this.startedCount++;
    if (this.report.has(requestId) || this.open.has(requestId)) return;
    this.open.add(requestId);
    if (this.open.size > this.memory) {
      const oldest = this.open.values().next().value;
      if (oldest !== undefined) this.open.delete(oldest);
    }
  }

  private reported(requestId: string): void {
    this.report.record(requestId);
    if (this.open.delete(requestId) && this.open.size === 0) this.wakeNoneOpen(true);
  }

  private observe(items: readonly PipelineItem[]): void {
    for (const event of items) {
      if (isFunctionTelemetry(event)) continue; // the function's own OTLP data says nothing of the lifecycle
      const type = event.type;
      if ((type === 'platform.initReport' || type === 'platform.restoreReport') && !(event as { unknown?: true }).unknown) {
        this.phaseReport.record(PHASE_REPORT);
        continue;
      }
      if (type !== 'platform.start' && type !== 'platform.runtimeDone' && type !== 'platform.report') continue;
      if ((event as { unknown?: true }).unknown) continue;
      const requestId = (event.record as { requestId?: unknown }).requestId;
      if (typeof requestId !== 'string') continue;
      if (type === 'platform.start') this.opened(requestId);
      else if (type === 'platform.runtimeDone') this.runtimeDone.record(requestId);
      else this.reported(requestId);
    }
  }
}
