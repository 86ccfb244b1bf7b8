/**
 * OTLP/HTTP endpoint semantics of `OTEL_EXPORTER_OTLP_ENDPOINT`: the configured value is a base
 * URL and each signal's path (`v1/traces`, `v1/metrics`, `v1/logs`) is appended to it, with a `/`
 * between them unless the base already ends with one.
 */
import { httpUrlReason } from '../config/http-url';

export type OtlpSignal = 'traces' | 'metrics' | 'logs';

/** The URL of one signal under `base`. Throws on an invalid or non-HTTP(S) base. */
export function signalUrl(base: string, signal: OtlpSignal): URL {
  const reason = httpUrlReason(base, 'http(s)');
  if (reason !== undefined) throw new TypeError(`OTLP endpoint ${reason}`);
  const url = new URL(base);
  url.pathname = `${url.pathname.endsWith('/') ? url.pathname : `${url.pathname}/`}v1/${signal}`;
  return url;
}
