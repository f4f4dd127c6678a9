import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { BEARER_SCHEME } from '../bearer-auth.js';

export interface OpenApiOptions {
  title: string;
  /** Version of the API document; we use the package version. */
  version: string;
  /** Document the bearer security scheme (the guarded operations list it; see bearer-auth.ts). */
  bearerAuth: boolean;
}

/**
 * OpenAPI 3 document at /openapi.json and Swagger UI at /docs, generated from the routes' TypeBox schemas.
 * Wrapped with fastify-plugin because @fastify/swagger collects routes with an onRoute hook that must see the
 * routes registered next to it, so it has to live in the root scope (before the route plugins).
 */
const openApiPlugin: FastifyPluginAsync<OpenApiOptions> = async (app, options) => {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: options.title,
        version: options.version,
        description:
          'Churn scoring side-port: predictions by the rollout in force (GET /model names its champion, GET ' +
          '/experiments compares its variants). Every client error is a 4xx JSON {error, message, ' +
          'fields:[{field, message}]} naming the offending field.',
      },
      tags: [
        { name: 'predict', description: 'Score customers' },
        { name: 'model', description: 'The models of the rollout in force and their comparison' },
        { name: 'health', description: 'Probes' },
        { name: 'observability', description: 'Metrics' },
      ],
      ...(options.bearerAuth
        ? {
            components: {
              securitySchemes: {
                [BEARER_SCHEME]: {
                  type: 'http',
                  scheme: 'bearer',
                  description:
                    'The token configured with HTTP_AUTH_TOKEN or HTTP_AUTH_TOKEN_FILE. The probes never need it.',
                },
              },
            },
          }
        : {}),
    },
    // Shared schemas keep their $id as their components.schemas name ("Customer", "Prediction", ...).
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`),
    },
  });

  app.get('/openapi.json', { schema: { hide: true } }, (_request, reply) => {
    reply.send(app.swagger());
  });

  await app.register(swaggerUi, { routePrefix: '/docs' });
};

export const openApi = fp(openApiPlugin, { name: 'churn-openapi' });
