import {
  ADAPTIVE_DEFAULTS,
  Adaptive,
  blockingFlushDeadline,
  createFlushStrategy,
  DEFAULT_DEADLINE_MARGIN_MS,
  DEFAULT_FLUSH_RESERVE_MS,
  type FlushStrategy,
} from '../../extension-src/flush/strategy';

/** A controllable clock: the test moves time, strategies only read it through arguments. */
class Clock {
  constructor(public now = 1_700_000_000_000) {}
  advance(ms: number): number {
    this.now += ms;
    return this.now;
  }
}

const invoke = (clock: Clock, id: string, timeoutMs = 3000) => ({ requestId: id, deadlineMs: clock.now + timeoutMs });

describe('end-of-invocation', () => {
  test('always waits for runtimeDone of this request, bounded by the deadline minus the margin and a flush reserve', () => {
    const clock = new Clock();
    const s = createFlushStrategy('end-of-invocation', { intervalMs: 1000 });
    expect(s.name).toBe('end-of-invocation');
    for (const id of ['a', 'b', 'c']) {
      const inv = invoke(clock, id);
      expect(s.onInvoke(inv, clock.now)).toEqual({
        action: 'flush-then-next',
        requestId: id,
        waitUntil: inv.deadlineMs - DEFAULT_DEADLINE_MARGIN_MS - DEFAULT_FLUSH_RESERVE_MS,
        hardDeadline: inv.deadlineMs - DEFAULT_DEADLINE_MARGIN_MS,
      });
      clock.advance(10);
    }
    expect(s.timerIntervalMs()).toBeUndefined();
  });

  test('the margin and the reserve are configurable', () => {
    const s = createFlushStrategy('end-of-invocation', { intervalMs: 1000, deadlineMarginMs: 500, flushReserveMs: 100 });
    expect(s.onInvoke({ requestId: 'x', deadlineMs: 10_000 }, 0)).toMatchObject({ waitUntil: 9_400, hardDeadline: 9_500 });
  });

  test('a blocking flush is bounded by its budget and by the hard deadline', () => {
    expect(blockingFlushDeadline({ hardDeadline: 10_000 }, 1_000, 2_000)).toBe(3_000);
    expect(blockingFlushDeadline({ hardDeadline: 10_000 }, 9_000, 2_000)).toBe(10_000);
  });
});

describe('periodically', () => {
  test('never blocks; flushes in the background at a boundary once the interval has passed', () => {
    const clock = new Clock();
    const s = createFlushStrategy('periodically', { intervalMs: 1000 });
    expect(s.onInvoke(invoke(clock, 'a'), clock.now)).toEqual({ action: 'flush-in-background' });
    s.onFlushed(clock.advance(50));
    expect(s.onInvoke(invoke(clock, 'b'), clock.advance(500))).toEqual({ action: 'none' });
    expect(s.onInvoke(invoke(clock, 'c'), clock.advance(499))).toEqual({ action: 'none' });
    expect(s.onInvoke(invoke(clock, 'd'), clock.advance(1))).toEqual({ action: 'flush-in-background' });
    expect(s.timerIntervalMs()).toBeUndefined();
  });

  test('without a completed flush it asks again at every boundary', () => {
    const clock = new Clock();
    const s = createFlushStrategy('periodically', { intervalMs: 1000 });
    expect(s.onInvoke(invoke(clock, 'a'), clock.now).action).toBe('flush-in-background');
    expect(s.onInvoke(invoke(clock, 'b'), clock.advance(10)).action).toBe('flush-in-background');
  });
});

