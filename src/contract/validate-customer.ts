import type { Customer, NumericFeature, StringCategoricalFeature } from './customer-fields.js';
import { normalizeCategory } from './normalize-category.js';
import { quoteValue } from './shown-value.js';
import type { ValidationRules } from './validation-rules.js';

/** One problem with one input field; field is "(body)" when the input as a whole is wrong. */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

export type CustomerValidationResult =
  | { readonly ok: true; readonly customer: Customer; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly errors: readonly FieldError[] };

/** Field name used when the input is not an object at all. */
export const BODY_FIELD = '(body)';

// Shared so that the common (clean) case allocates nothing but the customer and the result.
const NO_WARNINGS: readonly string[] = Object.freeze([]);

/** How a rejected value is shown in a message: type plus a bounded rendering of the value. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  switch (typeof value) {
    case 'number':
      return String(value);
    case 'string':
      return `string ${quoteValue(value, 'json')}`;
    case 'boolean':
      return `boolean ${value}`;
    case 'object':
      return 'object';
    default:
      return typeof value;
  }
}

function listKnown(known: ReadonlySet<string>): string {
  return [...known].join(', ');
}

/** The warning text for a category the model has not seen; shared with callers that build their own. */
export function unknownCategoryWarning(field: string, value: string, known?: ReadonlySet<string>): string {
  const knownPart = known === undefined ? '' : ` (known: ${listKnown(known)})`;
  return `${field}: unknown value ${quoteValue(value)}${knownPart}; scored as all-zero for this field`;
}

// Per-call scratch lists, module-level so the clean path allocates no bookkeeping objects. Safe because
// validateCustomer is synchronous and never re-entered; it resets them on entry and hands them off on exit.
let scratchErrors: FieldError[] | undefined;
let scratchWarnings: string[] | undefined;

// Read through functions: TypeScript does not see the helpers' assignments, so a direct read right after
// the reset on entry would be narrowed to `undefined`.
function takeScratchErrors(): FieldError[] | undefined {
  const errors = scratchErrors;
  scratchErrors = undefined;
  return errors;
}

function takeScratchWarnings(): string[] | undefined {
  const warnings = scratchWarnings;
  scratchWarnings = undefined;
  return warnings;
}

function categorical(record: Record<string, unknown>, field: StringCategoricalFeature, rules: ValidationRules): string {
  const value = record[field];
  if (typeof value !== 'string') {
    (scratchErrors ??= []).push({
      field,
      message: value === undefined ? 'is required' : `must be a string, got ${describeValue(value)}`,
    });
    return '';
  }
  if (value.length === 0) {
    (scratchErrors ??= []).push({ field, message: 'must be a non-empty string' });
    return '';
  }
  const category = normalizeCategory(value);
  const known = rules.knownCategories.get(field);
  if (known !== undefined && !known.has(category)) {
    if (rules.strictCategories) {
      (scratchErrors ??= []).push({
        field,
        message: `unknown value ${quoteValue(category)}; expected one of ${listKnown(known)}`,
      });
    } else {
      (scratchWarnings ??= []).push(unknownCategoryWarning(field, category, known));
    }
  }
  return category;
}

function numeric(record: Record<string, unknown>, field: NumericFeature): number {
  const value = record[field];
  let ok: boolean;
  let expected: string;
  switch (field) {
    case 'seniorcitizen':
      ok = value === 0 || value === 1;
      expected = 'must be 0 or 1';
      break;
    case 'tenure':
      ok = typeof value === 'number' && Number.isInteger(value) && value >= 0;
      expected = 'must be an integer >= 0';
      break;
    default:
      ok = typeof value === 'number' && Number.isFinite(value) && value >= 0;
      expected = 'must be a finite number >= 0';
  }
  if (ok) return value as number;
  (scratchErrors ??= []).push({
    field,
    message: value === undefined ? 'is required' : `${expected}, got ${describeValue(value)}`,
  });
  return 0;
}

/**
 * Validates and normalizes one customer. Collects every field error rather than stopping at the first, so a
 * client can fix a record in one round trip. Extra fields are ignored. Runs per Kafka record: in the clean
 * case it allocates only the customer, its normalized strings and the result.
 */
export function validateCustomer(input: unknown, rules: ValidationRules): CustomerValidationResult {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return {
      ok: false,
      errors: [
        {
          field: BODY_FIELD,
          message: `must be a JSON object with the 19 customer fields, got ${describeValue(input)}`,
        },
      ],
    };
  }
  const record = input as Record<string, unknown>;
  scratchErrors = undefined;
  scratchWarnings = undefined;
  // One literal in a fixed key order (CUSTOMER_FEATURE_NAMES), so every Customer shares one hidden class.
  const customer: Customer = {
    gender: categorical(record, 'gender', rules),
    seniorcitizen: numeric(record, 'seniorcitizen') as 0 | 1,
    partner: categorical(record, 'partner', rules),
    dependents: categorical(record, 'dependents', rules),
    tenure: numeric(record, 'tenure'),
    phoneservice: categorical(record, 'phoneservice', rules),
    multiplelines: categorical(record, 'multiplelines', rules),
    internetservice: categorical(record, 'internetservice', rules),
    onlinesecurity: categorical(record, 'onlinesecurity', rules),
    onlinebackup: categorical(record, 'onlinebackup', rules),
    deviceprotection: categorical(record, 'deviceprotection', rules),
    techsupport: categorical(record, 'techsupport', rules),
    streamingtv: categorical(record, 'streamingtv', rules),
    streamingmovies: categorical(record, 'streamingmovies', rules),
    contract: categorical(record, 'contract', rules),
    paperlessbilling: categorical(record, 'paperlessbilling', rules),
    paymentmethod: categorical(record, 'paymentmethod', rules),
    monthlycharges: numeric(record, 'monthlycharges'),
    totalcharges: numeric(record, 'totalcharges'),
  };
  const errors = takeScratchErrors();
  const warnings = takeScratchWarnings();
  if (errors !== undefined) return { ok: false, errors };
  return { ok: true, customer, warnings: warnings ?? NO_WARNINGS };
}
