// Service configuration: defaults file < CHURN_CONFIG file < environment < command line, validated once.
export { loadConfig, DEFAULT_CONFIG_FILE, type LoadConfigOptions } from './load-config.js';
export type { ConfigSection } from './resolve-config.js';
export {
  resolveConfig,
  parseEnv,
  mergeConfig,
  type ConfigLayers,
  type ConfigSource,
  type Environment,
} from './resolve-config.js';
export {
  ConfigSchema,
  LOG_FORMATS,
  LOG_LEVELS,
  SASL_MECHANISMS,
  type Config,
  type ConfigOverrides,
  type LogFormat,
  type LogLevel,
  type SaslMechanism,
} from './config-schema.js';
export { ConfigError, type ConfigProblem } from './config-error.js';
export { redactConfig, redactUrl, REDACTED } from './redact.js';
export { ENV_VARS, CONFIG_FILE_ENV, SECRET_KEYS, type EnvVarSpec } from './env-vars.js';
export { findRepoRoot } from './repo-root.js';
