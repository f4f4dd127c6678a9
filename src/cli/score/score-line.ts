import type { FieldError, ValidationRules } from '../../contract/customer.js';
import { predictCustomer } from '../../model/predict-customer.js';
import type { ChurnModel, Explanation } from '../../model/index.js';

/** What `score` writes for a good input line (customerid echoed when the input has one). */
export interface ScoredLine {
  customerid?: string | number;
  churn_probability: number;
  churn: boolean;
  model_version: string;
  warnings: readonly string[];
  /** with --explain: the exact contribution of every feature to the logit, largest first */
  explanation?: Explanation;
}

/** What `score` writes in place of a bad input line. */
export interface BadLine {
  line: number;
  customerid?: string | number;
  error: 'invalid_json' | 'invalid_customer';
  message: string;
  fields: readonly FieldError[];
}

export type LineOutcome = { ok: true; output: ScoredLine } | { ok: false; output: BadLine };

/** Pseudo-field naming the input line as a whole (it is not JSON, or not an object). */
export const LINE_FIELD = '(line)';

export interface ScoreLineOptions {
  /** --explain: each scored line also carries its explanation (as POST /predict?explain=true) */
  explain?: boolean;
}

/**
 * Scores one JSON-lines input line. Pure: the command shell does the reading, writing and reporting.
 * lineNumber is 1-based, as editors and `sed -n` count.
 */
export function scoreLine(
  text: string,
  lineNumber: number,
  rules: ValidationRules,
  model: ChurnModel,
  options: ScoreLineOptions = {},
): LineOutcome {
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (err) {
    const reason = text.trim() === '' ? 'empty line' : (err as Error).message;
    return {
      ok: false,
      output: {
        line: lineNumber,
        error: 'invalid_json',
        message: `line ${lineNumber} is not valid JSON: ${reason}`,
        fields: [{ field: LINE_FIELD, message: `must be one JSON object per line (${reason})` }],
      },
    };
  }
  const customerid = customerIdOf(input);
  const result = predictCustomer(input, rules, model, options);
  if (!result.ok) {
    const fields = result.errors.map((e) => (e.field === '(body)' ? { field: LINE_FIELD, message: e.message } : e));
    return {
      ok: false,
      output: {
        line: lineNumber,
        ...(customerid === undefined ? {} : { customerid }),
        error: 'invalid_customer',
        message: `line ${lineNumber}: invalid customer: ${fields.map((f) => `${f.field} ${f.message}`).join('; ')}`,
        fields,
      },
    };
  }
  return {
    ok: true,
    output: {
      ...(customerid === undefined ? {} : { customerid }),
      churn_probability: result.churn_probability,
      churn: result.churn,
      model_version: model.meta.version,
      warnings: result.warnings,
      ...(result.explanation === undefined ? {} : { explanation: result.explanation }),
    },
  };
}

function customerIdOf(input: unknown): string | number | undefined {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return undefined;
  const id = (input as { customerid?: unknown }).customerid;
  return typeof id === 'string' || typeof id === 'number' ? id : undefined;
}
