/**
 * Registered extensions of one execution environment: their state, their pending `event/next`
 * request, and the events waiting for them.
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { sendJson } from './http-util';
import type { Tracing } from './platform-events';
import type { ManagedProcess } from './processes';

export type ExtensionEventType = 'INVOKE' | 'SHUTDOWN';
export const EXTENSION_EVENT_TYPES: readonly ExtensionEventType[] = ['INVOKE', 'SHUTDOWN'];
export const MAX_EXTENSIONS = 10;

export interface InvokeEvent {
  readonly eventType: 'INVOKE';
  readonly deadlineMs: number;
  readonly requestId: string;
  readonly invokedFunctionArn: string;
  readonly tracing?: Tracing;
}

export interface ShutdownEvent {
  readonly eventType: 'SHUTDOWN';
  readonly deadlineMs: number;
  readonly shutdownReason: string;
}

export type ExtensionEvent = InvokeEvent | ShutdownEvent;

/**
 * `Registered` (no `next` yet), `Ready` (waiting in `next`), `Running` (got an event, working),
 * `InitError` / `ExitError` (reported an error: no further calls accepted).
 */
export type AgentState = 'Registered' | 'Ready' | 'Running' | 'InitError' | 'ExitError';

export class ExtensionAgent {
  public readonly id = randomUUID();
  public state: AgentState = 'Registered';
  /** Called `next` at least once (ready for Init to end). */
  public initReady = false;
  /** The INVOKE (request id) written to it, until it calls `next` again. */
  public workingOn: string | undefined;
  /** The SHUTDOWN event, once delivered (or queued). */
  public shutdownEvent: ShutdownEvent | undefined;
  /** Epoch ms when SHUTDOWN was written to its `next`. */
  public shutdownDeliveredAt: number | undefined;
  private pendingNext: ServerResponse | undefined;
  private readonly queued: ExtensionEvent[] = [];

  public constructor(
    public readonly name: string,
    public readonly events: readonly ExtensionEventType[],
    public readonly registeredAt: number,
    public readonly process: ManagedProcess | undefined,
  ) {}

  /** Is a `next` request of this agent open right now? */
  public get waiting(): boolean {
    return this.pendingNext !== undefined && !this.pendingNext.destroyed;
  }

  public wants(eventType: ExtensionEventType): boolean {
    return this.events.includes(eventType);
  }

  /** The agent called `next`: answer with a queued event or hold the request. */
  public waitNext(res: ServerResponse): void {
    this.state = 'Ready';
    this.initReady = true;
    this.workingOn = undefined;
    const event = this.queued.shift();
    if (event) {
      this.write(res, event);
      return;
    }
    this.pendingNext = res;
    res.once('close', () => {
      if (this.pendingNext === res) this.pendingNext = undefined;
    });
  }

  /** Hands an event to the agent now (its pending `next`) or when it next asks. */
  public deliver(event: ExtensionEvent): void {
    if (event.eventType === 'SHUTDOWN') this.shutdownEvent = event;
    const res = this.pendingNext;
    this.pendingNext = undefined;
    if (res && !res.destroyed) this.write(res, event);
    else this.queued.push(event);
  }

  private write(res: ServerResponse, event: ExtensionEvent): void {
    this.state = 'Running';
    if (event.eventType === 'INVOKE') this.workingOn = event.requestId;
    else this.shutdownDeliveredAt = Date.now();
    sendJson(res, 200, event, { 'Lambda-Extension-Event-Identifier': randomUUID() });
  }
}

export class ExtensionRegistry {
  public readonly agents: ExtensionAgent[] = [];

  /** @param launched the extension processes by file name */
  public constructor(public readonly launched: ReadonlyMap<string, ManagedProcess>) {}

  public byId(id: string): ExtensionAgent | undefined {
    return this.agents.find((agent) => agent.id === id);
  }

  public byName(name: string): ExtensionAgent | undefined {
    return this.agents.find((agent) => agent.name === name);
  }

  public add(name: string, events: readonly ExtensionEventType[]): ExtensionAgent {
    const agent = new ExtensionAgent(name, events, Date.now(), this.launched.get(name));
    this.agents.push(agent);
    return agent;
  }
}
