/**
 * Stands in for `@aws-sdk/endpoint-cache` in every bundle (an esbuild alias: see `handlerBundling`). The DynamoDB
 * client keeps the endpoints that endpoint discovery finds; discovery is off unless configured, and this service never
 * turns it on, so the cache stays empty and every lookup finds nothing, as here. The real cache carries an LRU library
 * (8 KB of every bundle). Should discovery ever be turned on, the first write to the cache says what happened.
 */
export class EndpointCache {
  getEndpoint(_key: string): string | undefined {
    return undefined;
  }

  get(_key: string): undefined {
    return undefined;
  }

  has(_key: string): boolean {
    return false;
  }

  set(_key: string, _endpoints: unknown): never {
    throw new Error('endpoint discovery is not bundled with tiktok-shop-auth: leave it off for DynamoDB');
  }

  delete(_key: string): void {}

  clear(): void {}
}
