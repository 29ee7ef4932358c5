import {
  RefreshPausedError,
  ServiceUnreachableError,
  TikTokShopAuthClient,
  type TikTokShopAuthClientOptions,
  TikTokShopAuthError,
  TikTokUnavailableError,
  UnexpectedResponseError,
  UnknownServiceError,
} from '../../../client';
import { ScriptedServer } from '../../support/scripted-server';
import { sigV4Problem } from './sigv4-verifier';

const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const NOW = new Date('2026-12-01T10:00:00.000Z');
const minutes = (n: number) => n * 60_000;

const credentialsAnswer = (token: string, expiresAt: Date) => ({
  status: 200,
  body: {
    shopId: '7494000000000000101',
    shopCipher: 'ROW_cipher',
    openId: 'sbx-open-gb-0001',
    accessToken: token,
    accessTokenExpiresAt: expiresAt.toISOString(),
  },
});
const refusal = (status: number, code: string, headers: Record<string, string> = {}) => ({
  status,
  headers,
  body: { error: { code, message: `${code} message` } },
});

describe('the client on a bad day (a scripted API)', () => {
  const api = new ScriptedServer({ status: 500, body: { error: { code: 'INTERNAL', message: 'no reply scripted' } } });
  let now: Date;
  let sleeps: number[];

  beforeAll(() => api.start());
  afterAll(() => api.stop());
  beforeEach(() => {
    api.reset();
    now = NOW;
    sleeps = [];
  });

  const client = (options: Partial<TikTokShopAuthClientOptions> = {}) =>
    new TikTokShopAuthClient({
      baseUrl: api.url,
      signing: 'none',
      now: () => now,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      random: () => 0.5,
      ...options,
    });

  it('tries a 503 again after the retry-after the service asked for, spread by jitter', async () => {
    api.reply(
      refusal(503, 'REFRESH_IN_PROGRESS', { 'retry-after': '1' }),
      credentialsAnswer('token-1', new Date(NOW.getTime() + minutes(60))),
    );

    const credentials = await client().getShopCredentials('7494000000000000101');

    expect(credentials.accessToken).toBe('token-1');
    expect(api.requests).toHaveLength(2);
    expect(sleeps).toEqual([1_050]);
  });

  it('gives up after its last try with the refusal’s own class, status and retry-after', async () => {
    api.reply(...[1, 2, 3].map(() => refusal(503, 'TIKTOK_UNAVAILABLE', { 'retry-after': '5' })));

    const failure = await client()
      .getSeller('sbx-open-gb-0001')
      .catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(TikTokUnavailableError);
    expect(failure).toMatchObject({ code: 'TIKTOK_UNAVAILABLE', status: 503, retryAfterSeconds: 5 });
    expect(api.requests).toHaveLength(3);
    expect(sleeps).toEqual([5_050, 5_050]);
  });

  it('does not wait a retry-after beyond its cap: the caller gets it at once', async () => {
    api.reply(refusal(503, 'REFRESH_PAUSED', { 'retry-after': '600' }));

    const failure = await client()
      .refreshSeller('sbx-open-gb-0001')
      .catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(RefreshPausedError);
    expect(failure).toMatchObject({ retryAfterSeconds: 600 });
    expect(api.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('backs off with jitter, doubling, on a 503 or 429 without retry-after', async () => {
    api.reply({ status: 503, raw: 'Service Unavailable' }, refusal(429, 'HTTP_429'), {
      status: 200,
      body: { sellers: [] },
    });

    const page = await client({ retry: { maxAttempts: 3, baseDelayMs: 200 } }).listSellersPage();

    expect(page).toEqual({ sellers: [] });
    expect(sleeps).toEqual([100, 200]);
  });

  it.each([
    [404, 'SHOP_NOT_FOUND'],
    [409, 'REAUTH_REQUIRED'],
    [410, 'SHOP_REVOKED'],
    [422, 'CODE_REFUSED'],
    [500, 'INTERNAL'],
  ])('does not try again a refusal that will not change (%i %s)', async (status, code) => {
    api.reply(refusal(status, code));

    await expect(client().getShopCredentials('nope')).rejects.toMatchObject({ status, code });
    expect(api.requests).toHaveLength(1);
  });

  it('tries a POST again only on a 503 that refused it before any work, never on one that may follow work', async () => {
    const refreshed = {
      status: 200,
      body: { openId: 'open-1', refreshed: true, accessTokenExpiresAt: new Date().toISOString() },
    };
    api.reply(refusal(503, 'REFRESH_IN_PROGRESS', { 'retry-after': '1' }), refreshed);
    await client()
      .refreshSeller('open-1')
      .catch(() => undefined);
    const triesAfterRefusal = api.requests.length;
    const claimed = { status: 200, body: { openId: 'open-1', shops: [] } };
    const triesAfter: number[] = [];
    // TRY_AGAIN may follow a spent ticket (the budget ran out after the write); API Gateway's may follow the work.
    for (const mayFollowWork of [
      refusal(503, 'TRY_AGAIN', { 'retry-after': '1' }),
      { status: 503, body: { message: 'Service Unavailable' } },
    ]) {
      api.reset();
      api.reply(mayFollowWork, claimed);
      await expect(client().claimInstallation({ ticket: 'ticket-1', accountId: 'acc-1' })).rejects.toMatchObject({
        status: 503,
      });
      triesAfter.push(api.requests.length);
    }

    expect([triesAfterRefusal, ...triesAfter]).toEqual([2, 1, 1]);
  });

  it('quotes no body in the error of an answer that is not the service’s own', async () => {
    api.reply({ status: 502, raw: '<html>upstream echoed access_token=secret-token-1</html>' });

    const failure = await client()
      .claimInstallation({ ticket: 'ticket-1', accountId: 'acc-1' })
      .catch((error) => error);

    expect(failure).toMatchObject({ status: 502, message: 'HTTP 502' });
    expect(JSON.stringify(failure)).not.toContain('secret-token-1');
  });

  it('tries a GET again when the connection drops, never a POST', async () => {
    api.reply({ hangUp: true }, { status: 200, body: { sellers: [] } });
    const listed = await client().listSellersPage();
    const afterGet = api.requests.length;
    api.reply({ hangUp: true });

    const link = await client()
      .createAuthorizationLink({ accountId: 'acc' })
      .catch((error: unknown) => error);

    expect(listed).toEqual({ sellers: [] });
    expect(afterGet).toBe(2);
    expect(link).toBeInstanceOf(ServiceUnreachableError);
    expect(api.requests).toHaveLength(3);
  });

  it('gives up on a try that takes longer than its timeout', async () => {
    api.reply({ status: 200, body: { sellers: [] }, delayMs: 1_000 });

    const failure = await client({ timeoutMs: 100, retry: { maxAttempts: 1 } })
      .listSellersPage()
      .catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(ServiceUnreachableError);
    expect(failure).toMatchObject({
      reason: 'no answer within 100 ms',
      message: `${api.url} did not answer (no answer within 100 ms)`,
    });
  });

  it('hands out the kept token when asking again fails for a passing reason, while it lasts', async () => {
    const expiresAt = new Date(NOW.getTime() + minutes(10));
    api.reply(credentialsAnswer('token-kept', expiresAt), refusal(503, 'TIKTOK_UNAVAILABLE'), { hangUp: true });
    const auth = client({ retry: { maxAttempts: 1 } });
    await auth.getShopCredentials('7494000000000000101');

    now = new Date(NOW.getTime() + minutes(6));
    const after503 = await auth.getShopCredentials('7494000000000000101');
    const afterHangUp = await auth.getShopCredentials('7494000000000000101');
    now = new Date(expiresAt.getTime() - 20_000);
    api.reply(refusal(503, 'TIKTOK_UNAVAILABLE'));
    const nearTheEnd = await auth.getShopCredentials('7494000000000000101').catch((error: unknown) => error);

    expect([after503.accessToken, afterHangUp.accessToken]).toEqual(['token-kept', 'token-kept']);
    expect(nearTheEnd).toBeInstanceOf(TikTokUnavailableError);
    expect(api.requests).toHaveLength(4);
  });

  it('keeps at most maxCachedShops shops, forgetting the longest kept first', async () => {
    const later = new Date(NOW.getTime() + minutes(60));
    api.reply(...['a', 'b', 'a'].map((token) => credentialsAnswer(token, later)));
    const auth = client({ maxCachedShops: 1 });

    await auth.getShopCredentials('shop-a');
    await auth.getShopCredentials('shop-b');
    await auth.getShopCredentials('shop-b');
    await auth.getShopCredentials('shop-a');

    expect(api.requests.map((request) => request.path)).toEqual([
      '/shops/shop-a/credentials',
      '/shops/shop-b/credentials',
      '/shops/shop-a/credentials',
    ]);
  });

  it('does not keep an answer to a request sent before the shop was invalidated, nor share it afterwards', async () => {
    const later = new Date(NOW.getTime() + minutes(60));
    api.reply({ ...credentialsAnswer('old', later), delayMs: 100 }, credentialsAnswer('new', later));
    const auth = client();

    const before = auth.getShopCredentials('shop-a');
    await new Promise((resolve) => setTimeout(resolve, 20));
    auth.invalidateShopCredentials('shop-a');
    const after = await auth.getShopCredentials('shop-a');
    const kept = await auth.getShopCredentials('shop-a');

    expect([(await before).accessToken, after.accessToken, kept.accessToken]).toEqual(['old', 'new', 'new']);
    expect(api.requests).toHaveLength(2);
  });

  it('refuses an answer it does not understand, naming the fields and never their values', async () => {
    api.reply({
      status: 200,
      body: { ...credentialsAnswer('secret-token-value', NOW).body, accessTokenExpiresAt: 'next week', shopCipher: 7 },
    });

    const failure = await client()
      .getShopCredentials('7494000000000000101')
      .catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(UnexpectedResponseError);
    expect(failure).toMatchObject({ status: 200, fields: ['shopCipher', 'accessTokenExpiresAt'] });
    expect(String((failure as Error).message)).not.toContain('secret-token-value');
    expect(JSON.stringify(failure)).not.toContain('secret-token-value');
  });

  it('refuses a body that is not JSON without quoting any of it, nor keeping the parser’s quote as a cause', async () => {
    api.reply({ status: 200, raw: '{"accessToken":"secret-token-value","x":}' });

    const failure = await client()
      .getShopCredentials('7494000000000000101')
      .catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(UnexpectedResponseError);
    expect((failure as Error).cause).toBeUndefined();
    expect(`${String((failure as Error).message)} ${JSON.stringify(failure)}`).not.toContain('secret-token');
  });

  it('names an answer that is not the service’s by its status (API Gateway’s 403)', async () => {
    api.reply({ status: 403, body: { message: 'Forbidden' } });

    const failure = await client()
      .getSeller('x')
      .catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(UnknownServiceError);
    expect(failure).toBeInstanceOf(TikTokShopAuthError);
    expect(failure).toMatchObject({ code: 'HTTP_403', status: 403, message: 'Forbidden' });
  });

  it('keeps the base URL’s path and encodes path parameters and the query', async () => {
    api.reply({ status: 200, body: { sellers: [] } }, { status: 204 });
    const prefixed = client({ baseUrl: `${api.url}/internal/` });

    await prefixed.listSellersPage({ status: 'ACTIVE', cursor: 'a b+c/=', limit: 2 });
    await prefixed.disconnectSeller('open id/1');

    expect(api.requests.map((request) => `${request.method} ${request.rawUrl}`)).toEqual([
      'GET /internal/sellers?status=ACTIVE&cursor=a%20b%2Bc%2F%3D&limit=2',
      'DELETE /internal/sellers/open%20id%2F1',
    ]);
  });
});

describe('the client’s SigV4 signature', () => {
  const api = new ScriptedServer({ status: 200, body: {} });

  beforeAll(() => api.start());
  afterAll(() => api.stop());
  beforeEach(() => api.reset());

  it('is checked by a verifier that reproduces AWS’s get-vanilla test vector', () => {
    const vanilla = {
      method: 'GET',
      rawUrl: '/',
      body: '',
      headers: {
        host: 'example.amazonaws.com',
        'x-amz-date': '20150830T123600Z',
        authorization:
          'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
      },
    };
    const expected = { region: 'us-east-1', service: 'service' };

    expect(sigV4Problem(vanilla, CREDENTIALS, expected)).toBeUndefined();
    expect(sigV4Problem({ ...vanilla, rawUrl: '/?a=1' }, CREDENTIALS, expected)).toBe('the signature does not match');
  });

  it('signs every request, path, query and body, for execute-api in the region given', async () => {
    api.reply(
      { status: 200, body: { sellers: [] } },
      { status: 404, body: { error: { code: 'SELLER_NOT_FOUND', message: 'no such seller' } } },
      { status: 201, body: { url: 'https://example.com/authorize', expiresAt: NOW.toISOString() } },
    );
    const auth = new TikTokShopAuthClient({ baseUrl: api.url, region: 'eu-west-1', credentials: CREDENTIALS });

    await auth.listSellersPage({ status: 'ACTIVE', cursor: 'a b+c/=', limit: 2 });
    await auth.getSeller('open id/ü').catch(() => undefined);
    await auth.createAuthorizationLink({ accountId: 'acc-1', returnTo: '/settings?tab=tiktok' });

    expect(api.requests).toHaveLength(3);
    for (const request of api.requests) {
      expect(sigV4Problem(request, CREDENTIALS, { region: 'eu-west-1', service: 'execute-api' })).toBeUndefined();
    }
    const [, , post] = api.requests;
    expect(
      post &&
        sigV4Problem({ ...post, body: post.body.replace('acc-1', 'acc-2') }, CREDENTIALS, {
          region: 'eu-west-1',
          service: 'execute-api',
        }),
    ).toBe('x-amz-content-sha256 is not the hash of the body');
  });

  it('uses the AWS SDK’s default credential chain and the region of an execute-api URL when given neither', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'AKIDFROMENV', AWS_SECRET_ACCESS_KEY: 'env-secret' });
    delete process.env.AWS_PROFILE;
    delete process.env.AWS_SESSION_TOKEN;
    const seen: Request[] = [];
    try {
      const auth = new TikTokShopAuthClient({
        baseUrl: 'https://abc123.execute-api.ap-southeast-1.amazonaws.com',
        fetch: async (input, init) => {
          seen.push(new Request(input, init));
          return Response.json({ sellers: [] });
        },
      });

      await auth.listSellersPage();
    } finally {
      process.env = saved;
    }

    expect(seen[0]?.headers.get('authorization')).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDFROMENV\/\d{8}\/ap-southeast-1\/execute-api\/aws4_request, SignedHeaders=accept;host;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$/,
    );
  });

  it('asks for a region it cannot find instead of signing for the wrong one', () => {
    const saved = { ...process.env };
    delete process.env.AWS_REGION;
    delete process.env.AWS_DEFAULT_REGION;
    try {
      expect(() => new TikTokShopAuthClient({ baseUrl: 'https://auth.example.com' })).toThrow(
        /no region to sign requests to auth\.example\.com for; pass \{ region \}/,
      );
    } finally {
      process.env = saved;
    }
  });

  it('sends nothing signed in local mode', async () => {
    api.reply({ status: 200, body: { sellers: [] } });

    await new TikTokShopAuthClient({ baseUrl: api.url, signing: 'none' }).listSellersPage();

    expect(api.requests[0]?.headers.authorization).toBeUndefined();
    expect(api.requests[0]?.headers['x-amz-date']).toBeUndefined();
  });
});
