import type { Logger } from 'pino';
import type { Config } from '../config/config-schema.js';
import { ScorerError } from '../errors/scorer-error.js';
import {
  churnPredictionSchema,
  customerEventSchema,
  driftWindowSchema,
  type AvroSchemaFile,
} from '../serde/schema-files.js';
import { registerWithCompatibility } from '../serde/schema-registration.js';
import { SchemaRegistryError } from '../serde/schema-registry.js';
import type { SchemaRegistryConnection } from './schema-registry-connection.js';

/** With provisioning off (topics.create=false), a schema of ours is not registered under its subject. */
export class SchemaNotRegisteredError extends ScorerError {
  static override readonly code = 'CHURN_ERR_SCHEMA_NOT_REGISTERED';
  override readonly name = 'SchemaNotRegisteredError';

  constructor(
    readonly schemaName: string,
    readonly subject: string,
    /** the registry URL with any password hidden */
    registryUrl: string,
    options?: { cause?: unknown },
  ) {
    super(
      `schema ${schemaName} is not registered under subject ${subject} at ${registryUrl}; ` +
        'register it (schemas/ has the .avsc files) or set topics.create=true (env TOPICS_CREATE=true) to let the worker do it',
      options,
    );
  }
}

/**
 * Registers our schemas (TopicNameStrategy subjects, BACKWARD compatibility) or, when
 * provisioning is off, checks they are there: CustomerEvent under the customers topic's subject,
 * ChurnPrediction under the predictions topic's and the shadow topic's (shadow predictions are
 * predictions of another version, the same record), and DriftWindow under the drift topic's when
 * monitoring is on. The replay topic carries customers' bytes verbatim, so it needs no subject of
 * its own; the dead-letter topic carries raw bytes.
 */
export async function provisionSchemas(
  registry: SchemaRegistryConnection,
  topics: Pick<Config['topics'], 'customers' | 'predictions' | 'shadow' | 'drift' | 'create'>,
  log: Logger,
  monitoring: Pick<Config['monitoring'], 'enabled'>,
): Promise<void> {
  const wanted = [
    { subject: `${topics.customers}-value`, schema: customerEventSchema() },
    { subject: `${topics.predictions}-value`, schema: churnPredictionSchema() },
    { subject: `${topics.shadow}-value`, schema: churnPredictionSchema() },
    ...(monitoring.enabled ? [{ subject: `${topics.drift}-value`, schema: driftWindowSchema() }] : []),
  ];
  await provisionSubjects(registry, wanted, topics.create, log);
}

/** A schema file and the subject it goes under (TopicNameStrategy: `<topic>-value`). */
export interface WantedSubject {
  readonly subject: string;
  readonly schema: AvroSchemaFile;
}

/**
 * Registers each schema under its subject with BACKWARD compatibility (`create`), or checks it is registered there
 * (SchemaNotRegisteredError when not): what every output of ours does at start-up.
 */
export async function provisionSubjects(
  registry: SchemaRegistryConnection,
  wanted: readonly WantedSubject[],
  create: boolean,
  log: Logger,
): Promise<void> {
  for (const { subject, schema } of wanted) {
    if (create) {
      const id = await registerWithCompatibility(registry.client, subject, schema.text, 'BACKWARD');
      log.info({ subject, schemaId: id }, 'schema registered (BACKWARD)');
      continue;
    }
    try {
      const id = await registry.client.lookup(subject, schema.text);
      log.info({ subject, schemaId: id }, 'schema found');
    } catch (err) {
      if (err instanceof SchemaRegistryError && err.notFound) {
        throw new SchemaNotRegisteredError(schema.fullName, subject, registry.url, { cause: err });
      }
      throw err;
    }
  }
}
