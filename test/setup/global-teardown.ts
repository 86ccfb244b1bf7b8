import { finishTempCheck } from './temp-check';

/**
 * Jest global teardown, once after every test: the run must leave nothing in the temp folder
 * (see ./temp-check.ts). Lists the leftovers (they are removed either way) and makes the run
 * exit non-zero. It does not throw: jest would then skip writing its results (`--json
 * --outputFile`), and CI's `N passed, N failed` line is computed from them.
 */
export default function globalTeardown(): void {
  const left = finishTempCheck();
  if (left === undefined || left.length === 0) return;
  console.error(`\nFAILED: the tests left ${left.length} entr${left.length === 1 ? 'y' : 'ies'} in the temp folder (removed now; make the test that writes them clean up, e.g. with test/support/temp.ts):\n  ${left.join('\n  ')}\n`);
  // jest ends with process.exit(code); an exit listener still sets the final status.
  process.on('exit', () => {
    process.exitCode = 1;
  });
}
