/**
 * Client of the Lambda Extensions API (`/2020-01-01/extension/...`): register, event/next,
 * init/error, exit/error. One instance per process; it holds the extension identifier.
 */
import * as v from 'valibot';
import { callApi, LambdaApiError, type ApiReply } from './http';
import { EXTENSION_NAME } from '../../lib/config/contract';

const BASE = '/2020-01-01/extension';

/** Time allowed for calls other than `event/next` (which never times out). */
export const API_CALL_TIMEOUT_MS = 5_000;

export type ExtensionEventName = 'INVOKE' | 'SHUTDOWN';

/** Is this a Lambda Managed Instances environment (SHUTDOWN only, concurrent invocations)? */
export function isManagedInstances(env: NodeJS.ProcessEnv): boolean {
  return env.AWS_LAMBDA_INITIALIZATION_TYPE === 'lambda-managed-instances';
}

/** INVOKE and SHUTDOWN; SHUTDOWN only on Lambda Managed Instances (INVOKE is refused there). */
export function registrationEvents(env: NodeJS.ProcessEnv): readonly ExtensionEventName[] {
  return isManagedInstances(env) ? ['SHUTDOWN'] : ['INVOKE', 'SHUTDOWN'];
}

const RegisterResponseSchema = v.looseObject({
  functionName: v.optional(v.string()),
  functionVersion: v.optional(v.string()),
  handler: v.optional(v.string()),
  accountId: v.optional(v.string()),
});

export interface Registration {
  readonly extensionId: string;
  readonly functionName?: string;
  readonly functionVersion?: string;
  readonly handler?: string;
  readonly accountId?: string;
}

export const InvokeEventSchema = v.looseObject({
  eventType: v.literal('INVOKE'),
  deadlineMs: v.number(),
  requestId: v.string(),
  invokedFunctionArn: v.optional(v.string()),
  tracing: v.optional(v.looseObject({ type: v.string(), value: v.string() })),
});

export const ShutdownEventSchema = v.looseObject({
  eventType: v.literal('SHUTDOWN'),
  deadlineMs: v.number(),
  shutdownReason: v.optional(v.string()),
});

const ExtensionEventSchema = v.variant('eventType', [InvokeEventSchema, ShutdownEventSchema]);

export type InvokeEvent = v.InferOutput<typeof InvokeEventSchema>;
export type ShutdownEvent = v.InferOutput<typeof ShutdownEventSchema>;
export type ExtensionEvent = InvokeEvent | ShutdownEvent;

export interface ExtensionsApiOptions {
  /** `host:port` from `AWS_LAMBDA_RUNTIME_API`. */
  readonly runtimeApi: string;
  /** Must equal the launcher's file name in /opt/extensions. */
  readonly extensionName?: string;
  readonly callTimeoutMs?: number;
}

export class ExtensionsApiClient {
  readonly runtimeApi: string;
  readonly extensionName: string;
  private readonly callTimeoutMs: number;
  private id: string | undefined;

  constructor(options: ExtensionsApiOptions) {
    this.runtimeApi = options.runtimeApi;
    this.extensionName = options.extensionName ?? EXTENSION_NAME;
    this.callTimeoutMs = options.callTimeoutMs ?? API_CALL_TIMEOUT_MS;
  }

  /** The identifier Lambda gave at registration. */
  get extensionId(): string {
    if (this.id === undefined) throw new Error('the extension is not registered yet');
    return this.id;
  }

  /** @throws LambdaApiError */
  async register(events: readonly ExtensionEventName[]): Promise<Registration> {
    const operation = 'register';
    const reply = await this.call(operation, {
      method: 'POST',
      path: `${BASE}/register`,
      headers: {
        'Lambda-Extension-Name': this.extensionName,
        'Lambda-Extension-Accept-Feature': 'accountId',
      },
      body: { events },
      timeoutMs: this.callTimeoutMs,
    });
    if (reply.status !== 200) throw LambdaApiError.fromReply(operation, reply);
    const id = reply.headers['lambda-extension-identifier'];
    if (typeof id !== 'string' || id === '') {
      throw new LambdaApiError(operation, `${operation} failed: no Lambda-Extension-Identifier in the answer`, reply.status);
    }
    this.id = id;
    const info = v.safeParse(RegisterResponseSchema, parseJson(reply.body));
    const details = info.success ? info.output : {};
    return {
      extensionId: id,
      functionName: details.functionName,
      functionVersion: details.functionVersion,
      handler: details.handler,
      accountId: details.accountId,
    };
  }

  /**
   * Wait for the next event. No timeout: the call stays open across freezes (on a kept-alive socket, see ./http.ts).
   * @throws LambdaApiError on an error answer, a broken connection or an event it cannot read.
   */
  async next(): Promise<ExtensionEvent> {
    const operation = 'event/next';
    const reply = await this.call(operation, {
      method: 'GET',
      path: `${BASE}/event/next`,
      headers: { 'Lambda-Extension-Identifier': this.extensionId },
    });
    if (reply.status !== 200) throw LambdaApiError.fromReply(operation, reply);
    const event = v.safeParse(ExtensionEventSchema, parseJson(reply.body));
    if (!event.success) {
      throw new LambdaApiError(operation, `${operation} returned an event this extension cannot read: ${v.summarize(event.issues).replace(/\n/g, '; ')}`, reply.status);
    }
    return event.output;
  }

  /** Report a failed init (then exit). `errorType` is `Category.Reason`, e.g. `Extension.ConfigInvalid`. */
  async initError(errorType: string, errorMessage: string): Promise<void> {
    await this.reportError('init/error', errorType, errorMessage);
  }

  /** Report a fatal error after init (then exit). */
  async exitError(errorType: string, errorMessage: string): Promise<void> {
    await this.reportError('exit/error', errorType, errorMessage);
  }

  private async reportError(operation: 'init/error' | 'exit/error', errorType: string, errorMessage: string): Promise<void> {
    const reply = await this.call(operation, {
      method: 'POST',
      path: `${BASE}/${operation}`,
      headers: {
        'Lambda-Extension-Identifier': this.extensionId,
        'Lambda-Extension-Function-Error-Type': errorType,
      },
      body: { errorType, errorMessage },
      timeoutMs: this.callTimeoutMs,
    });
    if (reply.status < 200 || reply.status > 299) throw LambdaApiError.fromReply(operation, reply);
  }

  private async call(operation: string, request: Omit<Parameters<typeof callApi>[0], 'runtimeApi'>): Promise<ApiReply> {
    try {
      return await callApi({ ...request, runtimeApi: this.runtimeApi });
    } catch (error) {
      throw LambdaApiError.fromTransport(operation, this.runtimeApi, error);
    }
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
