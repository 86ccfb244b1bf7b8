import { FlushTimer } from '../../extension-src/flush/flush-timer';

describe('FlushTimer', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  test('ticks at the interval, restarts only when the interval changes, stops on undefined', () => {
    const tick = jest.fn();
    const timer = new FlushTimer(tick);
    timer.set(100);
    jest.advanceTimersByTime(250);
    expect(tick).toHaveBeenCalledTimes(2);
    timer.set(100); // same interval: the running timer keeps its phase
    jest.advanceTimersByTime(50);
    expect(tick).toHaveBeenCalledTimes(3);
    timer.set(1000);
    expect(timer.intervalMs).toBe(1000);
    jest.advanceTimersByTime(999);
    expect(tick).toHaveBeenCalledTimes(3);
    jest.advanceTimersByTime(1);
    expect(tick).toHaveBeenCalledTimes(4);
    timer.set(undefined);
    jest.advanceTimersByTime(10_000);
    expect(tick).toHaveBeenCalledTimes(4);
    expect(timer.intervalMs).toBeUndefined();
  });

  test('stop is idempotent and never ticks again', () => {
    const tick = jest.fn();
    const timer = new FlushTimer(tick);
    timer.stop();
    timer.set(10);
    timer.stop();
    timer.stop();
    jest.advanceTimersByTime(100);
    expect(tick).not.toHaveBeenCalled();
  });
});
