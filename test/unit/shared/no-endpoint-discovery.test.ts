import { EndpointCache } from '../../../lambdas/shared/no-endpoint-discovery';

describe("the bundles' stand-in for DynamoDB's discovered endpoints", () => {
  it('finds nothing, as the real cache does while discovery is off', () => {
    const cache = new EndpointCache();

    expect(cache.getEndpoint('key')).toBeUndefined();
    expect(cache.get('key')).toBeUndefined();
    expect(cache.has('key')).toBe(false);
  });

  it('says what happened if discovery is ever turned on', () => {
    expect(() => new EndpointCache().set('key', [])).toThrow(/endpoint discovery is not bundled/);
  });
});
