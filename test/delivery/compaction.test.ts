import { AFTER_BYTES, IDLE_MS, IdleCompaction, type CompactionClock } from '../../extension-src/delivery/compaction';

/** A clock whose timers run when the test moves time forward. */
class ManualClock implements CompactionClock {
  time = 0;
  private timers: Array<{ at: number; fn: () => void }> = [];
  now = () => this.time;
  setTimeout = (fn: () => void, ms: number) => {
    const timer = { at: this.time + ms, fn };
    this.timers.push(timer);
    return Object.assign(timer, { unref: () => undefined });
  };
  clearTimeout = (timer: unknown) => {
    this.timers = this.timers.filter((t) => t !== timer);
  };
  advance(ms: number): void {
    this.time += ms;
    for (const t of this.timers.filter((x) => x.at <= this.time)) {
      this.timers = this.timers.filter((x) => x !== t);
      t.fn();
    }
  }
  get pending(): number {
    return this.timers.length;
  }
}

function setup() {
  const clock = new ManualClock();
  let gcs = 0;
  const compaction = new IdleCompaction(() => gcs++, clock);
  return { clock, compaction, gcs: () => gcs };
}

describe('IdleCompaction', () => {
  test('one gc() once the bodies stop, only after AFTER_BYTES', () => {
    const { clock, compaction, gcs } = setup();
    compaction.activity(AFTER_BYTES / 2);
    clock.advance(IDLE_MS * 4);
    expect(gcs()).toBe(0); // not enough exported yet
    compaction.activity(AFTER_BYTES / 2);
    clock.advance(IDLE_MS - 1);
    expect(gcs()).toBe(0);
    clock.advance(1);
    expect(gcs()).toBe(1);
    clock.advance(IDLE_MS * 10);
    expect(gcs()).toBe(1); // once per burst
    compaction.activity(1000);
    clock.advance(IDLE_MS * 2);
    expect(gcs()).toBe(1); // the counter started over
  });

  test('never while bodies keep coming (a busy period)', () => {
    const { clock, compaction, gcs } = setup();
    for (let i = 0; i < 100; i++) {
      compaction.activity(AFTER_BYTES);
      clock.advance(IDLE_MS - 10);
    }
    expect(gcs()).toBe(0);
    clock.advance(10);
    expect(gcs()).toBe(1);
  });

  test('a timer that fires long after it was due (frozen meanwhile) re-arms instead', () => {
    const { clock, compaction, gcs } = setup();
    compaction.activity(AFTER_BYTES);
    clock.advance(60_000); // the environment was frozen; at the thaw an invocation starts
    expect(gcs()).toBe(0);
    expect(clock.pending).toBe(1);
    clock.advance(IDLE_MS);
    expect(gcs()).toBe(1);
    expect(compaction.compactions).toBe(1);
  });

  test('without --expose-gc it does nothing; cancel() stops a pending one', () => {
    const clock = new ManualClock();
    const none = new IdleCompaction(undefined, clock);
    none.activity(AFTER_BYTES * 2);
    expect(clock.pending).toBe(0);
    const { clock: c2, compaction, gcs } = setup();
    compaction.activity(AFTER_BYTES);
    compaction.cancel();
    c2.advance(IDLE_MS * 2);
    expect(gcs()).toBe(0);
  });
});
