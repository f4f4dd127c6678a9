import { describe, expect, it } from 'vitest';
import { afterUnexpectedExit } from '../../../../src/http/cluster/restart-policy.js';

const policy = { maxRestarts: 3, windowMs: 10_000 };

describe('afterUnexpectedExit (when the primary of serve --workers N stops restarting)', () => {
  it('gives up at once when no worker has listened yet: a start-up failure repeats on every restart', () => {
    expect(afterUnexpectedExit([], 1_000, false, policy)).toEqual({
      restart: false,
      recentExits: [1_000],
      why: 'start-up',
    });
  });

  it('restarts up to maxRestarts within the window, then gives up as a crash loop', () => {
    let exits: readonly number[] = [];
    const decisions = [0, 1_000, 2_000, 3_000].map((now) => {
      const decision = afterUnexpectedExit(exits, now, true, policy);
      exits = decision.recentExits;
      return decision.restart;
    });
    expect(decisions).toEqual([true, true, true, false]);
    expect(afterUnexpectedExit([0, 1_000, 2_000], 3_000, true, policy)).toMatchObject({ why: 'crash-loop' });
  });

  it('forgets exits older than the window', () => {
    const decision = afterUnexpectedExit([0, 1_000, 2_000], 11_500, true, policy);
    expect(decision).toEqual({ restart: true, recentExits: [2_000, 11_500] });
  });
});
