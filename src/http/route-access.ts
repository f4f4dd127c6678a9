/**
 * Which routes the bearer token guards and which are spared from load shedding, by route template
 * (fastify's routeOptions.url; "*" or undefined for a URL that matched no route). Pure.
 *
 * Anything not listed here needs the token (when one is set) and is shed under pressure, so a route added
 * later is closed by default.
 */

/** Orchestrator probes: always open and never shed, or a kubelet would restart a pod that is only busy. */
export const PROBE_ROUTES: ReadonlySet<string> = new Set(['/livez', '/readyz', '/ping']);
export const METRICS_ROUTE = '/metrics';

export interface AccessRules {
  /** /metrics needs the token too (when a token is set). */
  protectMetrics: boolean;
}

export function needsToken(route: string | undefined, rules: AccessRules): boolean {
  if (route === undefined) return true;
  if (PROBE_ROUTES.has(route)) return false;
  if (route === METRICS_ROUTE) return rules.protectMetrics;
  return true;
}

/** The probes and /metrics keep answering while the service sheds load: that is when they matter most. */
export function isShedUnderPressure(route: string | undefined): boolean {
  return route === undefined || !(PROBE_ROUTES.has(route) || route === METRICS_ROUTE);
}
