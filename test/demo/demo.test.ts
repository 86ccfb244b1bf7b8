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

  test("shows each invocation's trace as a waterfall: joined with the function's spans, or platform-only, said so", () => {
    const section = output.slice(output.indexOf("Each invocation's trace"), output.indexOf('Received by the local OTLP receiver'));
    const blocks = section.split(/\n(?=#\d )/).slice(1);
    expect(blocks.map((b) => b.slice(0, 2))).toEqual(['#1', '#2', '#3', '#4', '#5', '#6']);
    const joined = section.includes('joined:');
    // Without the receiver the demo says why the function's spans are missing.
    expect(section.includes('platform-only waterfalls')).toBe(!joined);
    for (const [i, block] of blocks.entries()) {
      const lines = block.split('\n').filter((l) => /^ {2}\[(pl|fn)\]/.test(l));
      // Every line has a bar on the same axis (same width between the pipes) and a duration.
      expect(new Set(lines.map((l) => l.lastIndexOf('|') - l.indexOf('|')))).toHaveProperty('size', 1);
      expect(lines.every((l) => /\| \d+(\.\d)? ms$/.test(l))).toBe(true);
      expect(lines.some((l) => /\[pl\][ !]\s*telemetry-example/.test(l))).toBe(true);
      if (i === 0 || i === 5) expect(lines.some((l) => /\[pl\]\s+init/.test(l))).toBe(true);
      // The timeout's handler never flushed: it stands alone; the others are joined when the receiver runs.
      if (joined && i !== 4) {
        expect(block).toMatch(/^#\d .*\(joined: 2 function \+/);
        expect(lines[0]).toMatch(/^ {2}\[fn\][ !]handler/);
        expect(lines.some((l) => /^ {2}\[pl\][ !] {2}telemetry-example/.test(l))).toBe(true);
        expect(lines.some((l) => /^ {2}\[fn\] {3}work/.test(l))).toBe(true);
      }
    }
  });

  test('counts spans, metrics and log records, and ends with the extension exiting 0', () => {
    expect(output).toMatch(/^spans\s+\d+\s+6 invocation \(SERVER\) spans/m);
    expect(output).toMatch(/^metrics\s+\d+\s+\d+ data points of \d+ metrics: /m);
    expect(output).toMatch(/^log records\s+\d+\s+\d+ function log lines, 6 REPORT records/m);
    expect(output).toMatch(/SHUTDOWN: extension exited with code 0/);
    expect(output).toMatch(/dropped=0/);
  });
});
