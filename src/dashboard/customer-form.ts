import { CUSTOMER_FEATURE_NAMES, NUMERIC_FEATURES, type CustomerFeatureName } from '../contract/customer-fields.js';
import { CustomerSchema, TELCO_RAW_CATEGORIES } from '../contract/customer-schema.js';
import { normalizeCategory } from '../contract/normalize-category.js';
import { escapeHtml } from './html-text.js';

/*
 * The dashboard's "score one customer" form (the course's gradio/streamlit idea), as HTML built from the one
 * customer contract (pure): a labelled control per field, its choices the contract's categories, its starting
 * values the contract's example customer. The page posts it to /predict?explain=true, the same decision as the
 * stream's.
 */

const NUMERIC = new Set<string>(NUMERIC_FEATURES);

/** What a label says for each field: the notes' column names are not words a marketing analyst reads. */
const LABELS: Readonly<Record<CustomerFeatureName, string>> = {
  gender: 'Gender',
  seniorcitizen: 'Senior citizen',
  partner: 'Partner',
  dependents: 'Dependents',
  tenure: 'Tenure (months)',
  phoneservice: 'Phone service',
  multiplelines: 'Multiple lines',
  internetservice: 'Internet service',
  onlinesecurity: 'Online security',
  onlinebackup: 'Online backup',
  deviceprotection: 'Device protection',
  techsupport: 'Tech support',
  streamingtv: 'Streaming TV',
  streamingmovies: 'Streaming movies',
  contract: 'Contract',
  paperlessbilling: 'Paperless billing',
  paymentmethod: 'Payment method',
  monthlycharges: 'Monthly charges',
  totalcharges: 'Total charges',
};

function exampleCustomer(): Record<string, unknown> {
  const [example] = CustomerSchema.examples as Record<string, unknown>[];
  return example ?? {};
}

function control(field: CustomerFeatureName, value: unknown): string {
  const id = `customer-${field}`;
  const label = `<label for="${id}">${escapeHtml(LABELS[field])}</label>`;
  if (field === 'seniorcitizen') {
    const options = [
      ['0', 'No'],
      ['1', 'Yes'],
    ]
      .map(([v, text]) => `<option value="${v}"${String(value) === v ? ' selected' : ''}>${text}</option>`)
      .join('');
    return `${label}<select id="${id}" name="${field}" data-kind="integer">${options}</select>`;
  }
  if (NUMERIC.has(field)) {
    const integer = field === 'tenure';
    const step = integer ? '1' : '0.01';
    return (
      `${label}<input id="${id}" name="${field}" type="number" min="0" step="${step}" required ` +
      `inputmode="${integer ? 'numeric' : 'decimal'}" data-kind="${integer ? 'integer' : 'number'}" ` +
      `value="${typeof value === 'number' ? value : 0}">`
    );
  }
  const raw = TELCO_RAW_CATEGORIES[field as keyof typeof TELCO_RAW_CATEGORIES];
  const options = raw
    .map((text) => {
      const v = normalizeCategory(text);
      return `<option value="${escapeHtml(v)}"${value === v ? ' selected' : ''}>${escapeHtml(text)}</option>`;
    })
    .join('');
  return `${label}<select id="${id}" name="${field}" data-kind="category">${options}</select>`;
}

/** One labelled control per customer field, in the contract's order, filled with the example customer. */
export function customerFormFields(): string {
  const example = exampleCustomer();
  return CUSTOMER_FEATURE_NAMES.map((field) => `<div class="field">${control(field, example[field])}</div>`).join('\n');
}
