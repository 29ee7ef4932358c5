/**
 * Every route of the service, with the function group that serves it, who may call it and, on AWS, what serves it:
 * the one list the CDK stack and the local gateway both build from (local mode serves them all on one port).
 */

export type FunctionGroup = 'oauth-callback' | 'tiktok-webhook' | 'seller-api' | 'credentials';

export interface RouteSpec {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** In API Gateway's syntax: `{name}` for a path parameter. */
  readonly path: string;
  readonly group: FunctionGroup;
  /** Public routes are called by browsers and TikTok, which cannot sign with IAM. */
  readonly access: 'public' | 'iam';
  /**
   * What serves the route on AWS: the HTTP API unless said otherwise. `function-url`: the function's own URL (auth
   * NONE), for TikTok's webhooks. They are most of the service's requests, and a function URL costs nothing a
   * request beyond the invocation, where the HTTP API charges for each; the function checks TikTok's signature
   * itself, which was all the route's protection anyway. @default the HTTP API
   */
  readonly edge?: 'function-url';
}

/** Where TikTok posts its webhooks: the path on the webhook function's URL (and on local mode's port). */
export const WEBHOOK_PATH = '/webhooks/tiktok';

export const ROUTES: readonly RouteSpec[] = [
  { method: 'GET', path: '/oauth/callback', group: 'oauth-callback', access: 'public' },
  { method: 'POST', path: WEBHOOK_PATH, group: 'tiktok-webhook', access: 'public', edge: 'function-url' },
  { method: 'POST', path: '/authorization-links', group: 'seller-api', access: 'iam' },
  { method: 'POST', path: '/authorizations/exchange', group: 'oauth-callback', access: 'iam' },
  { method: 'POST', path: '/installations/claim', group: 'seller-api', access: 'iam' },
  { method: 'GET', path: '/sellers', group: 'seller-api', access: 'iam' },
  { method: 'GET', path: '/sellers/{openId}', group: 'seller-api', access: 'iam' },
  { method: 'POST', path: '/sellers/{openId}/refresh', group: 'credentials', access: 'iam' },
  { method: 'DELETE', path: '/sellers/{openId}', group: 'seller-api', access: 'iam' },
  { method: 'GET', path: '/shops/{shopId}/credentials', group: 'credentials', access: 'iam' },
];

export const routeKey = (route: Pick<RouteSpec, 'method' | 'path'>) => `${route.method} ${route.path}`;

/** Matches a concrete path against a route's path; the path parameters when it matches. */
export function matchPath(pattern: string, path: string): Record<string, string> | undefined {
  const patternParts = pattern.split('/');
  const pathParts = path.split('/');
  if (patternParts.length !== pathParts.length) return undefined;
  const parameters: Record<string, string> = {};
  for (const [index, part] of patternParts.entries()) {
    const actual = pathParts[index] ?? '';
    const name = /^\{(\w+)\}$/.exec(part)?.[1];
    if (name) {
      if (!actual) return undefined;
      parameters[name] = decodeURIComponent(actual);
    } else if (part !== actual) {
      return undefined;
    }
  }
  return parameters;
}
