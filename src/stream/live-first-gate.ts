import type { EachBatchPayload } from 'kafkajs';

/** What the gate reads of a batch: kafkajs' payload, or the pipeline's BatchPayload. */
type GatedPayload = Pick<EachBatchPayload, 'isRunning' | 'heartbeat'>;
type BatchHandler<P extends GatedPayload> = (payload: P) => Promise<void>;

/** Longest a replay batch waits for live work; bounded so replay still advances under steady live load. */
export const MAX_YIELD_MS = 2_000;

/**
 * Live traffic first: a replay batch waits while live batches are being processed (until they are all
 * done, or MAX_YIELD_MS at most), then heartbeats so the replay consumer keeps its group membership. With
 * replay's small fetches and transactions this keeps a large rescoring from delaying the campaign's live
 * predictions by more than one small replay transaction.
 */
export class LiveFirstGate {
  private activeLive = 0;
  /** Settled when the live batches in flight are all done; undefined while none are. */
  private liveDrained: { promise: Promise<void>; resolve: () => void } | undefined;

  get liveBusy(): boolean {
    return this.activeLive > 0;
  }

  tracking<P extends GatedPayload>(handler: BatchHandler<P>): BatchHandler<P> {
    return async (payload) => {
      this.activeLive++;
      try {
        await handler(payload);
      } finally {
        this.activeLive--;
        if (this.activeLive === 0) this.drained();
      }
    };
  }

  yieldingTo<P extends GatedPayload>(handler: BatchHandler<P>): BatchHandler<P> {
    return async (payload) => {
      if (this.activeLive > 0 && payload.isRunning()) await this.liveDone();
      await payload.heartbeat();
      await handler(payload);
    };
  }

  /** Resolves when live work drains, or after MAX_YIELD_MS. */
  private async liveDone(): Promise<void> {
    this.liveDrained ??= withResolvers();
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, MAX_YIELD_MS);
    });
    try {
      await Promise.race([this.liveDrained.promise, bound]);
    } finally {
      clearTimeout(timer);
    }
  }

  private drained(): void {
    this.liveDrained?.resolve();
    this.liveDrained = undefined;
  }
}

/** Promise.withResolvers, which Node 20 lacks. */
function withResolvers(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((settle) => {
    resolve = settle;
  });
  return { promise, resolve };
}
