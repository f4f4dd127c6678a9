/**
 * Runs `shutdown` once on the first SIGTERM or SIGINT; a second signal while shutting down exits at once
 * (an operator pressing Ctrl-C twice means it). Returns a function that removes the handlers.
 */
export function onShutdownSignals(shutdown: (signal: NodeJS.Signals) => Promise<void>): () => void {
  let shuttingDown = false;
  const handler = (signal: NodeJS.Signals) => {
    if (shuttingDown) {
      process.stderr.write(`churn-scorer: second ${signal}, exiting now\n`);
      process.exit(1);
    }
    shuttingDown = true;
    void shutdown(signal);
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
  return () => {
    process.off('SIGTERM', handler);
    process.off('SIGINT', handler);
  };
}
