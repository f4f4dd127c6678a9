import type { FastifyPluginAsync } from 'fastify';
import { MONITORING_SCHEMA_IDS } from '../monitoring-schemas.js';
import type { MonitoringSource } from '../monitoring-view.js';
import { ref } from '../schemas.js';

export interface MonitoringRouteOptions {
  monitoring: MonitoringSource;
}

/** GET /monitoring: online drift per model version of the rollout in force (src/http/monitoring-view.ts). */
// async with no await on purpose: fastify (avvio) turns only a rejected promise into a register() error;
// a throw from a sync plugin (e.g. in an onRoute hook) would be uncaught.
// eslint-disable-next-line @typescript-eslint/require-await -- see above
export const monitoringRoute: FastifyPluginAsync<MonitoringRouteOptions> = async (app, { monitoring }) => {
  app.get(
    '/monitoring',
    {
      schema: {
        tags: ['model'],
        summary: "Drift of the inputs and scores against each model version's training data",
        description:
          'Per model version of the rollout in force: the PSI of each feature and of the score against the ' +
          "artifact's reference, the unseen-category, missing and out-of-range rates, for the open window so far " +
          'and the latest closed one, with the thresholds and the alerts in force. Windows close at ' +
          '`window.records` records or `window.ms` ms; figures raise alerts only over `thresholds.min_records` ' +
          'values. Alerts never stop scoring.',
        response: { 200: ref(MONITORING_SCHEMA_IDS.monitoring) },
      },
    },
    (_request, reply) => {
      reply.send(monitoring.view());
    },
  );
};
