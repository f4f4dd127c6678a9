import { describe, expect, it } from 'vitest';
import { ConfigError, findRepoRoot, loadConfig } from '../../../src/config/index.js';

const repoRoot = findRepoRoot();
const load = (env: Record<string, string>) => loadConfig({ env, repoRoot, cwd: repoRoot });

describe('replication of the topics the worker creates', () => {
  it("defaults to one replica and the broker's min.insync.replicas", () => {
    expect(load({}).topics).toMatchObject({ replicationFactor: 1, minInsyncReplicas: null });
  });

  it('takes both from the environment, as for a three-broker cluster', () => {
    expect(load({ TOPIC_REPLICATION_FACTOR: '3', TOPIC_MIN_INSYNC_REPLICAS: '2' }).topics).toMatchObject({
      replicationFactor: 3,
      minInsyncReplicas: 2,
    });
  });

  it('refuses a min.insync.replicas above the replication factor (every acks=all write would fail)', () => {
    expect(() => load({ TOPIC_REPLICATION_FACTOR: '2', TOPIC_MIN_INSYNC_REPLICAS: '3' })).toThrow(ConfigError);
    expect(() => load({ TOPIC_REPLICATION_FACTOR: '2', TOPIC_MIN_INSYNC_REPLICAS: '3' })).toThrow(
      /topics\.minInsyncReplicas: must be at most topics\.replicationFactor \(2\), got 3/,
    );
    expect(() => load({ TOPIC_REPLICATION_FACTOR: '0' })).toThrow(
      /topics\.replicationFactor.*env TOPIC_REPLICATION_FACTOR="0"/,
    );
  });
});
