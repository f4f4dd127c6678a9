import { join } from 'node:path';
import type { Admin, Kafka } from 'kafkajs';
import type { Config } from '../config/index.js';
import { REPO_PATHS } from '../config/repo-paths.js';
import { requirePublished } from '../model-registry/published-models.js';
import {
  changeRollout,
  prepareModel,
  publishPreparedModel,
  type PublishedPackage,
} from '../model-registry/registry-topics.js';
import { nextRolloutRecord, sameRollout, type RolloutRecord } from '../model-registry/rollout-record.js';
import type { RolloutDocument } from '../rollout/rollout-document.js';
import type { ServingSetSource } from '../serving/serving-set.js';
import type { TelcoCustomer } from './telco-events.js';
import { DemoTimeoutError } from './demo-timeout-error.js';

/*
 * The demo's second act as an operator would play it, in-process: the same registry calls as
 * `model publish` and `rollout set` (src/model-registry), against the topics the demo's worker follows.
 */

/** The version every worker serves (MODEL_DIR's default) and the one the demo ships. */
export const DEMO_CHAMPION = '1.0.0';
export const DEMO_CANDIDATE = '1.1.0';

/**
 * `model publish models/churn/<version>`: verified before it is sent, and nothing is sent when the topic holds
 * the version with the same checksum already (a rerun of the demo).
 */
export async function publishRepoModel(
  kafka: Kafka,
  admin: Admin,
  config: Config,
  version: string,
): Promise<PublishedPackage> {
  const prepared = await prepareModel(join(REPO_PATHS.churnModelsDir, version), new Date().toISOString());
  return publishPreparedModel(kafka, admin, config, prepared);
}

/** The rollout in force after `rollout set`, and whether this call published it. */
export interface RolloutSet {
  readonly record: RolloutRecord;
  readonly published: boolean;
}

/**
 * `rollout set` with a document: every version must be published and verify (or be the MODEL_DIR champion);
 * the rollout already in force publishes nothing. Under the rollout admin transactional id, as the command.
 */
export async function setRollout(
  kafka: Kafka,
  admin: Admin,
  config: Config,
  document: RolloutDocument,
  localVersion: string,
): Promise<RolloutSet> {
  const result = await changeRollout(kafka, admin, config, (snapshot) => {
    requirePublished(document, snapshot.models, { topic: config.topics.models, localVersion });
    const current = snapshot.rollout.current;
    const unchanged =
      current !== undefined && snapshot.rollout.refused.length === 0 && sameRollout(current.rollout, document);
    return unchanged ? undefined : nextRolloutRecord(current, document, new Date().toISOString());
  });
  if (result.published !== undefined) return { record: result.published, published: true };
  return { record: result.previous as RolloutRecord, published: false };
}

/**
 * Waits until the serving source has `revision` (or a later one) in force: from then on every transaction the
 * worker opens uses it. Resolves with how long that took after `since` (epoch ms).
 */
export async function awaitRevision(
  serving: ServingSetSource,
  revision: number,
  since: number,
  timeoutMs: number,
): Promise<number> {
  const deadline = since + timeoutMs;
  while (serving.current().revision < revision) {
    if (Date.now() > deadline) {
      throw new DemoTimeoutError(
        `the worker did not put rollout revision ${revision} in force within ${timeoutMs / 1000} s ` +
          `(still revision ${serving.current().revision})`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return Date.now() - since;
}

/** A variant as HTTP /predict names it for a customer. */
export interface HttpVariant {
  readonly variant: string;
  readonly version: string;
}

/**
 * Asks the side-port which variant serves each customer: one POST /predict/batch with the customers' ids, as a
 * client of the HTTP path would. `token`: the bearer token when the side-port requires one.
 */
export async function httpVariants(
  address: string,
  customers: readonly TelcoCustomer[],
  token: string | null,
): Promise<Map<string, HttpVariant>> {
  const response = await fetch(`${address}/predict/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token === null ? {} : { authorization: `Bearer ${token}` }) },
    body: JSON.stringify({ customers }),
  });
  if (!response.ok) {
    throw new Error(
      `POST ${address}/predict/batch answered ${response.status}: ${(await response.text()).slice(0, 200)}`,
    );
  }
  const body = (await response.json()) as { predictions: { variant: string; model_version: string }[] };
  const variants = new Map<string, HttpVariant>();
  body.predictions.forEach((p, i) => {
    const customer = customers[i];
    if (customer !== undefined) variants.set(customer.customerid, { variant: p.variant, version: p.model_version });
  });
  return variants;
}
