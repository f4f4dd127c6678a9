// Readiness probe for the local stack: waits until a service really answers.
//   node probe.mjs kafka    <host:port> [--brokers N] [--timeout-ms N] [--pid P]
//   node probe.mjs registry <base-url>  [--timeout-ms N] [--pid P]
// kafka: a metadata round trip (describeCluster + listTopics) through kafkajs; with
// --brokers, ready only once the cluster has at least that many brokers registered.
// registry: GET <base-url>/subjects answers 200 with a JSON array.
// With --pid the probe gives up at once when that process has exited, so a
// crashed start is reported immediately instead of after the timeout.
// Exit 0 when ready (prints a one-line summary), 1 otherwise.
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    'timeout-ms': { type: 'string', default: '0' },
    pid: { type: 'string' },
    brokers: { type: 'string', default: '1' },
  },
});
const [kind, target] = positionals;
const timeoutMs = Number(values['timeout-ms']);
const pid = values.pid === undefined ? undefined : Number(values.pid);
const expectedBrokers = Number(values.brokers);

if ((kind !== 'kafka' && kind !== 'registry') || !target || !Number.isFinite(timeoutMs) || !(expectedBrokers >= 1)) {
  console.error('usage: node probe.mjs kafka|registry <target> [--brokers N] [--timeout-ms N] [--pid P]');
  process.exit(2);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function processAlive(id) {
  try {
    process.kill(id, 0);
    return true;
  } catch {
    return false;
  }
}

async function probeKafka(brokers) {
  const kafka = new Kafka({
    clientId: 'churn-stack-probe',
    brokers: [brokers],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 2_000,
    requestTimeout: 5_000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    if (cluster.brokers.length < expectedBrokers) {
      throw new Error(`${cluster.brokers.length} of ${expectedBrokers} brokers registered`);
    }
    const topics = await admin.listTopics();
    return `kafka ${brokers}: cluster ${cluster.clusterId}, ${cluster.brokers.length} broker(s), controller ${cluster.controller}, ${topics.length} topic(s)`;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

async function probeRegistry(baseUrl) {
  const response = await fetch(`${baseUrl}/subjects`, { signal: AbortSignal.timeout(5_000) });
  if (response.status !== 200) throw new Error(`GET ${baseUrl}/subjects answered ${response.status}`);
  const subjects = await response.json();
  if (!Array.isArray(subjects)) throw new Error(`GET ${baseUrl}/subjects did not return a JSON array`);
  return `registry ${baseUrl}: ${subjects.length} subject(s)`;
}

const deadline = Date.now() + timeoutMs;
let lastError = 'not tried';
for (;;) {
  try {
    const summary = kind === 'kafka' ? await probeKafka(target) : await probeRegistry(target);
    console.log(summary);
    process.exit(0);
  } catch (error) {
    lastError = error instanceof Error ? error.message : String(error);
  }
  if (pid !== undefined && !processAlive(pid)) {
    console.error(`${kind} process ${pid} exited before ${target} answered (last error: ${lastError})`);
    process.exit(1);
  }
  if (Date.now() >= deadline) {
    console.error(`${kind} at ${target} did not answer within ${timeoutMs} ms (last error: ${lastError})`);
    process.exit(1);
  }
  await sleep(500);
}
