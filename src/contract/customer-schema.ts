import { Type, type Static } from '@sinclair/typebox';
import type { StringCategoricalFeature } from './customer-fields.js';
import { normalizeCategory } from './normalize-category.js';

/**
 * Raw Telco CSV spellings per string categorical. Documentation only (OpenAPI examples): which values are
 * known is decided by the loaded model's categories, and acceptance by validateCustomer.
 */
export const TELCO_RAW_CATEGORIES: { readonly [K in StringCategoricalFeature]: readonly string[] } = {
  gender: ['Female', 'Male'],
  partner: ['No', 'Yes'],
  dependents: ['No', 'Yes'],
  phoneservice: ['No', 'Yes'],
  multiplelines: ['No', 'No phone service', 'Yes'],
  internetservice: ['DSL', 'Fiber optic', 'No'],
  onlinesecurity: ['No', 'No internet service', 'Yes'],
  onlinebackup: ['No', 'No internet service', 'Yes'],
  deviceprotection: ['No', 'No internet service', 'Yes'],
  techsupport: ['No', 'No internet service', 'Yes'],
  streamingtv: ['No', 'No internet service', 'Yes'],
  streamingmovies: ['No', 'No internet service', 'Yes'],
  contract: ['Month-to-month', 'One year', 'Two year'],
  paperlessbilling: ['No', 'Yes'],
  paymentmethod: ['Bank transfer (automatic)', 'Credit card (automatic)', 'Electronic check', 'Mailed check'],
};

function categorical(field: StringCategoricalFeature, what: string) {
  const raw = TELCO_RAW_CATEGORIES[field];
  const normalized = raw.map(normalizeCategory);
  const spellings = [...new Set([...normalized, ...raw])];
  return Type.String({
    minLength: 1,
    description:
      `${what}. Case-insensitive; spaces may be written as '_' (normalized with lower-case and ' ' -> '_'). ` +
      `Known values: ${normalized.join(', ')} (raw spellings ${raw.map((v) => JSON.stringify(v)).join(', ')} also accepted). ` +
      'Other values are scored as all-zero for this field with a warning, or rejected when strict categories are on.',
    examples: spellings,
  });
}

/**
 * The one customer input contract (request body of /predict, a line of `score`, the Kafka customer event).
 * Extra properties (e.g. customerid) are allowed and ignored, so additionalProperties is left open.
 */
export const CustomerSchema = Type.Object(
  {
    gender: categorical('gender', 'Customer gender'),
    seniorcitizen: Type.Integer({
      minimum: 0,
      maximum: 1,
      description: 'Senior citizen flag as an integer: 1 = yes, 0 = no (booleans are not accepted).',
      examples: [0, 1],
    }),
    partner: categorical('partner', 'Whether the customer has a partner'),
    dependents: categorical('dependents', 'Whether the customer has dependents'),
    tenure: Type.Integer({
      minimum: 0,
      description: 'Months the customer has stayed with the company.',
      examples: [1, 41],
    }),
    phoneservice: categorical('phoneservice', 'Whether the customer has phone service'),
    multiplelines: categorical('multiplelines', 'Whether the customer has multiple lines'),
    internetservice: categorical('internetservice', 'Internet service provider'),
    onlinesecurity: categorical('onlinesecurity', 'Whether the customer has online security'),
    onlinebackup: categorical('onlinebackup', 'Whether the customer has online backup'),
    deviceprotection: categorical('deviceprotection', 'Whether the customer has device protection'),
    techsupport: categorical('techsupport', 'Whether the customer has tech support'),
    streamingtv: categorical('streamingtv', 'Whether the customer streams TV'),
    streamingmovies: categorical('streamingmovies', 'Whether the customer streams movies'),
    contract: categorical('contract', 'Contract term'),
    paperlessbilling: categorical('paperlessbilling', 'Whether the customer has paperless billing'),
    paymentmethod: categorical('paymentmethod', 'Payment method'),
    monthlycharges: Type.Number({
      minimum: 0,
      description: 'Amount charged monthly; a JSON number (numeric strings are rejected).',
      examples: [29.85, 79.85],
    }),
    totalcharges: Type.Number({
      minimum: 0,
      description: 'Total amount charged; a JSON number, 0 where the data set has a blank.',
      examples: [29.85, 3320.75],
    }),
  },
  {
    title: 'Customer',
    description: 'The 19 features of a Telco customer. Unknown extra fields (such as customerid) are ignored.',
    examples: [
      {
        customerid: '8879-zkjof',
        gender: 'female',
        seniorcitizen: 0,
        partner: 'no',
        dependents: 'no',
        tenure: 41,
        phoneservice: 'yes',
        multiplelines: 'no',
        internetservice: 'dsl',
        onlinesecurity: 'yes',
        onlinebackup: 'no',
        deviceprotection: 'yes',
        techsupport: 'yes',
        streamingtv: 'yes',
        streamingmovies: 'yes',
        contract: 'one_year',
        paperlessbilling: 'yes',
        paymentmethod: 'bank_transfer_(automatic)',
        monthlycharges: 79.85,
        totalcharges: 3320.75,
      },
    ],
  },
);

/** The wire shape the schema describes (before normalization). */
export type CustomerInput = Static<typeof CustomerSchema>;
