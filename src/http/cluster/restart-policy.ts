/** When the primary of `serve --workers N` stops restarting workers that exit unexpectedly. */
export interface RestartPolicy {
  /** restarts allowed within `windowMs`; one more unexpected exit within it gives up */
  maxRestarts: number;
  windowMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = { maxRestarts: 5, windowMs: 60_000 };

export type RestartDecision =
  | { restart: true; recentExits: readonly number[] }
  | { restart: false; recentExits: readonly number[]; why: 'start-up' | 'crash-loop' };

/**
 * What to do about a worker that exited while nobody asked it to (pure). Before any worker has listened, a
 * failure is the start-up's (a bad model path, a port taken): every restart would fail the same way, so give up
 * at once. Afterwards restart it, unless more than `maxRestarts` exits fall within `windowMs` (a crash loop).
 *
 * @param earlierExits times (ms) of the earlier unexpected exits, as returned in `recentExits` last time
 */
export function afterUnexpectedExit(
  earlierExits: readonly number[],
  now: number,
  hasListened: boolean,
  policy: RestartPolicy = DEFAULT_RESTART_POLICY,
): RestartDecision {
  const recentExits = [...earlierExits.filter((t) => now - t < policy.windowMs), now];
  if (!hasListened) return { restart: false, recentExits, why: 'start-up' };
  if (recentExits.length > policy.maxRestarts) return { restart: false, recentExits, why: 'crash-loop' };
  return { restart: true, recentExits };
}
