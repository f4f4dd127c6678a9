import { Worker } from 'node:worker_threads';
import { must } from '../../support/must.js';

export type SandboxRequest =
  { type: 'put'; schemaId: number; schema: string } | { type: 'decode'; bytes: Uint8Array; budgetMs: number };

/** What became of one record in the sandbox; `elapsedMs` is the time of one decode call. */
export type SandboxOutcome =
  | { kind: 'decoded'; customerid: string; elapsedMs: number }
  | { kind: 'decode-error'; reason: string; message: string; elapsedMs: number }
  /** anything thrown that is not a DecodeError: a bug */
  | { kind: 'crash'; message: string; elapsedMs: number }
  /** no answer within the deadline: the decode is stuck (its thread was terminated) */
  | { kind: 'hung'; elapsedMs: number };

const ENTRY_URL = new URL('./decode-sandbox-entry.mjs', import.meta.url);

/**
 * An AvroDecoder (over the fake registry) in a worker thread. A decode that does not answer
 * within its deadline is reported as `hung` and its thread is terminated (which stops even a
 * busy loop), so a test of a hanging input fails instead of hanging the test runner. The next
 * call gets a fresh thread with the same schemas.
 */
export class DecodeSandbox {
  private seq = 0;
  private worker: Worker | undefined;
  private readonly waiting = new Map<number, (outcome: SandboxOutcome | undefined) => void>();
  private readonly schemas = new Map<number, string>();
  private failure: string | undefined;

  /** Registers a writer schema in the sandbox's registry and resolves it in its decoder. */
  async put(schemaId: number, schema: string, deadlineMs = 30_000): Promise<void> {
    this.schemas.set(schemaId, schema);
    await this.thread(deadlineMs);
    await this.send({ type: 'put', schemaId, schema }, deadlineMs);
  }

  /**
   * Decodes `bytes`; `budgetMs` is the time one decode call may take (slower calls are timed
   * again, the least counts), `deadlineMs` when the thread counts as stuck.
   */
  async decode(bytes: Uint8Array, budgetMs: number, deadlineMs = 5_000): Promise<SandboxOutcome> {
    await this.thread(30_000);
    const started = Date.now();
    const outcome = await this.send({ type: 'decode', bytes, budgetMs }, deadlineMs);
    if (outcome === undefined && this.failure !== undefined) throw new Error(this.failure);
    return outcome ?? { kind: 'hung', elapsedMs: Date.now() - started };
  }

  async close(): Promise<void> {
    await this.worker?.terminate();
    this.worker = undefined;
  }

  /** The running thread, started (with every schema put so far) when there is none. */
  private async thread(deadlineMs: number): Promise<Worker> {
    if (this.failure !== undefined) throw new Error(this.failure);
    if (this.worker !== undefined) return this.worker;
    const worker = new Worker(ENTRY_URL);
    worker.on('message', (message: { seq: number; outcome: SandboxOutcome | undefined }) => {
      this.waiting.get(message.seq)?.(message.outcome);
      this.waiting.delete(message.seq);
    });
    worker.on('error', (error) => {
      this.failure = `sandbox worker failed: ${error.message}`;
      for (const settle of this.waiting.values()) settle(undefined);
      this.waiting.clear();
    });
    this.worker = worker;
    for (const [schemaId, schema] of this.schemas) await this.send({ type: 'put', schemaId, schema }, deadlineMs);
    return worker;
  }

  private send(request: SandboxRequest, deadlineMs: number): Promise<SandboxOutcome | undefined> {
    const worker = must(this.worker, 'a running sandbox thread');
    const seq = ++this.seq;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(seq);
        if (this.worker === worker) this.worker = undefined;
        void worker.terminate();
        resolve(undefined);
      }, deadlineMs);
      this.waiting.set(seq, (outcome) => {
        clearTimeout(timer);
        resolve(outcome);
      });
      worker.postMessage({ seq, request });
    });
  }
}
