import { setTimeout as sleep } from 'node:timers/promises';
import type { CompatibilityLevel, SchemaRegistryClient } from './schema-registry.js';
import { SchemaRegistryError } from './schema-registry.js';

const COMPATIBILITY_ATTEMPTS = 4;

/**
 * Registers the schema under the subject (idempotent for an identical schema)
 * and sets the subject's compatibility level. Registers first because some
 * Confluent-compatible registries (Apicurio's ccompat API) only accept a
 * subject-level config for a subject that exists; the first version has nothing
 * to be compatible with, so the order loses no protection. Returns the schema id.
 *
 * Workers that start together race to set the level: Apicurio answers the losers
 * 409 "rule already exists" (the create lost to another create). The same PUT a
 * moment later is an update and succeeds, so a 409 here is retried.
 */
export async function registerWithCompatibility(
  registry: SchemaRegistryClient,
  subject: string,
  schemaText: string,
  compatibility: CompatibilityLevel = 'BACKWARD',
): Promise<number> {
  const id = await registry.register(subject, schemaText);
  for (let attempt = 1; ; attempt++) {
    try {
      await registry.setCompatibility(subject, compatibility);
      return id;
    } catch (err) {
      const raced = err instanceof SchemaRegistryError && err.status === 409;
      if (!raced || attempt >= COMPATIBILITY_ATTEMPTS) throw err;
      await sleep(50 * attempt);
    }
  }
}
