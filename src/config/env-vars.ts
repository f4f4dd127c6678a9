import { KindGuard, type TSchema } from '@sinclair/typebox';
import { ConfigSchema, type EnvKeywords } from './config-schema.js';

/** How one environment variable maps onto the configuration: read from the `env` keyword in config-schema.ts. */
export interface EnvVarSpec {
  readonly name: string;
  /** Dotted config key it overrides. */
  readonly key: string;
  /** The key's schema (with the variable's description); its type decides how the variable's text is read. */
  readonly schema: TSchema;
  /** Secret values are never echoed in errors or logs. */
  readonly secret: boolean;
  /** The optional object that "" or "none" turns off (null): kafka.sasl for KAFKA_SASL_MECHANISM. */
  readonly turnsOff?: string;
}

interface SchemaProperty {
  readonly key: string;
  readonly schema: TSchema;
  /** The nearest enclosing key whose value may be null instead of an object. */
  readonly optionalObject: string | undefined;
}

/** Every property of an object schema, depth first, including those of an "object or null" union's object. */
function* propertiesOf(schema: TSchema, prefix = '', optionalObject?: string): Generator<SchemaProperty> {
  if (!KindGuard.IsObject(schema)) return;
  for (const [name, property] of Object.entries(schema.properties)) {
    const key = prefix === '' ? name : `${prefix}.${name}`;
    yield { key, schema: property, optionalObject };
    yield* propertiesOf(property, key, optionalObject);
    if (KindGuard.IsUnion(property)) {
      const nullable = property.anyOf.some((branch) => KindGuard.IsNull(branch));
      for (const branch of property.anyOf) yield* propertiesOf(branch, key, nullable ? key : optionalObject);
    }
  }
}

const PROPERTIES = [...propertiesOf(ConfigSchema)];

// Only config-schema.ts's env() writes these keywords.
const keywordsOf = (schema: TSchema): Partial<EnvKeywords> => schema;

function envVarOf({ key, schema, optionalObject }: SchemaProperty): EnvVarSpec[] {
  const { env, secret, noneTurnsOff } = keywordsOf(schema);
  if (env === undefined) return [];
  if (noneTurnsOff === true && optionalObject === undefined) {
    throw new Error(`${key}: noneTurnsOff needs an enclosing "object or null" to turn off`);
  }
  const turnsOff = noneTurnsOff === true ? { turnsOff: optionalObject } : {};
  return [{ name: env, key, schema, secret: secret === true, ...turnsOff }];
}

/** The environment overrides, in schema order (config/README.md lists them; a unit test holds it to this). */
export const ENV_VARS: readonly EnvVarSpec[] = PROPERTIES.flatMap(envVarOf);

/** Environment variable naming an extra JSON config file merged over config/default.json. */
export const CONFIG_FILE_ENV = 'CHURN_CONFIG';

/** Config keys whose values are secrets (the `secret` keyword in the schema). */
export const SECRET_KEYS: ReadonlySet<string> = new Set(
  PROPERTIES.filter(({ schema }) => keywordsOf(schema).secret === true).map(({ key }) => key),
);

export function envVarForKey(key: string): EnvVarSpec | undefined {
  return ENV_VARS.find((spec) => spec.key === key);
}
