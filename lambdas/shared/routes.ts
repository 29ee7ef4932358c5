/**
 * Every route of the API, with the function group that serves it and who may call it: the one list the CDK stack
 * and the local gateway both build from.
 */

export type FunctionGroup = 'oauth-callback' | 'tiktok-webhook' | 'seller-api' | 'credentials';

export interface RouteSpec {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** In API Gateway's syntax: `{name}` for a path parameter. */
  readonly path: string;
  readonly group: FunctionGroup;
  /** Public routes are called by browsers and TikTok, which cannot sign with IAM. */
  readonly access: 'public' | 'iam';
}

export const ROUTES: readonly RouteSpec[] = [
  { method: 'GET', path: '/oauth/callback', group: 'oauth-callback', access: 'public' },
  { method: 'POST', path: '/webhooks/tiktok', group: 'tiktok-webhook', access: 'public' },
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
