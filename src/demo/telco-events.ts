import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { REPO_PATHS } from '../config/repo-paths.js';
import type { CustomerEvent } from '../serde/avro-records.js';

/** The Telco data set shipped in data/. */
export const TELCO_CSV = REPO_PATHS.telcoCsv;

/** The 19 features of one customer with the data set's raw spellings, plus the id. */
export type TelcoCustomer = Omit<CustomerEvent, 'event_id' | 'event_time'>;

const COLUMN_TO_FIELD: Record<string, keyof TelcoCustomer> = {
  customerID: 'customerid',
  gender: 'gender',
  SeniorCitizen: 'seniorcitizen',
  Partner: 'partner',
  Dependents: 'dependents',
  tenure: 'tenure',
  PhoneService: 'phoneservice',
  MultipleLines: 'multiplelines',
  InternetService: 'internetservice',
  OnlineSecurity: 'onlinesecurity',
  OnlineBackup: 'onlinebackup',
  DeviceProtection: 'deviceprotection',
  TechSupport: 'techsupport',
  StreamingTV: 'streamingtv',
  StreamingMovies: 'streamingmovies',
  Contract: 'contract',
  PaperlessBilling: 'paperlessbilling',
  PaymentMethod: 'paymentmethod',
  MonthlyCharges: 'monthlycharges',
  TotalCharges: 'totalcharges',
};

const INTEGER_FIELDS = new Set<keyof TelcoCustomer>(['seniorcitizen', 'tenure']);
const DOUBLE_FIELDS = new Set<keyof TelcoCustomer>(['monthlycharges', 'totalcharges']);

/**
 * Rows of the Telco CSV as customers. Categoricals keep their raw spellings ("Fiber optic"):
 * normalizing them is the scorer's job. A blank TotalCharges (11 new customers) becomes 0,
 * as the course's preprocessing does, because the Avro field is a double.
 */
export function parseTelcoCsv(text: string): TelcoCustomer[] {
  const rows = parse<Record<string, string>>(text, { columns: true, skip_empty_lines: true, trim: false });
  return rows.map((row, index) => {
    const customer: Record<string, string | number> = {};
    for (const [column, field] of Object.entries(COLUMN_TO_FIELD)) {
      const raw = row[column];
      if (raw === undefined) throw new Error(`${TELCO_CSV}: row ${index + 2} has no column ${column}`);
      if (INTEGER_FIELDS.has(field)) customer[field] = Number.parseInt(raw, 10);
      else if (DOUBLE_FIELDS.has(field)) customer[field] = raw.trim() === '' ? 0 : Number(raw);
      else customer[field] = raw;
    }
    return customer as unknown as TelcoCustomer;
  });
}

export function loadTelcoCustomers(path: string = TELCO_CSV): TelcoCustomer[] {
  return parseTelcoCsv(readFileSync(path, 'utf8'));
}

export function customerEvent(customer: TelcoCustomer, eventId: string, eventTime: number): CustomerEvent {
  return { ...customer, event_id: eventId, event_time: eventTime };
}
