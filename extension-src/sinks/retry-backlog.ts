/**
 * @deprecated Moved to ../delivery/backlog.ts. Kept only for test/reliability/sink-faults.test.ts's
 * type import (a file this change may not edit); delete once that import moves.
 */
export type { BacklogLimits } from '../delivery/backlog';
