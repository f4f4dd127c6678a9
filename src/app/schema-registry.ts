import type { Config } from '../config/config-schema.js';
import { redactUrl } from '../config/redact.js';
import { CachedSchemaRegistryClient } from '../serde/cached-schema-registry.js';
import { HttpSchemaRegistryClient } from '../serde/http-schema-registry.js';
import { RegistryAuthWatch } from '../serde/registry-auth-watch.js';
import type { SchemaRegistryConnection } from '../stream/schema-registry-connection.js';

/**
 * The default schema registry: the Confluent REST client with the configured credentials, schemas cached by
 * id, and a watch on refused credentials (a 401/403 fails readiness at once and, if it lasts
 * registry.authFailureExitMs, ends the worker; one at start-up fails start-up).
 */
export function defaultSchemaRegistry(settings: Config['registry']): SchemaRegistryConnection {
  const credentials = new RegistryAuthWatch({
    giveUpAfterMs: settings.authFailureExitMs,
    setting: 'registry.authFailureExitMs',
  });
  const client = new CachedSchemaRegistryClient(
    new HttpSchemaRegistryClient({
      url: settings.url,
      username: settings.username ?? undefined,
      password: settings.password ?? undefined,
      authObserver: credentials,
    }),
  );
  return { client, url: redactUrl(settings.url), credentials };
}
