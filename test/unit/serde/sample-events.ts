import type { CustomerEvent } from '../../../src/serde/avro-records.js';
import { must } from '../../support/must.js';

const CONTRACTS = ['Month-to-month', 'One year', 'Two year'] as const;
const INTERNET = ['DSL', 'Fiber optic', 'No'] as const;
const PAYMENT = ['Electronic check', 'Mailed check', 'Bank transfer (automatic)', 'Credit card (automatic)'] as const;
const YES_NO = ['Yes', 'No'] as const;

function pick<T>(values: readonly T[], i: number): T {
  return must(values[i % values.length], `value ${i % values.length} of ${values.length}`);
}

/** A deterministic, varied CustomerEvent; `i` makes customerid and event_id unique. */
export function sampleCustomerEvent(i: number): CustomerEvent {
  const internet = pick(INTERNET, i);
  const noInternet = internet === 'No';
  const addOn = (k: number): string => (noInternet ? 'No internet service' : pick(YES_NO, i + k));
  const phone = pick(YES_NO, i >> 1);
  const tenure = (i * 7) % 73;
  const monthly = Math.round((18.25 + ((i * 37) % 10_000) / 100) * 100) / 100;
  return {
    customerid: `${String(1000 + (i % 9000)).padStart(4, '0')}-C${i}`,
    event_id: `evt-${i.toString(16).padStart(8, '0')}`,
    event_time: 1_795_000_000_000 + i * 1_000,
    gender: i % 2 === 0 ? 'Female' : 'Male',
    seniorcitizen: i % 5 === 0 ? 1 : 0,
    partner: pick(YES_NO, i),
    dependents: pick(YES_NO, i + 1),
    tenure,
    phoneservice: phone,
    multiplelines: phone === 'No' ? 'No phone service' : pick(YES_NO, i + 2),
    internetservice: internet,
    onlinesecurity: addOn(3),
    onlinebackup: addOn(4),
    deviceprotection: addOn(5),
    techsupport: addOn(6),
    streamingtv: addOn(7),
    streamingmovies: addOn(8),
    contract: pick(CONTRACTS, i),
    paperlessbilling: pick(YES_NO, i + 9),
    paymentmethod: pick(PAYMENT, i),
    monthlycharges: monthly,
    totalcharges: tenure === 0 ? 0 : Math.round(monthly * tenure * 100) / 100,
  };
}
