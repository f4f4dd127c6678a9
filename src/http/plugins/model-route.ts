import type { FastifyPluginAsync } from 'fastify';
import type { ModelMeta } from '../../model/index.js';
import { SCHEMA_IDS, ref } from '../schemas.js';

export interface ModelRouteOptions {
  meta: ModelMeta;
}

/** GET /model: the loaded artifact's metadata and metrics (no coefficients, nothing secret). */
// async with no await on purpose: fastify (avvio) turns only a rejected promise into a register() error;
// a throw from a sync plugin (e.g. in an onRoute hook) would be uncaught.
// eslint-disable-next-line @typescript-eslint/require-await -- see above
export const modelRoute: FastifyPluginAsync<ModelRouteOptions> = async (app, { meta }) => {
  app.get(
    '/model',
    {
      schema: {
        tags: ['model'],
        summary: 'Metadata of the loaded model artifact',
        response: { 200: ref(SCHEMA_IDS.model) },
      },
    },
    (_request, reply) => {
      reply.send(meta);
    },
  );
};
