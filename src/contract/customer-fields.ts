/**
 * The 19 model features of a customer, named as the course notes name them (lower-case CSV columns).
 * Order follows the Telco CSV columns so a customer record reads the same everywhere (HTTP, CLI, Avro).
 */
export const CUSTOMER_FEATURE_NAMES = [
  'gender',
  'seniorcitizen',
  'partner',
  'dependents',
  'tenure',
  'phoneservice',
  'multiplelines',
  'internetservice',
  'onlinesecurity',
  'onlinebackup',
  'deviceprotection',
  'techsupport',
  'streamingtv',
  'streamingmovies',
  'contract',
  'paperlessbilling',
  'paymentmethod',
  'monthlycharges',
  'totalcharges',
] as const;

export type CustomerFeatureName = (typeof CUSTOMER_FEATURE_NAMES)[number];

/**
 * Features carried as numbers; DictVectorizer passes them through as the single feature "key".
 * seniorcitizen is a categorical in the notes but an int 0/1 in the data, so it lands here.
 */
export const NUMERIC_FEATURES = [
  'seniorcitizen',
  'tenure',
  'monthlycharges',
  'totalcharges',
] as const satisfies readonly CustomerFeatureName[];

export type NumericFeature = (typeof NUMERIC_FEATURES)[number];

const NUMERIC_SET: ReadonlySet<string> = new Set(NUMERIC_FEATURES);

export function isNumericFeature(name: string): name is NumericFeature {
  return NUMERIC_SET.has(name);
}

/** Every other feature is carried as a string; DictVectorizer one-hot encodes them as "key=value". */
export type StringCategoricalFeature = Exclude<CustomerFeatureName, NumericFeature>;

/** In CSV column order, which the scorer's parallel arrays follow. */
export const STRING_CATEGORICAL_FEATURES: readonly StringCategoricalFeature[] = CUSTOMER_FEATURE_NAMES.filter(
  (name): name is StringCategoricalFeature => !isNumericFeature(name),
);

/** A customer after validation and normalization: exactly what the scorer consumes. */
export type Customer = { [K in StringCategoricalFeature]: string } & {
  seniorcitizen: 0 | 1;
  tenure: number;
  monthlycharges: number;
  totalcharges: number;
};

const STRING_CATEGORICAL_SET: ReadonlySet<string> = new Set(STRING_CATEGORICAL_FEATURES);

export function isStringCategoricalFeature(name: string): name is StringCategoricalFeature {
  return STRING_CATEGORICAL_SET.has(name);
}
