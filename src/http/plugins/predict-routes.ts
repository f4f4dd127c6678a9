import type { FastifyPluginAsync } from 'fastify';
import { customerIdProblem } from '../../contract/customer-id.js';
import { quoteValue } from '../../contract/shown-value.js';
import type { ChurnCounters } from '../../observability/prediction-metrics.js';
import type { ServedBy, ServingSet, ServingSetSource } from '../../serving/serving-set.js';
import { servedBy } from '../../serving/serving-set.js';
import { BODY_FIELD, httpError, type FieldProblem, type HttpError } from '../error-body.js';
import { predictCustomer, type CustomerPrediction } from '../../model/predict-customer.js';
import { batchFieldErrors } from '../batch-field-errors.js';
import { PredictionDrift } from '../prediction-drift.js';
import type { DriftWindows } from '../../monitoring/drift-windows.js';
import { CLIENT_ERROR_RESPONSES, ExplainQuerySchema, SCHEMA_IDS, ref, type BatchItem } from '../schemas.js';

export interface PredictRoutesOptions {
  /** the rollout in force and its models, read once per request */
  serving: ServingSetSource;
  batchMax: number;
  churnCounters: ChurnCounters;
  /** `serve` (no stream): the side-port's drift windows, which count every customer answered (src/monitoring) */
  drift?: DriftWindows;
}

/**
 * POST /predict and POST /predict/batch. The body is judged by the shared contract (predictCustomer) with the
 * rules of the model that serves the customer: the variant of the body's customerid under the rollout in force
 * (servedBy, as the stream picks it for the same customer), or the champion without one.
 */
// async with no await on purpose: fastify (avvio) turns only a rejected promise into a register() error;
// a throw from a sync plugin (e.g. in an onRoute hook) would be uncaught.
// eslint-disable-next-line @typescript-eslint/require-await -- see above
export const predictRoutes: FastifyPluginAsync<PredictRoutesOptions> = async (app, options) => {
  const { serving, batchMax, churnCounters } = options;
  const drift = options.drift === undefined ? undefined : new PredictionDrift(options.drift);

  app.post(
    '/predict',
    {
      schema: {
        tags: ['predict'],
        summary: 'Churn probability of one customer',
        description:
          'Body: one customer (the 19 features; raw Telco spellings accepted; extra fields ignored). With ' +
          "?explain=true the answer also carries `explanation`: every feature's exact contribution to the logit.",
        querystring: ExplainQuerySchema,
        body: ref(SCHEMA_IDS.customer),
        response: { 200: ref(SCHEMA_IDS.prediction), ...CLIENT_ERROR_RESPONSES },
      },
    },
    (request, reply) => {
      const explain = explainFlag(request.query);
      if (typeof explain !== 'boolean') {
        reply.code(400).send(explain.body);
        return;
      }
      const set = serving.current();
      const { served, result } = predictServed(set, request.body, explain);
      drift?.count(set, served.assignment.version, request.body, result);
      if (!result.ok) {
        const failure = customerError(result.errors);
        reply.code(400).send(failure.body);
        return;
      }
      (result.churn ? churnCounters.churn : churnCounters.no_churn).inc();
      reply.send({
        churn_probability: result.churn_probability,
        churn: result.churn,
        model_version: served.assignment.version,
        variant: served.assignment.variant,
        rollout_revision: set.revision,
        warnings: result.warnings,
        // undefined without ?explain=true: the serializer leaves it out
        explanation: result.explanation,
      });
    },
  );

  app.post(
    '/predict/batch',
    {
      schema: {
        tags: ['predict'],
        summary: `Churn probabilities of 1 to ${batchMax} customers, in request order`,
        description:
          'All or nothing: if any customer is invalid the answer is 400 naming every problem as ' +
          'customers[<index>].<field>, and no customer is scored. With ?explain=true each prediction also ' +
          'carries its `explanation`.',
        querystring: ExplainQuerySchema,
        body: ref(SCHEMA_IDS.batchRequest),
        response: { 200: ref(SCHEMA_IDS.batchResponse), ...CLIENT_ERROR_RESPONSES },
      },
    },
    (request, reply) => {
      const explain = explainFlag(request.query);
      if (typeof explain !== 'boolean') {
        reply.code(400).send(explain.body);
        return;
      }
      const customers = batchCustomers(request.body, batchMax);
      if (!Array.isArray(customers)) {
        reply.code(400).send(customers.body);
        return;
      }
      // One serving set for the whole batch: a rollout change applies between requests, never inside one.
      const set = serving.current();
      const predictions = new Array<BatchItem>(customers.length);
      let problems: FieldProblem[] | undefined;
      drift?.begin();
      for (let i = 0; i < customers.length; i++) {
        const { served, result } = predictServed(set, customers[i], explain);
        drift?.add(set, served.assignment.version, customers[i], result);
        if (!result.ok) {
          (problems ??= []).push(...batchFieldErrors(i, result.errors));
          continue;
        }
        predictions[i] = {
          churn_probability: result.churn_probability,
          churn: result.churn,
          model_version: served.assignment.version,
          variant: served.assignment.variant,
          warnings: [...result.warnings],
          explanation: result.explanation,
        };
      }
      drift?.commit();
      if (problems !== undefined) {
        const failure = httpError(
          400,
          'invalid_customer',
          `${countCustomers(problems)} of ${customers.length} customers are invalid`,
          problems,
        );
        reply.code(400).send(failure.body);
        return;
      }
      let churned = 0;
      for (const p of predictions) if (p.churn) churned++;
      if (churned > 0) churnCounters.churn.inc(churned);
      if (predictions.length - churned > 0) churnCounters.no_churn.inc(predictions.length - churned);
      reply.send({ model_version: set.rollout.champion.version, rollout_revision: set.revision, predictions });
    },
  );
};

