import { planDrain, planRunningReportWait, planShutdown } from '../../extension-src/lifecycle/shutdown-plan';
import { DEFAULT_TIMING } from '../../extension-src/lifecycle/timing';

const NOW = 1_000_000;

describe('planShutdown: how the SHUTDOWN deadline is split', () => {
  test('a 2 s deadline (Lambda\'s usual with one extension): the report wait is capped at 30% of the budget', () => {
    const plan = planShutdown({ deadlineMs: NOW + 2_000, now: NOW, bufferingTimeoutMs: 1_000, timing: DEFAULT_TIMING });
    expect(plan.end).toBe(NOW + 1_850); // 150 ms margin before SIGKILL
    expect(plan.reportWaitMs).toBeCloseTo(555, 6); // 30% of 1850, less than 500 + 1000
    expect(plan.sinkDeadline).toBe(NOW + 1_800); // 50 ms for the sink's drops to be counted
  });

  test('a long deadline: the report wait is the buffering timeout plus finalReportWaitMs', () => {
    const plan = planShutdown({ deadlineMs: NOW + 10_000, now: NOW, bufferingTimeoutMs: 100, timing: DEFAULT_TIMING });
    expect(plan.reportWaitMs).toBe(600);
  });

  test('a deadline already past: nothing to wait for, every instant is in the past', () => {
    const plan = planShutdown({ deadlineMs: NOW - 10, now: NOW, bufferingTimeoutMs: 1_000, timing: DEFAULT_TIMING });
    expect(plan.reportWaitMs).toBeLessThanOrEqual(0);
    expect(plan.end).toBeLessThan(NOW);
    expect(plan.sinkDeadline).toBeLessThan(plan.end);
  });

  test('the margins come from the timing given', () => {
    const timing = { shutdownMarginMs: 100, sinkSettleMs: 200, finalReportWaitMs: 10 };
    const plan = planShutdown({ deadlineMs: NOW + 1_000, now: NOW, bufferingTimeoutMs: 0, timing });
    expect(plan).toEqual({ end: NOW + 900, reportWaitMs: 10, sinkDeadline: NOW + 700 });
  });
});

describe('planDrain: the drain\'s share of what is left after the report wait', () => {
  test('attempts start within 60% of what is left, waiting stops at 70%', () => {
    const drain = planDrain({ end: NOW + 1_000 }, NOW);
    expect(drain.attemptsUntil).toBe(NOW + 600);
    expect(drain.waitMs).toBe(700);
  });

  test('the drain ends before the sink\'s deadline, which ends before the plan\'s end', () => {
    const plan = planShutdown({ deadlineMs: NOW + 2_000, now: NOW, bufferingTimeoutMs: 1_000, timing: DEFAULT_TIMING });
    const afterWait = NOW + plan.reportWaitMs;
    const drain = planDrain(plan, afterWait);
    expect(drain.attemptsUntil).toBeLessThan(afterWait + drain.waitMs);
    expect(afterWait + drain.waitMs).toBeLessThan(plan.sinkDeadline);
    expect(plan.sinkDeadline).toBeLessThan(plan.end);
  });

  test('nothing left: no attempt may start and nothing is awaited', () => {
    const drain = planDrain({ end: NOW - 5 }, NOW);
    expect(drain.attemptsUntil).toBeLessThan(NOW);
    expect(drain.waitMs).toBeLessThan(0);
  });
});

describe('planRunningReportWait: invocations that may still run at SHUTDOWN (managed instances)', () => {
  test('a 2 s deadline: up to 60% of the budget, twice the wait for a buffered report', () => {
    const plan = planShutdown({ deadlineMs: NOW + 2_000, now: NOW, bufferingTimeoutMs: 25, timing: DEFAULT_TIMING });
    expect(plan.reportWaitMs).toBe(525);
    expect(planRunningReportWait(plan, NOW)).toBeCloseTo(1_110, 6);
    const drain = planDrain(plan, NOW + planRunningReportWait(plan, NOW));
    expect(NOW + planRunningReportWait(plan, NOW) + drain.waitMs).toBeLessThan(plan.sinkDeadline);
  });

  test('never shorter than the plan\'s own report wait', () => {
    expect(planRunningReportWait({ end: NOW + 100, reportWaitMs: 500 }, NOW)).toBe(500);
  });
});
