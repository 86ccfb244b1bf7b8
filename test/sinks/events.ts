/**
 * Test events for the sinks: the shared fixtures and builders for the rest of the catalogue,
 * all passed through the real `parseBatch` so sinks see exactly what the listener hands on.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseBatch } from '../../extension-src/telemetry/parse-batch';
import type { ParsedEvent } from '../../extension-src/telemetry/schemas';
import { sharedFixtures } from '../support/shared-fixtures';

/** The upstream payloads in test/fixtures/upstream/telemetry. */
const SHARED_FIXTURES = sharedFixtures('telemetry');

/** A fixture file of test/fixtures/upstream/telemetry, parsed. */
export function fixture(name: string): ParsedEvent[] {
  return parse(JSON.parse(fs.readFileSync(path.join(SHARED_FIXTURES, name), 'utf8')));
}

/** Parse raw `{time, type, record}` objects; fails the test on any invalid one. */
export function parse(raw: unknown[]): ParsedEvent[] {
  const batch = parseBatch(raw, Date.parse('2030-01-01T00:00:00Z'));
  if (batch.invalid.length > 0) throw new Error(`invalid test events: ${JSON.stringify(batch.invalid)}`);
  return batch.events;
}

export const TRACE_HEADER = 'Root=1-6352a70e-1e2c502e358361800241fd45;Parent=35465b3a9e2f7c6a;Sampled=1';
export const TRACE_ID = '6352a70e1e2c502e358361800241fd45';
export const PARENT_ID = '35465b3a9e2f7c6a';

const iso = (ms: number) => new Date(ms).toISOString();
export const T0 = Date.parse('2024-05-01T10:00:00.000Z');

export const raw = {
  initStart: (at: number, initializationType = 'on-demand', phase = 'init') => ({
    time: iso(at), type: 'platform.initStart', record: { initializationType, phase, functionName: 'orders-api', functionVersion: '$LATEST' },
  }),
  initRuntimeDone: (at: number, status = 'success', errorType?: string) => ({
    time: iso(at), type: 'platform.initRuntimeDone', record: { initializationType: 'on-demand', phase: 'init', status, ...(errorType ? { errorType } : {}) },
  }),
  initReport: (at: number, durationMs: number, initializationType = 'on-demand', status = 'success') => ({
    time: iso(at), type: 'platform.initReport', record: { initializationType, phase: 'init', status, metrics: { durationMs } },
  }),
  restoreStart: (at: number) => ({ time: iso(at), type: 'platform.restoreStart', record: { functionName: 'orders-api', functionVersion: '3' } }),
  restoreRuntimeDone: (at: number, status = 'success') => ({ time: iso(at), type: 'platform.restoreRuntimeDone', record: { status } }),
  restoreReport: (at: number, durationMs: number, status = 'success') => ({ time: iso(at), type: 'platform.restoreReport', record: { status, metrics: { durationMs } } }),
  start: (at: number, requestId: string, tracing?: string) => ({
    time: iso(at), type: 'platform.start', record: { requestId, version: '$LATEST', ...(tracing ? { tracing: { type: 'X-Amzn-Trace-Id', value: tracing } } : {}) },
  }),
  runtimeDone: (at: number, requestId: string, durationMs: number, status = 'success', errorType?: string, withSpans = true) => ({
    time: iso(at),
    type: 'platform.runtimeDone',
    record: {
      requestId,
      status,
      ...(errorType ? { errorType } : {}),
      metrics: { durationMs, producedBytes: 12 },
      ...(withSpans ? {
        spans: [
          { name: 'responseLatency', start: iso(at - durationMs), durationMs: durationMs - 1 },
          { name: 'responseDuration', start: iso(at - 1), durationMs: 0.5 },
        ],
      } : {}),
    },
  }),
  report: (at: number, requestId: string, durationMs: number, status = 'success', extra: Record<string, unknown> = {}) => ({
    time: iso(at),
    type: 'platform.report',
    record: {
      requestId,
      status,
      metrics: { durationMs, billedDurationMs: Math.ceil(durationMs), memorySizeMB: 512, maxMemoryUsedMB: 90, ...extra },
    },
  }),
  managedReport: (at: number, requestId: string, durationMs: number, status = 'success') => ({
    time: iso(at), type: 'platform.report', record: { requestId, status, metrics: { durationMs } },
  }),
  logsDropped: (at: number, droppedRecords: number) => ({
    time: iso(at), type: 'platform.logsDropped', record: { droppedRecords, droppedBytes: droppedRecords * 100, reason: 'Consumer seems to have fallen behind' },
  }),
  functionLog: (at: number, record: unknown) => ({ time: iso(at), type: 'function', record }),
  extensionLog: (at: number, record: unknown) => ({ time: iso(at), type: 'extension', record }),
  unknown: (at: number) => ({ time: iso(at), type: 'platform.future', record: { anything: [1, 2] } }),
};

export const REQ1 = '459921b5-681c-4a96-beb0-81e0aa586026';
export const REQ2 = '6d68ca91-49c9-448d-89b8-7ca3e6dc66aa';
export const REQ3 = '79b4f56e-95b1-4643-9700-2807f4e68189';
