/**
 * The telemetry stream of the emulated function: every generated event in order, the subscribers,
 * replay of earlier events to a new subscriber, and fan-out to each subscriber's dispatcher.
 */
import { categoryOf, isoTime, platform, type TelemetryCategory, type TelemetryEvent } from './platform-events';
import type { Subscription } from './telemetry-api';
import {
  TelemetryDispatcher, type BufferLimit, type DeliveryRecord, type RetryPolicy,
} from './telemetry-dispatcher';

/** A subscription and everything delivered to it. */
export interface SubscriberRecord {
  readonly extensionName: string;
  readonly extensionId: string;
  readonly subscription: Subscription;
  /** Epoch ms. */
  readonly subscribedAt: number;
  readonly deliveries: readonly DeliveryRecord[];
  readonly dropped: { readonly records: number; readonly bytes: number };
  /** False once the subscriber's environment was shut down or it re-subscribed. */
  readonly active: boolean;
}

interface Subscriber {
  readonly record: SubscriberRecord;
  readonly types: ReadonlySet<TelemetryCategory>;
  readonly dispatcher: TelemetryDispatcher;
  active: boolean;
}

interface Stored {
  readonly event: TelemetryEvent;
  readonly rawLine?: string;
  /** Addressed to one subscriber only (`platform.logsDropped`). */
  readonly target?: Subscriber;
}

export interface HubOptions {
  readonly bufferLimit: BufferLimit;
  readonly retry: RetryPolicy;
  readonly onChange: () => void;
}

export class TelemetryHub {
  private readonly stored: Stored[] = [];
  private readonly eventList: TelemetryEvent[] = [];
  private readonly subscribers: Subscriber[] = [];
  private replayFrom = 0;
  private frozen = false;

  public constructor(private readonly options: HubOptions) {}

  /** Every event generated, in generation order. */
  public get events(): readonly TelemetryEvent[] {
    return this.eventList;
  }

  public get subscriberRecords(): readonly SubscriberRecord[] {
    return this.subscribers.map((subscriber) => subscriber.record);
  }

  /** Do all active subscribers have nothing queued or in flight? */
  public get drained(): boolean {
    return this.subscribers.every((subscriber) => !subscriber.active || subscriber.dispatcher.idle);
  }

  /** A new execution environment starts: later subscribers get events from here on replayed. */
  public startEnvironment(): void {
    this.replayFrom = this.stored.length;
  }

  /** Generates one event (now) and hands it to every interested subscriber. */
  public emit(type: string, record: unknown, rawLine?: string): TelemetryEvent {
    return this.store({ event: { time: isoTime(Date.now()), type, record }, rawLine });
  }

  public subscribe(args: {
    extensionName: string; extensionId: string; subscription: Subscription; alreadySubscribed: boolean;
  }): SubscriberRecord {
    const { subscription } = args;
    for (const old of this.subscribers) {
      if (old.active && old.record.extensionId === args.extensionId) this.deactivate(old);
    }
    let subscriber: Subscriber | undefined;
    const dispatcher = new TelemetryDispatcher({
      port: subscription.destination.port,
      path: subscription.destination.path,
      schemaVersion: subscription.schemaVersion,
      buffering: subscription.buffering,
      bufferLimit: this.options.bufferLimit,
      retry: this.options.retry,
      onChange: this.options.onChange,
      reportDropped: (dropped) => {
        if (subscriber) this.store({ event: { time: isoTime(Date.now()), type: 'platform.logsDropped', record: platform.logsDropped(dropped) }, target: subscriber });
      },
    });
    const record: SubscriberRecord = {
      extensionName: args.extensionName,
      extensionId: args.extensionId,
      subscription,
      subscribedAt: Date.now(),
      deliveries: dispatcher.deliveries,
      dropped: dispatcher.dropped,
      get active() {
        return subscriber?.active ?? false;
      },
    };
    subscriber = { record, types: new Set(subscription.types), dispatcher, active: true };
    if (this.frozen) dispatcher.pause();
    for (const stored of this.stored.slice(this.replayFrom)) {
      if (this.wants(subscriber, stored)) dispatcher.enqueue(stored.event, stored.rawLine);
    }
    this.subscribers.push(subscriber);
    this.emit('platform.telemetrySubscription', platform.telemetrySubscription({
      name: args.extensionName,
      state: args.alreadySubscribed ? 'Already subscribed' : 'Subscribed',
      types: subscription.types,
    }));
    return record;
  }

  public freeze(): void {
    this.frozen = true;
    for (const subscriber of this.subscribers) subscriber.dispatcher.pause();
  }

  public thaw(): void {
    this.frozen = false;
    for (const subscriber of this.subscribers) subscriber.dispatcher.resume();
  }

  /** The environment is gone: its subscribers' listeners are dead. */
  public closeSubscribers(): void {
    for (const subscriber of this.subscribers) this.deactivate(subscriber);
  }

  private deactivate(subscriber: Subscriber): void {
    subscriber.active = false;
    subscriber.dispatcher.close();
  }

  private wants(subscriber: Subscriber, stored: Stored): boolean {
    if (stored.target) return stored.target === subscriber;
    return subscriber.types.has(categoryOf(stored.event.type));
  }

  private store(stored: Stored): TelemetryEvent {
    this.stored.push(stored);
    this.eventList.push(stored.event);
    for (const subscriber of this.subscribers) {
      if (subscriber.active && this.wants(subscriber, stored)) {
        subscriber.dispatcher.enqueue(stored.event, stored.rawLine, stored.target !== undefined);
      }
    }
    this.options.onChange();
    return stored.event;
  }
}
