/**
 * The first customer of the course notes, in the normalized spelling (lower case, spaces as '_') that both the
 * workshop's Pydantic model and our input contract accept. Expected probability 0.6364 from both services.
 */
export const NOTES_CUSTOMER = {
  gender: 'female',
  seniorcitizen: 0,
  partner: 'yes',
  dependents: 'no',
  phoneservice: 'no',
  multiplelines: 'no_phone_service',
  internetservice: 'dsl',
  onlinesecurity: 'no',
  onlinebackup: 'yes',
  deviceprotection: 'no',
  techsupport: 'no',
  streamingtv: 'no',
  streamingmovies: 'no',
  contract: 'month-to-month',
  paperlessbilling: 'yes',
  paymentmethod: 'electronic_check',
  tenure: 1,
  monthlycharges: 29.85,
  totalcharges: 29.85,
} as const;
