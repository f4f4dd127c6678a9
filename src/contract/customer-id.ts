/**
 * Why a customerid cannot name a customer, or undefined when it can (pure). The id keys the customer's predictions
 * and outcomes and picks the customer's rollout variant, so an empty one would pool every such record under one
 * key and one variant: the stream dead-letters it, /predict answers 400, the outcome join dead-letters the outcome.
 */
export function customerIdProblem(customerid: string): string | undefined {
  return customerid === '' ? 'must be a non-empty string (it keys the predictions and picks the variant)' : undefined;
}
