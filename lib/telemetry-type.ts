/**
 * A kind of telemetry the extension subscribes to through the Lambda Telemetry API.
 */
export enum TelemetryType {
  /** Platform events: init, invoke start / runtime done / report, restore, extension state, dropped logs. */
  PLATFORM = 'platform',
  /** The function's own log lines (what it writes to stdout / stderr). */
  FUNCTION = 'function',
  /** Log lines written by the function's extensions (this extension's own output is filtered out). */
  EXTENSION = 'extension',
}
