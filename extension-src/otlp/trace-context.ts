/**
 * Trace and span ids: from the X-Ray trace header the Telemetry API events carry
 * (`tracing.value`, `Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1`),
 * else random.
 */

export interface XRayContext {
  /** 32 lower-case hex digits: the Root without `1-` and dashes. */
  readonly traceId: string;
  /** 16 lower-case hex digits, when the header has a valid `Parent`. */
  readonly parentSpanId?: string;
  /** `Sampled=1` true, `Sampled=0` false, absent or `?` undefined. */
  readonly sampled?: boolean;
}

const ROOT = /^1-([0-9a-f]{8})-([0-9a-f]{24})$/i;
const SPAN_ID = /^[0-9a-f]{16}$/i;
const ZERO = /^0+$/;

/** Parse an X-Ray trace header value; `undefined` when it has no valid Root. */
export function parseXRayHeader(value: string | undefined): XRayContext | undefined {
  if (!value) return undefined;
  let traceId: string | undefined;
  let parentSpanId: string | undefined;
  let sampled: boolean | undefined;
  for (const part of value.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim().toLowerCase();
    const val = part.slice(eq + 1).trim();
    if (key === 'root') {
      const m = ROOT.exec(val);
      if (m) traceId = `${m[1]}${m[2]}`.toLowerCase();
    } else if (key === 'parent') {
      if (SPAN_ID.test(val) && !ZERO.test(val)) parentSpanId = val.toLowerCase();
    } else if (key === 'sampled') {
      if (val === '1') sampled = true;
      else if (val === '0') sampled = false;
    }
  }
  if (traceId === undefined || ZERO.test(traceId)) return undefined;
  return { traceId, parentSpanId, sampled };
}

/** Source of new ids (injectable for deterministic tests). */
export interface IdGenerator {
  traceId(): string;
  spanId(): string;
  /** Forget any random bytes drawn before (a SnapStart restore: they are the snapshot's). */
  reseed?(): void;
}

/** node:crypto's randomBytes, loaded at the first call (not at init: it takes a few ms to load). */
function systemRandomBytes(size: number): Buffer {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- keeps node:crypto off the init path
  return (require('node:crypto') as typeof import('node:crypto')).randomBytes(size);
}

/** Random bytes drawn per refill of {@link RandomIds}: 512 span ids. */
export const RANDOM_POOL_BYTES = 4096;

/**
 * Random ids cut from a pool of random bytes: one `randomBytes` call per 512 span ids instead of
 * one per id (a system call each; it was about 6 % of the OTLP path's CPU time).
 */
export class RandomIds implements IdGenerator {
  private pool: Buffer = Buffer.alloc(0);
  private offset = 0;

  /** `randomBytes`: the source of the pool (injectable to prove each generator draws its own). */
  constructor(private readonly randomBytes: (size: number) => Buffer = systemRandomBytes) {}

  traceId(): string {
    return this.nonZeroHex(16);
  }

  spanId(): string {
    return this.nonZeroHex(8);
  }

  reseed(): void {
    this.pool = Buffer.alloc(0);
    this.offset = 0;
  }

  private nonZeroHex(bytes: number): string {
    for (;;) {
      if (this.offset + bytes > this.pool.length) {
        this.pool = this.randomBytes(RANDOM_POOL_BYTES);
        this.offset = 0;
      }
      const id = this.pool.toString('hex', this.offset, this.offset + bytes);
      this.offset += bytes;
      if (!ZERO.test(id)) return id;
    }
  }
}
