import type { FastifyPluginAsync } from 'fastify';
import type { DashboardAssets } from '../../dashboard/dashboard-assets.js';
import type { DashboardView } from '../../dashboard/dashboard-view.js';

export interface DashboardRoutesOptions {
  /** the service name and the command, shown on the page */
  readonly service: string;
  readonly role: string;
  readonly assets: DashboardAssets;
  readonly view: () => Promise<DashboardView>;
}

// No inline script or style: everything the page runs comes from the side-port itself (no CDN, works offline).
const PAGE_HEADERS = {
  'cache-control': 'no-store',
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
} as const;

const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * GET /dashboard (the page), /dashboard/view (its figures, polled once a second) and /dashboard/assets/<version>/
 * <file> (uPlot and the page's script and style, cached for good under the digest of their content). The bearer
 * token guards them like every route; a browser's session cookie counts as the token (../dashboard-session.ts).
 */
// eslint-disable-next-line @typescript-eslint/require-await -- fastify (avvio) wants an async plugin (see metrics-route.ts)
export const dashboardRoutes: FastifyPluginAsync<DashboardRoutesOptions> = async (app, options) => {
  const { assets } = options;
  const page = assets.page(options.service, options.role);

  app.get(
    '/dashboard',
    {
      schema: {
        tags: ['dashboard'],
        summary: 'The live dashboard (HTML)',
        description:
          'Throughput, lag, latency, scores, the riskiest 25%, the rollout, drift, and a form to score one customer. ' +
          'With auth on, open /dashboard?token=<token> once: the answer sets a session cookie and redirects here.',
        response: { 200: { description: 'HTML page', content: { 'text/html': { schema: { type: 'string' } } } } },
      },
    },
    (_request, reply) => {
      reply.headers(PAGE_HEADERS).type('text/html; charset=utf-8').send(page);
    },
  );

  app.get(
    '/dashboard/view',
    {
      schema: {
        tags: ['dashboard'],
        summary: "The dashboard's figures (JSON), from this process's own state",
        response: {
          200: {
            description: 'Every panel; a panel is null while it has no data',
            content: { 'application/json': { schema: { type: 'object' } } },
          },
        },
      },
    },
    async (_request, reply) => {
      const view = await options.view();
      // a string: the figures are already JSON-safe, and a route schema would drop what it does not list
      reply.header('cache-control', 'no-store').type('application/json; charset=utf-8').send(JSON.stringify(view));
    },
  );

  app.get<{ Params: { version: string; file: string } }>(
    '/dashboard/assets/:version/:file',
    { schema: { hide: true } },
    (request, reply) => {
      const file = assets.files.get(request.params.file);
      if (file === undefined) {
        reply.callNotFound();
        return;
      }
      // An old page asking for an older version gets today's file, but not for keeps.
      const current = request.params.version === assets.version;
      reply
        .header('cache-control', current ? IMMUTABLE : 'no-cache')
        .header('x-content-type-options', 'nosniff')
        .type(file.contentType)
        .send(file.body);
    },
  );
};
