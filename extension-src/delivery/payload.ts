/**
 * What a sink hands to delivery: payloads that know how to encode themselves and, for sinks with
 * per-request limits, how to halve themselves. A {@link PayloadSplitter} decides, per encoded
 * payload, whether it goes as one request or as several.
 */

export interface Payload {
  /** For log lines, e.g. `traces`, `events`. */
  readonly label: string;
  readonly url: URL;
  readonly contentType: string;
  /** Headers of this request only (on top of the transport's). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Records it holds (spans, log records, metrics, events): what per-request item limits count. */
  readonly items: number;
  /** The request body, uncompressed. `undefined` or a throw: it cannot be encoded (its events are dropped). */
  encode(): Uint8Array | string | undefined;
  /** Two payloads holding its records between them; `undefined` when it cannot be split (one record). */
  split?(): readonly [Payload, Payload] | undefined;
}

/** The payloads to send instead of `payload` (encoded as `body`), or `undefined` to send it as is. */
export type PayloadSplitter = (payload: Payload, body: Uint8Array) => readonly Payload[] | undefined;

export interface RequestLimits {
  /** Most records per request. */
  readonly maxItems?: number;
  /** Most uncompressed body bytes per request. */
  readonly maxBodyBytes?: number;
}

/** Halves payloads until each fits `limits` (or holds a single record, which goes as it is). */
export function splitToLimits(limits: RequestLimits): PayloadSplitter {
  return (payload, body) => {
    const tooMany = limits.maxItems !== undefined && payload.items > limits.maxItems;
    const tooBig = limits.maxBodyBytes !== undefined && body.byteLength > limits.maxBodyBytes;
    if (!tooMany && !tooBig) return undefined;
    return payload.split?.();
  };
}
