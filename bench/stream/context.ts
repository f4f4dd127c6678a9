/** What every stream measurement shares: the stack, one admin client, the run id, and the topics to clean up. */
import { Kafka, logLevel, type Admin } from 'kafkajs';
import type { BenchStack } from '../lib/stack.js';
import { createTopics, deleteTopics, topicSet, type TopicSet } from './bench-topics.js';

export interface StreamContext {
  stack: BenchStack;
  kafka: Kafka;
  admin: Admin;
  runId: string;
  created: TopicSet[];
}

export async function openStreamContext(stack: BenchStack, runId: string): Promise<StreamContext> {
  const kafka = new Kafka({ clientId: 'churn-bench', brokers: stack.brokers.split(','), logLevel: logLevel.ERROR });
  const admin = kafka.admin();
  await admin.connect();
  return { stack, kafka, admin, runId, created: [] };
}

export async function freshTopics(ctx: StreamContext, label: string, partitions: number): Promise<TopicSet> {
  const set = topicSet(ctx.runId, label, partitions);
  await createTopics(ctx.admin, set);
  ctx.created.push(set);
  return set;
}

export async function closeStreamContext(ctx: StreamContext): Promise<void> {
  await deleteTopics(ctx.admin, ctx.created).catch(() => undefined);
  await ctx.admin.disconnect().catch(() => undefined);
}