/**
 * The model that serves a request body and its prediction: by the body's customerid when it has one (a
 * string, or a problem naming the field), by the champion otherwise. A body that is no object goes to the
 * champion, whose validation says what is wrong with it.
 */
function predictServed(
  set: ServingSet,
  body: unknown,
  explain: boolean,
): { served: ServedBy; result: CustomerPrediction } {
  const customerId = isObject(body) ? body['customerid'] : undefined;
  const idProblem = typeof customerId === 'string' ? customerIdProblem(customerId) : undefined;
  if (typeof customerId === 'string' && idProblem === undefined) {
    const served = servedBy(set, customerId);
    return { served, result: predictCustomer(body, served.serving.rules, served.serving.model, { explain }) };
  }
  const served = championOf(set);
  const result = predictCustomer(body, served.serving.rules, served.serving.model, { explain });
  if (customerId === undefined) return { served, result };
  const problem: FieldProblem = {
    field: 'customerid',
    message:
      idProblem ?? `must be a string (the customer's id, which picks the serving model), got ${typeName(customerId)}`,
  };
  return { served, result: { ok: false, errors: [problem, ...(result.ok ? [] : result.errors)] } };
}

/** How an error names the explain query parameter (body fields are named by their path). */
const EXPLAIN_FIELD = '?explain';

/**
 * The `explain` query parameter: absent or "false" is false, "true" is true; anything else (another word, the
 * parameter repeated) is the client's mistake, answered 400 rather than guessed.
 */
function explainFlag(query: unknown): boolean | HttpError {
  const value = isObject(query) ? query['explain'] : undefined;
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  const got = typeof value === 'string' ? quoteValue(value) : 'the parameter more than once';
  return httpError(400, 'bad_request', `Query parameter explain must be true or false, got ${got}`, [
    { field: EXPLAIN_FIELD, message: `must be true or false, got ${got}` },
  ]);
}

function championOf(set: ServingSet): ServedBy {
  const assignment = set.rollout.champion;
  return { assignment, serving: set.models.get(assignment.version) as ServedBy['serving'] };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}

function customerError(errors: readonly FieldProblem[]): HttpError {
  const only = errors.length === 1 ? errors[0] : undefined;
  if (only !== undefined && only.field === BODY_FIELD) {
    return httpError(400, 'invalid_body', 'Request body must be a JSON object (a customer)', [...errors]);
  }
  return httpError(400, 'invalid_customer', `Invalid customer: ${errors.map((e) => e.field).join(', ')}`, [...errors]);
}

/** The customers array of a batch body, or the error that explains why there is none. */
function batchCustomers(body: unknown, batchMax: number): unknown[] | HttpError {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return httpError(400, 'invalid_body', 'Request body must be a JSON object {"customers": [...]}', [
      { field: BODY_FIELD, message: 'must be a JSON object with a "customers" array' },
    ]);
  }
  const customers = (body as { customers?: unknown }).customers;
  if (!isUnknownArray(customers)) {
    return httpError(400, 'invalid_batch', 'customers must be an array of customers', [
      { field: 'customers', message: customers === undefined ? 'is required' : 'must be an array' },
    ]);
  }
  if (customers.length === 0 || customers.length > batchMax) {
    return httpError(400, 'invalid_batch', `customers must hold 1 to ${batchMax} customers, got ${customers.length}`, [
      { field: 'customers', message: `must hold 1 to ${batchMax} customers, got ${customers.length}` },
    ]);
  }
  return customers;
}

function isUnknownArray(value: unknown): value is unknown[] {
  return Array.isArray(value);
}

function countCustomers(problems: readonly FieldProblem[]): number {
  return new Set(problems.map((p) => /^customers\[(\d+)\]/.exec(p.field)?.[1])).size;
}
