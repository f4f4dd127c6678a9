import { SingleBar, Presets } from 'cli-progress';

/** Input files smaller than this are scored before a bar would be worth drawing. */
export const PROGRESS_MIN_BYTES = 1024 * 1024;

export interface Progress {
  /** Called per line with the bytes consumed so far. */
  update(bytesRead: number, lines: number): void;
  /** Print a message above the bar (the bar redraws on the next update). */
  message(text: string): void;
  stop(): void;
}

const silent: Progress = {
  update: () => undefined,
  message: (text) => {
    process.stderr.write(text + '\n');
  },
  stop: () => undefined,
};

/**
 * A byte-based progress bar on stderr, only when stderr is a terminal and the input is a file large enough
 * to take a while; otherwise messages go to stderr as plain lines (pipes and logs stay clean).
 */
export function createProgress(options: { totalBytes: number | undefined; stderrIsTTY: boolean }): Progress {
  const { totalBytes, stderrIsTTY } = options;
  if (!stderrIsTTY || totalBytes === undefined || totalBytes < PROGRESS_MIN_BYTES) return silent;
  const bar = new SingleBar(
    {
      stream: process.stderr,
      format: 'scoring [{bar}] {percentage}% | {lines} lines | ETA {eta_formatted}',
      hideCursor: true,
      etaBuffer: 50,
      fps: 5,
    },
    Presets.shades_classic,
  );
  bar.start(totalBytes, 0, { lines: 0 });
  let lastDrawnLines = 0;
  return {
    update(bytesRead, lines) {
      // Updating per line would cost more than scoring; every 1,000 lines is smooth enough at 5 fps.
      if (lines - lastDrawnLines < 1000) return;
      lastDrawnLines = lines;
      bar.update(Math.min(bytesRead, totalBytes), { lines });
    },
    message(text) {
      process.stderr.write(`\r\x1b[K${text}\n`);
    },
    stop() {
      bar.update(totalBytes, { lines: lastDrawnLines });
      bar.stop();
    },
  };
}
