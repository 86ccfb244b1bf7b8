/**
 * Client of the Lambda Telemetry API subscription (`PUT /2022-07-01/telemetry`).
 */
import type { TelemetryTypeName } from '../../lib/config/contract';
import type { BufferingConfig } from '../config/types';
import { log } from '../log';
import { isManagedInstances } from './extensions-api';
import { callApi, LambdaApiError } from './http';

const PATH = '/2022-07-01/telemetry';

/** Where the Telemetry API delivers: the listener's one route, `POST /`. */
export const DESTINATION_HOST = 'sandbox.localdomain';

/** 2022-12-13 everywhere, except Lambda Managed Instances, which require 2025-01-29. */
export function telemetrySchemaVersion(env: NodeJS.ProcessEnv): '2022-12-13' | '2025-01-29' {
  return isManagedInstances(env) ? '2025-01-29' : '2022-12-13';
}

export interface SubscribeOptions {
  /** `host:port` from `AWS_LAMBDA_RUNTIME_API`. */
  readonly runtimeApi: string;
  readonly extensionId: string;
  readonly schemaVersion: '2022-07-01' | '2022-12-13' | '2025-01-29';
  readonly types: readonly TelemetryTypeName[];
  readonly buffering: BufferingConfig;
  /** The listener's port. */
  readonly port: number;
  readonly timeoutMs?: number;
}

/** `subscribed`: 200. `not-supported`: 202, a local emulator without a Telemetry API. */
export type SubscribeResult = 'subscribed' | 'not-supported';

/** The subscription request body. */
export function subscriptionBody(options: Pick<SubscribeOptions, 'schemaVersion' | 'types' | 'buffering' | 'port'>) {
  return {
    schemaVersion: options.schemaVersion,
    types: [...options.types],
    buffering: {
      maxItems: options.buffering.maxItems,
      maxBytes: options.buffering.maxBytes,
      timeoutMs: options.buffering.timeoutMs,
    },
    destination: { protocol: 'HTTP', URI: `http://${DESTINATION_HOST}:${options.port}` },
  };
}

/**
 * Subscribe the listener. A 202 means the environment does not implement the Telemetry API: it
 * is logged (once: this is called once) and the extension carries on without telemetry.
 * @throws LambdaApiError with the API's `errorType` and message on 4xx/5xx or no answer.
 */
export async function subscribe(options: SubscribeOptions): Promise<SubscribeResult> {
  const operation = 'telemetry subscribe';
  let reply;
  try {
    reply = await callApi({
      method: 'PUT',
      runtimeApi: options.runtimeApi,
      path: PATH,
      headers: { 'Lambda-Extension-Identifier': options.extensionId },
      body: subscriptionBody(options),
      timeoutMs: options.timeoutMs ?? 5_000,
    });
  } catch (error) {
    throw LambdaApiError.fromTransport(operation, options.runtimeApi, error);
  }
  if (reply.status === 200) return 'subscribed';
  if (reply.status === 202) {
    log.warn('the Telemetry API is not supported here (subscribe answered 202): running without telemetry');
    return 'not-supported';
  }
  throw LambdaApiError.fromReply(operation, reply);
}
