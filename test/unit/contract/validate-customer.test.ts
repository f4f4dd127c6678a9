import { describe, expect, it } from 'vitest';
import {
  BODY_FIELD,
  CUSTOMER_FEATURE_NAMES,
  createValidationRules,
  normalizeCategory,
  validateCustomer,
  type CustomerValidationResult,
} from '../../../src/contract/customer.js';
import { RAW_CUSTOMER, TELCO_CATEGORIES } from './sample-customers.js';

const lenient = createValidationRules({ categories: TELCO_CATEGORIES, strictCategories: false });
const strict = createValidationRules({ categories: TELCO_CATEGORIES, strictCategories: true });

function errorsOf(result: CustomerValidationResult) {
  if (result.ok) throw new Error(`expected a validation failure, got ok: ${JSON.stringify(result.customer)}`);
  return result.errors;
}

function withField(field: string, value: unknown): Record<string, unknown> {
  return { ...RAW_CUSTOMER, [field]: value };
}

function without(field: string): Record<string, unknown> {
  return Object.fromEntries(Object.entries(RAW_CUSTOMER).filter(([key]) => key !== field));
}

describe('validateCustomer: valid input', () => {
  it('normalizes raw Telco spellings and drops extra fields', () => {
    const result = validateCustomer(RAW_CUSTOMER, lenient);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.customer).toEqual({
      gender: 'female',
      seniorcitizen: 0,
      partner: 'yes',
      dependents: 'no',
      tenure: 1,
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
      monthlycharges: 29.85,
      totalcharges: 29.85,
    });
    expect(Object.keys(result.customer).sort()).toEqual([...CUSTOMER_FEATURE_NAMES].sort());
    expect(result.customer).not.toHaveProperty('customerid');
    expect(result.warnings).toEqual([]);
  });

  it('accepts already-normalized values unchanged', () => {
    const first = validateCustomer(RAW_CUSTOMER, lenient);
    if (!first.ok) throw new Error('fixture must be valid');
    const again = validateCustomer(first.customer, strict);
    expect(again).toMatchObject({ ok: true, customer: first.customer, warnings: [] });
  });

  it.each([
    ['Fiber optic', 'fiber_optic'],
    ['Month-to-month', 'month-to-month'],
    ['Electronic check', 'electronic_check'],
    ['No internet service', 'no_internet_service'],
    ['Bank transfer (automatic)', 'bank_transfer_(automatic)'],
    ['FIBER OPTIC', 'fiber_optic'],
    ['fiber_optic', 'fiber_optic'],
    ['Two  year', 'two__year'],
  ])('normalizes %j to %j (lower-case, every space -> _)', (raw, normalized) => {
    expect(normalizeCategory(raw)).toBe(normalized);
  });

  it.each(['dsl', 'no_internet_service', 'Ünïcode Çase', 'ÀB c', 'İstanbul', 'ΣΊΣΥΦΟΣ', 'tab\there', '', 'a-b_(c)'])(
    'matches lower() then every " " -> "_" for %j',
    (raw) => {
      expect(normalizeCategory(raw)).toBe(raw.toLowerCase().replaceAll(' ', '_'));
    },
  );

  it.each([
    ['internetservice', 'Fiber optic', 'fiber_optic'],
    ['contract', 'One year', 'one_year'],
    ['onlinesecurity', 'No internet service', 'no_internet_service'],
    ['paymentmethod', 'Credit card (automatic)', 'credit_card_(automatic)'],
  ])('%s %j is known after normalization (no warning even in strict mode)', (field, raw, normalized) => {
    const result = validateCustomer(withField(field, raw), strict);
    expect(result).toMatchObject({ ok: true, warnings: [] });
    if (result.ok) expect(result.customer[field as 'contract']).toBe(normalized);
  });

  it('accepts boundary numbers: tenure 0, charges 0, seniorcitizen 1', () => {
    const result = validateCustomer(
      { ...RAW_CUSTOMER, tenure: 0, monthlycharges: 0, totalcharges: 0, seniorcitizen: 1 },
      strict,
    );
    expect(result).toMatchObject({
      ok: true,
      customer: { tenure: 0, monthlycharges: 0, totalcharges: 0, seniorcitizen: 1 },
    });
  });

  it('returns the same shared empty warnings array for clean customers', () => {
    const a = validateCustomer(RAW_CUSTOMER, lenient);
    const b = validateCustomer(RAW_CUSTOMER, lenient);
    if (!a.ok || !b.ok) throw new Error('fixture must be valid');
    expect(a.warnings).toBe(b.warnings);
    expect(Object.isFrozen(a.warnings)).toBe(true);
  });
});

