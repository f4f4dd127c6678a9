import type { CompatibilityLevel, SchemaRegistryClient } from './schema-registry.js';

/**
 * Registers the schema under the subject (idempotent for an identical schema)
 * and sets the subject's compatibility level. Registers first because some
 * Confluent-compatible registries (Apicurio's ccompat API) only accept a
 * subject-level config for a subject that exists; the first version has nothing
 * to be compatible with, so the order loses no protection. Returns the schema id.
 */
export async function registerWithCompatibility(
  registry: SchemaRegistryClient,
  subject: string,
  schemaText: string,
  compatibility: CompatibilityLevel = 'BACKWARD',
): Promise<number> {
  const id = await registry.register(subject, schemaText);
  await registry.setCompatibility(subject, compatibility);
  return id;
}
