import { once } from 'node:events';
import type { Writable } from 'node:stream';

const FLUSH_AT_CHARS = 64 * 1024;

/**
 * Buffers output lines and writes them in chunks, waiting for 'drain' when the destination is full, so a
 * slow consumer (a pipe) bounds memory instead of the whole result piling up.
 */
export class LineWriter {
  private pending = '';
  private failure: NodeJS.ErrnoException | undefined;

  constructor(private readonly out: Writable) {
    out.on('error', (err: NodeJS.ErrnoException) => {
      this.failure = err;
    });
  }

  /** The write error (e.g. EPIPE when the reader went away), if any. */
  get error(): NodeJS.ErrnoException | undefined {
    return this.failure;
  }

  async writeLine(line: string): Promise<void> {
    this.pending += line + '\n';
    if (this.pending.length >= FLUSH_AT_CHARS) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.pending === '' || this.failure !== undefined) return;
    const chunk = this.pending;
    this.pending = '';
    if (!this.out.write(chunk))
      await Promise.race([once(this.out, 'drain'), once(this.out, 'error')]).catch(() => undefined);
  }

  /** Flushes and, for files, closes; stdout is left open (the process owns it). */
  async end(closeDestination: boolean): Promise<void> {
    await this.flush();
    if (!closeDestination || this.failure !== undefined) return;
    this.out.end();
    await once(this.out, 'finish').catch(() => undefined);
  }
}
