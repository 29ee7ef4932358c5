import { matchPath, ROUTES, routeKey } from '../../../lambdas/shared/routes';

describe('matchPath', () => {
  it('matches a literal path and one with parameters', () => {
    expect(matchPath('/oauth/callback', '/oauth/callback')).toEqual({});
    expect(matchPath('/shops/{shopId}/credentials', '/shops/749%2040/credentials')).toEqual({ shopId: '749 40' });
  });

  it.each([
    ['/shops/{shopId}/credentials', '/shops//credentials'],
    ['/shops/{shopId}/credentials', '/shops/1/credentials/extra'],
    ['/sellers/{openId}', '/shops/1'],
  ])('does not match %s to %s', (pattern, path) => {
    expect(matchPath(pattern, path)).toBeUndefined();
  });
});

describe('ROUTES', () => {
  it('leaves only the two routes browsers and TikTok call without IAM', () => {
    expect(ROUTES.filter((route) => route.access === 'public').map((route) => `${route.method} ${route.path}`)).toEqual(
      ['GET /oauth/callback', 'POST /webhooks/tiktok'],
    );
  });

  it('serves only the webhook from its function’s own URL on AWS, every other route from the HTTP API', () => {
    expect(ROUTES.filter((route) => route.edge === 'function-url').map(routeKey)).toEqual(['POST /webhooks/tiktok']);
  });
});
