// The one customer input contract, shared by the HTTP side-port, the CLI and the Kafka stream.
export {
  CUSTOMER_FEATURE_NAMES,
  STRING_CATEGORICAL_FEATURES,
  NUMERIC_FEATURES,
  isStringCategoricalFeature,
  isNumericFeature,
  type Customer,
  type CustomerFeatureName,
  type StringCategoricalFeature,
  type NumericFeature,
} from './customer-fields.js';
export { normalizeCategory } from './normalize-category.js';
export { customerIdProblem } from './customer-id.js';
export { CustomerSchema, TELCO_RAW_CATEGORIES, type CustomerInput } from './customer-schema.js';
export { createValidationRules, type ValidationRules, type CategoryLists } from './validation-rules.js';
export {
  validateCustomer,
  unknownCategoryWarning,
  describeValue,
  BODY_FIELD,
  type FieldError,
  type CustomerValidationResult,
} from './validate-customer.js';
