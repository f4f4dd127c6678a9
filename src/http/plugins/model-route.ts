import type { FastifyPluginAsync } from 'fastify';
import type { ServingModel, ServingSetSource } from '../../serving/serving-set.js';
import { SCHEMA_IDS, ref } from '../schemas.js';

export interface ModelRouteOptions {
  serving: ServingSetSource;
}

/** GET /model: the champion's artifact metadata and metrics (no coefficients, nothing secret) and the revision. */
// async with no await on purpose: fastify (avvio) turns only a rejected promise into a register() error;
// a throw from a sync plugin (e.g. in an onRoute hook) would be uncaught.
// eslint-disable-next-line @typescript-eslint/require-await -- see above
export const modelRoute: FastifyPluginAsync<ModelRouteOptions> = async (app, { serving }) => {
  app.get(
    '/model',
    {
      schema: {
        tags: ['model'],
        summary: 'Metadata of the champion model under the rollout in force',
        response: { 200: ref(SCHEMA_IDS.model) },
      },
    },
    (_request, reply) => {
      const set = serving.current();
      const champion = set.models.get(set.rollout.champion.version) as ServingModel;
      reply.send({ ...champion.model.meta, rollout_revision: set.revision });
    },
  );
};
