import { STRING_CATEGORICAL_FEATURES, type StringCategoricalFeature } from './customer-fields.js';

/** What validateCustomer needs from the outside world: the model's known categories and the strict flag. */
export interface ValidationRules {
  /** Normalized values known per string categorical; a field with no entry accepts any value silently. */
  readonly knownCategories: ReadonlyMap<StringCategoricalFeature, ReadonlySet<string>>;
  /** true: an unknown category is an error; false: it is scored (as all-zero) with a warning. */
  readonly strictCategories: boolean;
}

export type CategoryLists = Readonly<Partial<Record<StringCategoricalFeature, readonly string[]>>>;

/** Builds the lookup sets once (at start-up), so per-record validation only does Set lookups. */
export function createValidationRules(options: {
  categories: CategoryLists;
  strictCategories: boolean;
}): ValidationRules {
  const knownCategories = new Map<StringCategoricalFeature, ReadonlySet<string>>();
  for (const field of STRING_CATEGORICAL_FEATURES) {
    const values = options.categories[field];
    if (values !== undefined) knownCategories.set(field, new Set(values));
  }
  return { knownCategories, strictCategories: options.strictCategories };
}
