import type { ProbeResult } from '../observability/health.js';
import type { SchemaRegistryClient } from '../serde/schema-registry.js';

/**
 * The schema registry as the worker is handed it: the client, where it is (for messages), and optionally a watch
 * on whether the registry takes our credentials. The composition root builds it (src/app/schema-registry.ts).
 */
export interface SchemaRegistryConnection {
  readonly client: SchemaRegistryClient;
  /** the registry's URL with any password hidden, for logs and error messages */
  readonly url: string;
  /** absent: a refused credential shows only as records the worker cannot decode and retries */
  readonly credentials?: RegistryCredentialsWatch;
}

/** Whether the registry currently refuses our credentials (src/serde/registry-auth-watch.ts). */
export interface RegistryCredentialsWatch {
  /** not ok, with the registry's answer, while a refusal lasts */
  readiness(): ProbeResult;
  /** resolves when a refusal has lasted too long: the worker gives up */
  readonly gaveUp: Promise<Error>;
  /** stops the give-up timer */
  stop(): void;
}
