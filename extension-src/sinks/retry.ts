/**
 * @deprecated Moved to ../delivery/retry.ts. Kept only for test/reliability/sink-faults.test.ts's
 * type imports (a file this change may not edit); delete once that import moves.
 */
export type { RetryClock, RetryPolicy } from '../delivery/retry';
