import type { FastifyPluginAsync } from 'fastify';
import type { ExperimentsSource } from '../../experiments/experiment-tracker.js';
import type { RealizedSource } from '../../outcomes/realized-tracker.js';
import { SCHEMA_IDS, ref } from '../schemas.js';

export interface ExperimentsRouteOptions {
  experiments: ExperimentsSource;
  /** the outcome join's realized performance; `realized` is null without it */
  realized?: RealizedSource;
}

/**
 * GET /experiments: the comparison of the rollout's variants and shadows (src/experiments/experiment-tracker.ts) and
 * the realized performance of each version and variant (src/outcomes/realized-tracker.ts).
 */
// async with no await on purpose: fastify (avvio) turns only a rejected promise into a register() error;
// a throw from a sync plugin (e.g. in an onRoute hook) would be uncaught.
// eslint-disable-next-line @typescript-eslint/require-await -- see above
export const experimentsRoute: FastifyPluginAsync<ExperimentsRouteOptions> = async (app, { experiments, realized }) => {
  app.get(
    '/experiments',
    {
      schema: {
        tags: ['model'],
        summary: 'Comparison of the variants and shadows of the rollout in force',
        description:
          'Per variant (champion, canary, ab): committed live predictions, mean score, histogram, churn rate. ' +
          'Per shadow against the champion on the same events: agreement, mean |dp|, PSI, riskiest-25% overlap. ' +
          'Counted from what the stream committed (HTTP predictions are not part of an experiment); ' +
          '`realized`: per version and variant, AUC, log-loss, riskiest-25% precision and recall and calibration ' +
          'against the real outcomes the outcome join committed, over the last REALIZED_WINDOW_RECORDS joins. ' +
          '`churn-scorer experiment report` recomputes both from the topics.',
        response: { 200: ref(SCHEMA_IDS.experiments) },
      },
    },
    (_request, reply) => {
      reply.send({ ...experiments.summary(), realized: realized?.view() ?? null });
    },
  );
};
