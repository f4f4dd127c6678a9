/**
 * The first customer of the course notes, as the model artifact records it with sklearn's probability
 * (models/churn/1.0.0/examples.json, "notes-customer-1"): the normalized spelling (lower case, spaces as '_') that
 * both the workshop's Pydantic model and our input contract accept. Expected probability 0.6364 from both services.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../lib/results.js';

interface ExamplesFile {
  examples: { name: string; customer: Record<string, string | number> }[];
}

function notesCustomer(): Readonly<Record<string, string | number>> {
  const file = join(REPO_ROOT, 'models', 'churn', '1.0.0', 'examples.json');
  const { examples } = JSON.parse(readFileSync(file, 'utf8')) as ExamplesFile;
  const found = examples.find((e) => e.name === 'notes-customer-1');
  if (found === undefined) throw new Error(`${file} has no example named notes-customer-1`);
  return found.customer;
}

export const NOTES_CUSTOMER = notesCustomer();
