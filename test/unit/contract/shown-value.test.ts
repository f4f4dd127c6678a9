import { describe, expect, it } from 'vitest';
import { clipText, quoteValue, SHOWN_VALUE_CHARS } from '../../../src/contract/shown-value.js';
import { createValidationRules, validateCustomer } from '../../../src/contract/customer.js';
import { RAW_CUSTOMER, TELCO_CATEGORIES } from './sample-customers.js';

describe('how a client value is shown in messages', () => {
  it('shows a short value whole', () => {
    expect(quoteValue('three_year')).toBe("'three_year'");
    expect(quoteValue('12', 'json')).toBe('"12"');
    expect(clipText('short', 10)).toBe('short');
  });

  it('cuts a long value to a prefix and gives its full length', () => {
    const huge = 'A'.repeat(1_048_576);
    expect(quoteValue(huge)).toBe(`'${'A'.repeat(SHOWN_VALUE_CHARS)}'… (1048576 chars)`);
    expect(quoteValue(huge, 'json')).toBe(`"${'A'.repeat(SHOWN_VALUE_CHARS)}"… (1048576 chars)`);
    expect(clipText(huge, 100)).toBe(`${'A'.repeat(100)}… (1048576 chars)`);
  });

  it('never ends a prefix in half a surrogate pair', () => {
    const text = `${'a'.repeat(SHOWN_VALUE_CHARS - 1)}😀${'b'.repeat(50)}`;
    expect(quoteValue(text)).toBe(`'${'a'.repeat(SHOWN_VALUE_CHARS - 1)}'… (${text.length} chars)`);
  });

  it('is what the contract uses for unknown categories and wrong types', () => {
    const huge = `Plan ${'X'.repeat(1_000_000)}`;
    const lenient = createValidationRules({ categories: TELCO_CATEGORIES, strictCategories: false });
    const strict = createValidationRules({ categories: TELCO_CATEGORIES, strictCategories: true });
    const warned = validateCustomer({ ...RAW_CUSTOMER, contract: huge }, lenient);
    expect(warned.ok && warned.warnings[0]).toMatch(/^contract: unknown value 'plan_x+'… \(1000005 chars\) \(known: /);
    expect(warned.ok && warned.warnings[0]?.length).toBeLessThan(300);
    const refused = validateCustomer({ ...RAW_CUSTOMER, contract: huge, tenure: huge }, strict);
    expect(refused.ok).toBe(false);
    for (const error of refused.ok ? [] : refused.errors) {
      expect(error.message.length, error.field).toBeLessThan(300);
      expect(error.message, error.field).toContain('… (1000005 chars)');
    }
  });
});
