import type { Logger } from 'pino';
import type { Config } from '../config/config-schema.js';
import { churnPredictionSchema, customerEventSchema } from '../serde/schema-files.js';
import { registerWithCompatibility } from '../serde/schema-registration.js';
import type { SchemaRegistryClient } from '../serde/schema-registry.js';
import { SchemaRegistryError } from '../serde/schema-registry.js';

/**
 * Registers our two schemas (TopicNameStrategy subjects, BACKWARD compatibility) or, when
 * provisioning is off, checks they are there. The replay topic carries customers' bytes
 * verbatim, so it needs no subject of its own; the dead-letter topic carries raw bytes.
 */
export async function provisionSchemas(registry: SchemaRegistryClient, config: Config, log: Logger): Promise<void> {
  const wanted = [
    { subject: `${config.topics.customers}-value`, schema: customerEventSchema() },
    { subject: `${config.topics.predictions}-value`, schema: churnPredictionSchema() },
  ];
  for (const { subject, schema } of wanted) {
    if (config.topics.create) {
      const id = await registerWithCompatibility(registry, subject, schema.text, 'BACKWARD');
      log.info({ subject, schemaId: id }, 'schema registered (BACKWARD)');
      continue;
    }
    try {
      const id = await registry.lookup(subject, schema.text);
      log.info({ subject, schemaId: id }, 'schema found');
    } catch (err) {
      if (err instanceof SchemaRegistryError && err.notFound) {
        throw new Error(
          `schema ${schema.fullName} is not registered under subject ${subject} at ${config.registry.url}; ` +
            'register it (schemas/ has the .avsc files) or set topics.create=true to let the worker do it',
          { cause: err },
        );
      }
      throw err;
    }
  }
}