describe('continuously', () => {
  test('runs a timer at the interval and re-checks at boundaries', () => {
    const clock = new Clock();
    const s = createFlushStrategy('continuously', { intervalMs: 250 });
    expect(s.timerIntervalMs()).toBe(250);
    expect(s.onInvoke(invoke(clock, 'a'), clock.now)).toEqual({ action: 'flush-in-background' });
    s.onFlushed(clock.now);
    expect(s.onInvoke(invoke(clock, 'b'), clock.advance(100))).toEqual({ action: 'none' });
    expect(s.onInvoke(invoke(clock, 'c'), clock.advance(5000))).toEqual({ action: 'flush-in-background' });
  });
});

describe('adaptive', () => {
  function run(s: FlushStrategy, clock: Clock, gaps: number[]): string[] {
    const actions: string[] = [];
    gaps.forEach((gap, i) => {
      const decision = s.onInvoke(invoke(clock, `r${i}`), clock.advance(gap));
      actions.push(decision.action);
      if (decision.action !== 'none') s.onFlushed(clock.now);
    });
    return actions;
  }

  test('documented thresholds', () => {
    expect(ADAPTIVE_DEFAULTS).toEqual({ window: 10, minGaps: 4, frequentBelowMs: 1000, infrequentAboveMs: 2000 });
  });

  test('starts as end-of-invocation and stays so while invocations are rare', () => {
    const clock = new Clock();
    const s = createFlushStrategy('adaptive', { intervalMs: 1000 });
    expect(run(s, clock, [0, 5000, 60_000, 3000, 2500, 10_000, 2100])).toEqual(Array(7).fill('flush-then-next'));
    expect(s.timerIntervalMs()).toBeUndefined();
  });

  test('needs a few gaps before it calls a burst frequent', () => {
    const clock = new Clock();
    const s = new Adaptive(1000, 250);
    // first start + 3 gaps: not enough evidence; the 4th gap flips it.
    expect(run(s, clock, [0, 100, 100, 100])).toEqual(Array(4).fill('flush-then-next'));
    expect(s.regime).toBe('infrequent');
    // frequent now; the end-of-invocation flush 100 ms ago counts, so no background flush yet
    expect(run(s, clock, [100])).toEqual(['none']);
    expect(s.regime).toBe('frequent');
    expect(s.timerIntervalMs()).toBe(1000);
  });

  test('frequent: no blocking; background flush at a boundary only once the interval has passed', () => {
    const clock = new Clock();
    const s = createFlushStrategy('adaptive', { intervalMs: 1000 });
    run(s, clock, [0, 100, 100, 100, 100]); // last blocking flush at the 4th start (t=300), frequent from t=400
    expect(run(s, clock, [300, 300, 300, 300])).toEqual(['none', 'none', 'flush-in-background', 'none']);
  });

  test('one long pause does not flip a busy function back (median, not mean)', () => {
    const clock = new Clock();
    const s = new Adaptive(1000, 250);
    run(s, clock, [0, 200, 200, 200, 200, 200]);
    run(s, clock, [120_000]);
    expect(s.regime).toBe('frequent');
  });

  test('hysteresis: stays frequent between 1 s and 2 s, returns to end-of-invocation above 2 s', () => {
    const clock = new Clock();
    const s = new Adaptive(1000, 250);
    run(s, clock, Array(10).fill(200));
    expect(s.regime).toBe('frequent');
    run(s, clock, Array(10).fill(1500));
    expect(s.regime).toBe('frequent');
    const actions = run(s, clock, Array(10).fill(2500));
    expect(s.regime).toBe('infrequent');
    expect(actions[actions.length - 1]).toBe('flush-then-next');
    expect(s.timerIntervalMs()).toBeUndefined();
    // and from infrequent, 1.5 s gaps are not frequent
    run(s, clock, Array(10).fill(1500));
    expect(s.regime).toBe('infrequent');
  });

  test('thresholds can be tuned', () => {
    const clock = new Clock();
    const s = new Adaptive(1000, 250, { minGaps: 1, frequentBelowMs: 50, infrequentAboveMs: 60 });
    run(s, clock, [0, 40]);
    expect(s.regime).toBe('frequent');
  });
});