describe('validateCustomer: unknown categories', () => {
  it('scores with a warning naming field and value when not strict', () => {
    const result = validateCustomer({ ...RAW_CUSTOMER, contract: 'Three year', gender: 'Other' }, lenient);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.customer.contract).toBe('three_year');
    expect(result.warnings).toHaveLength(2);
    expect(result.warnings[0]).toMatch(/^gender: unknown value 'other'/);
    expect(result.warnings[1]).toMatch(
      /^contract: unknown value 'three_year' \(known: month-to-month, one_year, two_year\)/,
    );
  });

  it('rejects with the expected values listed when strict', () => {
    const errors = errorsOf(validateCustomer({ ...RAW_CUSTOMER, contract: 'Three year' }, strict));
    expect(errors).toEqual([
      { field: 'contract', message: "unknown value 'three_year'; expected one of month-to-month, one_year, two_year" },
    ]);
  });

  it('does not trim: a padded value is unknown, as it would be to the Python service', () => {
    const result = validateCustomer({ ...RAW_CUSTOMER, gender: ' Female' }, lenient);
    expect(result.ok && result.warnings[0]).toMatch(/gender: unknown value '_female'/);
  });

  it('accepts any value silently for a field the rules know nothing about', () => {
    const rules = createValidationRules({ categories: {}, strictCategories: true });
    expect(validateCustomer({ ...RAW_CUSTOMER, contract: 'weekly' }, rules)).toMatchObject({ ok: true, warnings: [] });
  });
});

describe('validateCustomer: bad inputs name the offending field', () => {
  const cases: Array<[string, unknown, string, RegExp]> = [
    ['null body', null, BODY_FIELD, /must be a JSON object.*got null/],
    ['array body', [RAW_CUSTOMER], BODY_FIELD, /got array/],
    ['string body', '{"gender":"female"}', BODY_FIELD, /got string/],
    ['number body', 42, BODY_FIELD, /got 42/],
    ['missing gender', without('gender'), 'gender', /^is required$/],
    ['missing tenure', without('tenure'), 'tenure', /^is required$/],
    ['missing seniorcitizen', without('seniorcitizen'), 'seniorcitizen', /^is required$/],
    ['missing monthlycharges', without('monthlycharges'), 'monthlycharges', /^is required$/],
    ['missing totalcharges', without('totalcharges'), 'totalcharges', /^is required$/],
    ['missing paymentmethod', without('paymentmethod'), 'paymentmethod', /^is required$/],
    ['gender as number', withField('gender', 1), 'gender', /^must be a string, got 1$/],
    ['contract as null', withField('contract', null), 'contract', /^must be a string, got null$/],
    ['partner as boolean', withField('partner', true), 'partner', /^must be a string, got boolean true$/],
    ['internetservice as object', withField('internetservice', { v: 'dsl' }), 'internetservice', /got object/],
    ['techsupport empty', withField('techsupport', ''), 'techsupport', /non-empty/],
    ['seniorcitizen 2', withField('seniorcitizen', 2), 'seniorcitizen', /^must be 0 or 1, got 2$/],
    ['seniorcitizen true', withField('seniorcitizen', true), 'seniorcitizen', /^must be 0 or 1, got boolean true$/],
    ['seniorcitizen "1"', withField('seniorcitizen', '1'), 'seniorcitizen', /^must be 0 or 1, got string "1"$/],
    ['seniorcitizen 0.5', withField('seniorcitizen', 0.5), 'seniorcitizen', /got 0\.5/],
    ['tenure negative', withField('tenure', -3), 'tenure', /^must be an integer >= 0, got -3$/],
    ['tenure fractional', withField('tenure', 1.5), 'tenure', /^must be an integer >= 0, got 1\.5$/],
    ['tenure numeric string', withField('tenure', '12'), 'tenure', /got string "12"/],
    ['tenure NaN', withField('tenure', Number.NaN), 'tenure', /got NaN/],
    [
      'monthlycharges numeric string',
      withField('monthlycharges', '29.85'),
      'monthlycharges',
      /^must be a finite number >= 0, got string "29.85"$/,
    ],
    ['monthlycharges negative', withField('monthlycharges', -0.01), 'monthlycharges', /got -0\.01/],
    [
      'monthlycharges Infinity',
      withField('monthlycharges', Number.POSITIVE_INFINITY),
      'monthlycharges',
      /finite.*got Infinity/,
    ],
    ['totalcharges blank string', withField('totalcharges', ' '), 'totalcharges', /got string " "/],
    ['totalcharges null', withField('totalcharges', null), 'totalcharges', /got null/],
    ['totalcharges array', withField('totalcharges', [1]), 'totalcharges', /got array/],
    ['totalcharges NaN', withField('totalcharges', Number.NaN), 'totalcharges', /got NaN/],
  ];

  it.each(cases)('%s -> error on %s', (_name, input, field, message) => {
    const errors = errorsOf(validateCustomer(input, lenient));
    expect(errors).toHaveLength(1);
    expect(errors[0]?.field).toBe(field);
    expect(errors[0]?.message).toMatch(message);
  });

  it('has at least 25 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
  });

  it('collects every field error, not just the first', () => {
    const errors = errorsOf(
      validateCustomer({ ...RAW_CUSTOMER, gender: 3, tenure: -1, totalcharges: '10', contract: undefined }, strict),
    );
    expect(errors.map((e) => e.field).sort()).toEqual(['contract', 'gender', 'tenure', 'totalcharges']);
  });

  it('names all 19 fields for an empty object', () => {
    const errors = errorsOf(validateCustomer({}, lenient));
    expect(errors.map((e) => e.field).sort()).toEqual([...CUSTOMER_FEATURE_NAMES].sort());
    expect(errors.every((e) => e.message === 'is required')).toBe(true);
  });

  it('does not echo a huge string in full', () => {
    const errors = errorsOf(validateCustomer(withField('tenure', 'x'.repeat(10_000)), lenient));
    expect(errors[0]?.message.length).toBeLessThan(120);
  });
});
