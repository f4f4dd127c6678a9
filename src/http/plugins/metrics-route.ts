import type { FastifyPluginAsync } from 'fastify';
import type { Registry } from 'prom-client';

export interface MetricsRouteOptions {
  registry: Registry;
  /** brings gauges that are set rather than collected up to date before each scrape */
  beforeScrape?: () => void;
  /**
   * The text to answer instead of this registry's (`serve --workers N`: the whole server's metrics, which the
   * primary gathers from every worker); the registry still gives the content type.
   */
  text?: () => Promise<string>;
}

/** GET /metrics: Prometheus text exposition of the registry handed to the server. */
// async with no await on purpose: fastify (avvio) turns only a rejected promise into a register() error;
// a throw from a sync plugin (e.g. in an onRoute hook) would be uncaught.
// eslint-disable-next-line @typescript-eslint/require-await -- see above
export const metricsRoute: FastifyPluginAsync<MetricsRouteOptions> = async (app, { registry, beforeScrape, text }) => {
  app.get(
    '/metrics',
    {
      schema: {
        tags: ['observability'],
        summary: 'Prometheus metrics (text exposition format)',
        response: {
          200: {
            description: 'Prometheus text format 0.0.4',
            content: { 'text/plain': { schema: { type: 'string' } } },
          },
        },
      },
    },
    async (_request, reply) => {
      if (text !== undefined) return reply.type(registry.contentType).send(await text());
      beforeScrape?.();
      return reply.type(registry.contentType).send(await registry.metrics());
    },
  );
};
