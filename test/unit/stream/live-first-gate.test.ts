import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LiveFirstGate, MAX_YIELD_MS } from '../../../src/stream/live-first-gate.js';

/** A batch as the gate sees it; records what happened to it, in order, into `events`. */
function batch(events: string[], name: string, running = () => true) {
  return {
    name,
    isRunning: running,
    heartbeat: () => {
      events.push(`${name} heartbeat`);
      return Promise.resolve();
    },
  };
}
type Batch = ReturnType<typeof batch>;

/** A live batch handler that runs until the test finishes it. */
function liveWork(events: string[]) {
  const finishers = new Map<string, () => void>();
  const handler = (payload: Batch) =>
    new Promise<void>((resolve) => {
      events.push(`${payload.name} started`);
      finishers.set(payload.name, () => {
        events.push(`${payload.name} done`);
        resolve();
      });
    });
  const finish = (name: string) => finishers.get(name)?.();
  return { handler, finish };
}

function replayWork(events: string[]) {
  return (payload: Batch) => {
    events.push(`${payload.name} processed`);
    return Promise.resolve();
  };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('live traffic first: a replay batch waits for the live batches in flight', () => {
  it('runs a replay batch at once, after a heartbeat, when no live batch is in flight', async () => {
    const events: string[] = [];
    const gate = new LiveFirstGate();
    await gate.yieldingTo(replayWork(events))(batch(events, 'replay-1'));
    expect(events).toEqual(['replay-1 heartbeat', 'replay-1 processed']);
  });

  it('waits until every live batch in flight is done, and no longer', async () => {
    const events: string[] = [];
    const gate = new LiveFirstGate();
    const live = liveWork(events);
    const tracked = gate.tracking(live.handler);
    const first = tracked(batch(events, 'live-0'));
    const second = tracked(batch(events, 'live-1'));
    expect(gate.liveBusy).toBe(true);

    const replay = gate.yieldingTo(replayWork(events))(batch(events, 'replay-1'));
    await vi.advanceTimersByTimeAsync(500);
    live.finish('live-0');
    await vi.advanceTimersByTimeAsync(500);
    expect(events).not.toContain('replay-1 processed');

    live.finish('live-1');
    // no polling interval to wait for: the replay batch goes as soon as the live work drained, with no time passing
    await vi.advanceTimersByTimeAsync(0);
    expect(gate.liveBusy).toBe(false);
    expect(events).toEqual([
      'live-0 started',
      'live-1 started',
      'live-0 done',
      'live-1 done',
      'replay-1 heartbeat',
      'replay-1 processed',
    ]);
    await Promise.all([first, second, replay]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('waits MAX_YIELD_MS at most, so replay still advances under steady live load', async () => {
    const events: string[] = [];
    const gate = new LiveFirstGate();
    const live = liveWork(events);
    void gate.tracking(live.handler)(batch(events, 'live-0'));

    const replay = gate.yieldingTo(replayWork(events))(batch(events, 'replay-1'));
    await vi.advanceTimersByTimeAsync(MAX_YIELD_MS - 1);
    expect(events).toEqual(['live-0 started']);
    await vi.advanceTimersByTimeAsync(1);
    await replay;
    expect(events).toEqual(['live-0 started', 'replay-1 heartbeat', 'replay-1 processed']);

    // the next replay batch waits again, and is let go when the live batch ends
    const next = gate.yieldingTo(replayWork(events))(batch(events, 'replay-2'));
    await vi.advanceTimersByTimeAsync(100);
    live.finish('live-0');
    await next;
    expect(events.slice(-3)).toEqual(['live-0 done', 'replay-2 heartbeat', 'replay-2 processed']);
  });

  it('a live batch that fails still counts as done', async () => {
    const events: string[] = [];
    const gate = new LiveFirstGate();
    const failing = gate.tracking((_: Batch) => Promise.reject(new Error('fenced')));
    await expect(failing(batch(events, 'live-0'))).rejects.toThrow('fenced');
    expect(gate.liveBusy).toBe(false);
    await gate.yieldingTo(replayWork(events))(batch(events, 'replay-1'));
    expect(events).toEqual(['replay-1 heartbeat', 'replay-1 processed']);
  });

  it('does not wait when the replay consumer is stopping', async () => {
    const events: string[] = [];
    const gate = new LiveFirstGate();
    const live = liveWork(events);
    void gate.tracking(live.handler)(batch(events, 'live-0'));
    await gate.yieldingTo(replayWork(events))(batch(events, 'replay-1', () => false));
    expect(events).toEqual(['live-0 started', 'replay-1 heartbeat', 'replay-1 processed']);
    live.finish('live-0');
  });
});
