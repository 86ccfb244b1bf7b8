/**
 * The demo, as the README runs it (`npx projen demo` = build the layer, then this script): run as
 * a process, it must print the invocation table with every planned invocation exported.
 */
import { execFileSync } from 'child_process';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..');

describe('the demo', () => {
  let output: string;

  beforeAll(() => {
    output = execFileSync(path.join(ROOT, 'node_modules', '.bin', 'tsx'), ['test/demo/demo.ts'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 120_000,
    });
  }, 130_000);

  test('shows progress, then a table row per invocation with what the extension exported', () => {
    expect(output).toMatch(/invoke 1\/6 \(cold start\): success/);
    const rows = output.split('\n').filter((l) => /^[1-6] {2}/.test(l));
    expect(rows).toHaveLength(6);
    expect(rows[0]).toMatch(/cold start .* OK .* ms .* ms .* MB\s+true$/);
    expect(rows[3]).toMatch(/ERROR/);
    expect(rows[4]).toMatch(/ERROR Sandbox\.Timeout/);
    expect(rows[5]).toMatch(/true$/); // the reset after the timeout means a new cold start
    expect(output).not.toMatch(/not exported/);
  });

  test('counts spans, metrics and log records, and ends with the extension exiting 0', () => {
    expect(output).toMatch(/^spans\s+\d+\s+6 invocation \(SERVER\) spans/m);
    expect(output).toMatch(/^metrics\s+\d+\s+\d+ data points of \d+ metrics: /m);
    expect(output).toMatch(/^log records\s+\d+\s+\d+ function log lines, 6 REPORT records/m);
    expect(output).toMatch(/SHUTDOWN: extension exited with code 0/);
    expect(output).toMatch(/dropped=0/);
  });
});
