import { finishTempCheck } from './temp-check';

/**
 * Jest global teardown, once after every test: the run must leave nothing in the temp folder
 * (see ./temp-check.ts). Fails the run, listing the leftovers (they are removed either way).
 */
export default function globalTeardown(): void {
  const left = finishTempCheck();
  if (left !== undefined && left.length > 0) {
    throw new Error(`the tests left ${left.length} entr${left.length === 1 ? 'y' : 'ies'} in the temp folder (removed now; make the test that writes them clean up, e.g. with test/support/temp.ts):\n  ${left.join('\n  ')}`);
  }
}
