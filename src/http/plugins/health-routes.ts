import type { FastifyPluginAsync } from 'fastify';
import { runProbeChecks, type ProbeCheck } from '../../observability/health.js';
import { SCHEMA_IDS, ref } from '../schemas.js';

export interface HealthRoutesOptions {
  /** Liveness checks (the stream worker adds "consumer loop not stuck"); none means alive while serving. */
  liveness: readonly ProbeCheck[];
  /** Readiness checks; /readyz is 200 only when every one passes. */
  readiness: readonly ProbeCheck[];
}

const probeResponses = (failingStatus: string) => ({
  200: { ...ref(SCHEMA_IDS.probe), description: 'All checks pass: {status: "ok", reasons: []}.' },
  503: { ...ref(SCHEMA_IDS.probe), description: `Some check fails: {status: "${failingStatus}", reasons: [...]}.` },
});

/** /livez, /readyz (orchestrator probes) and /ping (the notes' "PONG"). */
// async with no await on purpose: fastify (avvio) turns only a rejected promise into a register() error;
// a throw from a sync plugin (e.g. in an onRoute hook) would be uncaught.
// eslint-disable-next-line @typescript-eslint/require-await -- see above
export const healthRoutes: FastifyPluginAsync<HealthRoutesOptions> = async (app, options) => {
  const { liveness, readiness } = options;

  app.get(
    '/livez',
    { schema: { tags: ['health'], summary: 'Liveness probe', response: probeResponses('not_live') } },
    async (_request, reply) => {
      const result = await runProbeChecks(liveness);
      return reply.code(result.ok ? 200 : 503).send({ status: result.ok ? 'ok' : 'not_live', reasons: result.reasons });
    },
  );

  app.get(
    '/readyz',
    { schema: { tags: ['health'], summary: 'Readiness probe', response: probeResponses('not_ready') } },
    async (_request, reply) => {
      const result = await runProbeChecks(readiness);
      return reply
        .code(result.ok ? 200 : 503)
        .send({ status: result.ok ? 'ok' : 'not_ready', reasons: result.reasons });
    },
  );

  app.get(
    '/ping',
    {
      schema: {
        tags: ['health'],
        summary: "The course notes' ping: answers the text PONG",
        response: {
          200: {
            description: 'The text PONG',
            content: { 'text/plain': { schema: { type: 'string', enum: ['PONG'] } } },
          },
        },
      },
    },
    (_request, reply) => {
      reply.type('text/plain; charset=utf-8').send('PONG');
    },
  );
};
