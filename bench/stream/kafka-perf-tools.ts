/**
 * The broker's own ceiling for our message size, measured with Kafka's Java perf tools from the same release as
 * the broker (org.apache.kafka.tools.ProducerPerformance / ConsumerPerformance; classpath from
 * scripts/bench/kafka-tools.sh, fetched with Maven on first use).
 */
import { join } from 'node:path';
import { runToCompletion } from '../lib/children.js';
import { LOGS_DIR, REPO_ROOT } from '../lib/results.js';

export async function kafkaToolsClasspath(): Promise<string> {
  const out = await runToCompletion('kafka-tools.sh', 'bash', [join(REPO_ROOT, 'scripts', 'bench', 'kafka-tools.sh')], {
    cwd: REPO_ROOT,
    timeoutMs: 600_000,
    logFile: join(LOGS_DIR, 'kafka-tools-fetch.log'),
  });
  return out.trim().split('\n').at(-1) ?? '';
}

export interface ProducerPerfResult {
  command: string;
  records: number;
  records_per_second: number;
  mb_per_second: number;
  avg_latency_ms: number;
  p99_latency_ms: number;
}

/** "200000 records sent, 81234.5 records/sec (23.24 MB/sec), 512.3 ms avg latency, 900.0 ms max latency, 450 ms 50th, 800 ms 95th, 850 ms 99th, 890 ms 99.9th." */
export function parseProducerPerf(output: string): Omit<ProducerPerfResult, 'command'> {
  const line = output
    .split('\n')
    .reverse()
    .find((l) => /records sent, .* records\/sec/.test(l) && /99th/.test(l));
  const m =
    line &&
    /(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency.* (\d+) ms 99th/.exec(
      line,
    );
  if (!m) throw new Error(`ProducerPerformance printed no summary line: ${output.slice(-400)}`);
  return {
    records: Number(m[1]),
    records_per_second: Number(m[2]),
    mb_per_second: Number(m[3]),
    avg_latency_ms: Number(m[4]),
    p99_latency_ms: Number(m[5]),
  };
}

export interface ConsumerPerfResult {
  command: string;
  records: number;
  /** records / fetch time (rebalance excluded) */
  records_per_second: number;
  mb_per_second: number;
}

/** The CSV line under "start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec" */
export function parseConsumerPerf(output: string): Omit<ConsumerPerfResult, 'command'> {
  const lines = output.split('\n').map((l) => l.trim());
  const header = lines.findIndex((l) => l.startsWith('start.time'));
  const row = header >= 0 ? lines.slice(header + 1).find((l) => /^\d{4}-/.test(l)) : undefined;
  const cells = row?.split(',').map((c) => c.trim());
  if (!cells || cells.length < 10) throw new Error(`ConsumerPerformance printed no result row: ${output.slice(-400)}`);
  return { records: Number(cells[4]), mb_per_second: Number(cells[8]), records_per_second: Number(cells[9]) };
}

export async function producerPerformance(
  classpath: string,
  options: {
    brokers: string;
    topic: string;
    records: number;
    recordSize: number;
    transactionalId?: string;
    label: string;
  },
): Promise<ProducerPerfResult> {
  const args = [
    '-Xmx512m',
    '-cp',
    classpath,
    'org.apache.kafka.tools.ProducerPerformance',
    '--topic',
    options.topic,
    '--num-records',
    String(options.records),
    '--record-size',
    String(options.recordSize),
    '--throughput',
    '-1',
    '--producer-props',
    `bootstrap.servers=${options.brokers}`,
    'acks=all',
  ];
  if (options.transactionalId !== undefined) {
    args.push('--transactional-id', options.transactionalId, '--transaction-duration-ms', '100');
  }
  const out = await runToCompletion('ProducerPerformance', 'java', args, {
    timeoutMs: 180_000,
    logFile: join(LOGS_DIR, `${options.label}.log`),
  });
  return { command: `java -cp <kafka-tools ${classpath}> ${args.slice(3).join(' ')}`, ...parseProducerPerf(out) };
}

export async function consumerPerformance(
  classpath: string,
  options: { brokers: string; topic: string; records: number; group: string; label: string },
): Promise<ConsumerPerfResult> {
  const args = [
    '-Xmx512m',
    '-cp',
    classpath,
    'org.apache.kafka.tools.ConsumerPerformance',
    '--bootstrap-server',
    options.brokers,
    '--topic',
    options.topic,
    '--messages',
    String(options.records),
    '--group',
    options.group,
    '--timeout',
    '60000',
  ];
  const out = await runToCompletion('ConsumerPerformance', 'java', args, {
    timeoutMs: 180_000,
    logFile: join(LOGS_DIR, `${options.label}.log`),
  });
  return { command: `java -cp <kafka-tools> ${args.slice(3).join(' ')}`, ...parseConsumerPerf(out) };
}
