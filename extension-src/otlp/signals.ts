/**
 * Which OTLP signals an event's records went to: the sink makes one request per signal, and an
 * event is exported when every request carrying its records was delivered.
 */
import type { OtlpSignal } from './endpoints';

/** The signals an event's records went to. */
export type Signals = ReadonlySet<OtlpSignal>;

/** One shared set per combination: no allocation per event. */
const SIGNAL_SETS: readonly Signals[] = Array.from({ length: 8 }, (_, i) => new Set<OtlpSignal>([
  ...(i % 2 === 1 ? ['traces' as const] : []),
  ...(Math.floor(i / 2) % 2 === 1 ? ['metrics' as const] : []),
  ...(i >= 4 ? ['logs' as const] : []),
]));

/** The set of signals selected by the flags. */
export function signalsOf(traces: boolean, metrics: boolean, logs = false): Signals {
  return SIGNAL_SETS[(traces ? 1 : 0) + (metrics ? 2 : 0) + (logs ? 4 : 0)];
}

export const NO_SIGNALS = signalsOf(false, false);
