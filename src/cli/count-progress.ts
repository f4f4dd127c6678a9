import { Presets, SingleBar } from 'cli-progress';
import { isatty } from 'node:tty';

export interface CountProgress {
  update(done: number, extra?: Record<string, string | number>): void;
  stop(): void;
}

const PLAIN_EVERY_MS = 2_000;

/**
 * Progress of a job with a known count (replay, demo) on stderr: a bar on a terminal, a
 * plain line every two seconds otherwise, so CI logs and pipes show progress without
 * control characters.
 */
export function createCountProgress(label: string, total: number, stderrIsTTY = isatty(2)): CountProgress {
  if (stderrIsTTY) {
    const bar = new SingleBar(
      {
        stream: process.stderr,
        format: `${label} [{bar}] {value}/{total} {percentage}% | ETA {eta_formatted}`,
        hideCursor: true,
        fps: 5,
      },
      Presets.shades_classic,
    );
    bar.start(total, 0);
    return {
      update: (done) => {
        bar.update(Math.min(done, total));
      },
      stop: () => {
        bar.stop();
      },
    };
  }
  let lastPrinted = 0;
  let lastDone = -1;
  const print = (done: number, extra?: Record<string, string | number>) => {
    lastDone = done;
    const pct = total === 0 ? 100 : Math.floor((done / total) * 100);
    const details =
      extra === undefined
        ? ''
        : ` ${Object.entries(extra)
            .map(([k, v]) => `${k}=${v}`)
            .join(' ')}`;
    process.stderr.write(`${label}: ${done}/${total} (${pct}%)${details}\n`);
  };
  return {
    update(done, extra) {
      const now = Date.now();
      if (now - lastPrinted < PLAIN_EVERY_MS) return;
      lastPrinted = now;
      print(done, extra);
    },
    stop() {
      if (lastDone !== total) print(total);
    },
  };
}
