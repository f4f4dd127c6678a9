import { setTimeout as sleep } from 'node:timers/promises';
import type { EachBatchPayload } from 'kafkajs';

type BatchHandler = (payload: EachBatchPayload) => Promise<void>;

const POLL_MS = 10;
/** Longest a replay batch waits for live work; bounded so replay still advances under steady live load. */
const MAX_YIELD_MS = 2_000;

/**
 * Live traffic first: a replay batch waits while live batches are being processed (up to
 * MAX_YIELD_MS, heartbeating so the replay consumer keeps its group membership). With
 * replay's small fetches and transactions this keeps a large rescoring from delaying the
 * campaign's live predictions by more than one small replay transaction.
 */
export class LiveFirstGate {
  private activeLive = 0;

  get liveBusy(): boolean {
    return this.activeLive > 0;
  }

  tracking(handler: BatchHandler): BatchHandler {
    return async (payload) => {
      this.activeLive++;
      try {
        await handler(payload);
      } finally {
        this.activeLive--;
      }
    };
  }

  yieldingTo(handler: BatchHandler): BatchHandler {
    return async (payload) => {
      const deadline = Date.now() + MAX_YIELD_MS;
      while (this.activeLive > 0 && Date.now() < deadline && payload.isRunning()) {
        await sleep(POLL_MS);
      }
      await payload.heartbeat();
      await handler(payload);
    };
  }
}
