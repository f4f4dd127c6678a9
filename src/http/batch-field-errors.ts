import type { FieldError } from '../contract/customer.js';

/** Prefixes each field of a batch item's errors with its position: "tenure" -> "customers[3].tenure". */
export function batchFieldErrors(index: number, errors: readonly FieldError[]): FieldError[] {
  return errors.map((e) => ({
    field: e.field === '(body)' ? `customers[${index}]` : `customers[${index}].${e.field}`,
    message: e.message,
  }));
}
