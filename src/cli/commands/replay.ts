import { Command } from 'commander';
import { createKafka } from '../../kafka/client.js';
import { awaitKafka } from '../../kafka/startup-connect.js';
import { createStderrLogger } from '../../observability/logger.js';
import { copyToReplay } from '../../replay/replay-copy.js';
import { parseReplayBound, totalRecords } from '../../replay/replay-range.js';
import { createCountProgress } from '../count-progress.js';
import { configWithFlags } from '../options.js';

interface ReplayFlags {
  from: string;
  to?: string;
  customer: string[];
}

export function replayCommand(): Command {
  return new Command('replay')
    .description(
      'Copy a bounded range of the customers topic into the replay topic; the running worker rescores it (replay=true)',
    )
    .requiredOption(
      '--from <time|offset>',
      'start: ISO 8601 time (first record at or after it) or an offset in every partition',
    )
    .option('--to <time|offset>', 'end (exclusive): ISO 8601 time or offset; default: the end of the topic now')
    .option('--customer <id...>', 'only these customer ids (record keys); repeatable', [])
    .action(async (flags: ReplayFlags) => {
      const config = configWithFlags({});
      const logger = createStderrLogger({
        name: config.service.name,
        level: config.log.level === 'info' ? 'warn' : config.log.level,
        format: config.log.format,
      });
      const from = parseReplayBound(flags.from, '--from');
      const to = flags.to === undefined ? undefined : parseReplayBound(flags.to, '--to');
      const kafka = createKafka(config.kafka, logger);
      await awaitKafka(config.kafka, logger, config.service.startupTimeoutMs);
      const admin = kafka.admin();
      await admin.connect();
      let progress: ReturnType<typeof createCountProgress> | undefined;
      try {
        const summary = await copyToReplay(
          kafka,
          admin,
          {
            sourceTopic: config.topics.customers,
            replayTopic: config.topics.replay,
            from,
            to,
            customers: flags.customer,
          },
          {
            logger,
            onProgress: (p) => {
              progress ??= createCountProgress('replay', p.total);
              progress.update(p.scanned, { copied: p.copied });
            },
          },
        );
        progress?.stop();
        const lines = [
          `replay: copied ${summary.copied} of ${summary.scanned} records scanned from ${config.topics.customers} to ${config.topics.replay}` +
            (flags.customer.length > 0 ? ` (${summary.skippedByFilter} skipped by --customer)` : '') +
            ` in ${(summary.durationMs / 1000).toFixed(1)} s`,
          `range: ${summary.ranges.length} partitions, ${totalRecords(summary.ranges)} records in range`,
          ...summary.ranges.map((r) => `  partition ${r.partition}: offsets [${r.start}, ${r.end})`),
        ];
        process.stdout.write(`${lines.join('\n')}\n`);
      } finally {
        await admin.disconnect();
      }
    });
}
