import { HttpTikTokAuthApi } from '../../../../lambdas/adapters/tiktok/http-tiktok-auth-api';
import { signOpenApiRequest } from '../../../../lambdas/adapters/tiktok/open-api-signature';
import {
  TikTokAccessTokenRejectedError,
  TikTokAppCredentialsError,
  TikTokMissingScopeError,
  TikTokReauthorizationRequiredError,
  TikTokRequestRejectedError,
  TikTokRetryLaterError,
  TikTokSuspectRefusalError,
} from '../../../../lambdas/domain/errors';
import type { AppKeyAndSecret } from '../../../../lambdas/domain/model';
import type { AppCredentials } from '../../../../lambdas/ports';
import type { Log } from '../../../../lambdas/shared/logger';
import { ScriptedServer } from '../../../support/scripted-server';

const APP_SECRET = 'app-secret-d41d8cd98f00b204';
const AUTH_CODE = 'auth-code-TTP_b1f2c3d4e5';
const REFRESH_TOKEN = 'refresh-token-ROW_9a8b7c6d';
const ACCESS_TOKEN = 'access-token-ROW_1a2b3c4d';
const NOW = new Date('2022-08-08T09:46:23Z');

/** The official sample answer of `/api/v2/token/get` (protocol section 3). */
const OFFICIAL_TOKEN_DATA = {
  access_token: ACCESS_TOKEN,
  access_token_expire_in: 1660556783,
  refresh_token: REFRESH_TOKEN,
  refresh_token_expire_in: 1691487031,
  open_id: '7010736057180325637',
  seller_name: 'Jjj test shop',
  seller_base_region: 'ID',
  user_type: 0,
  granted_scopes: ['seller.authorization.info', 'seller.order.info'],
};

const ok = (data: unknown) => ({ body: { code: 0, message: 'success', request_id: 'req-ok', data } });
const refused = (code: number, message = 'refused') => ({ body: { code, message, request_id: 'req-refused' } });

class RotatingCredentials implements AppCredentials {
  gets = 0;
  reloads = 0;
  constructor(
    private current: AppKeyAndSecret,
    private readonly next: AppKeyAndSecret = current,
  ) {}
  async get() {
    this.gets++;
    return this.current;
  }
  async reload() {
    this.reloads++;
    this.current = this.next;
    return this.current;
  }
}

class CapturingLog implements Log {
  readonly lines: string[] = [];
  private capture = (message: string, ...extra: Array<Record<string, unknown>>) =>
    this.lines.push(JSON.stringify([message, ...extra]));
  debug = this.capture;
  info = this.capture;
  warn = this.capture;
  error = this.capture;
}

describe('HttpTikTokAuthApi against a TikTok on loopback', () => {
  const tiktok = new ScriptedServer();
  let credentials: RotatingCredentials;
  let log: CapturingLog;
  let delays: number[];

  const api = (overrides: Partial<ConstructorParameters<typeof HttpTikTokAuthApi>[0]> = {}) =>
    new HttpTikTokAuthApi({
      credentials,
      authBaseUrl: tiktok.url,
      apiBaseUrl: tiktok.url,
      timeoutMs: 1000,
      retry: { attempts: 3, baseDelayMs: 100, maxDelayMs: 1000 },
      retryTools: { sleep: async (ms) => void delays.push(ms), random: () => 1 },
      clock: { now: () => NOW },
      log,
      ...overrides,
    });

  beforeAll(() => tiktok.start());
  afterAll(() => tiktok.stop());
  beforeEach(() => {
    tiktok.reset();
    credentials = new RotatingCredentials({ appKey: 'app-key-1', appSecret: APP_SECRET });
    log = new CapturingLog();
    delays = [];
  });

  describe('exchanging an auth code', () => {
    it('sends a GET with the secret, the code and the authorized_code grant type', async () => {
      tiktok.reply(ok(OFFICIAL_TOKEN_DATA));

      await api().exchangeAuthCode(AUTH_CODE);

      const [request] = tiktok.requests;
      expect(request?.method).toBe('GET');
      expect(request?.path).toBe('/api/v2/token/get');
      expect(Object.fromEntries(request?.query ?? [])).toEqual({
        app_key: 'app-key-1',
        app_secret: APP_SECRET,
        auth_code: AUTH_CODE,
        grant_type: 'authorized_code',
      });
    });

    it('reads the expiries as absolute Unix seconds (the official sample)', async () => {
      tiktok.reply(ok(OFFICIAL_TOKEN_DATA));

      const tokens = await api().exchangeAuthCode(AUTH_CODE);

      expect(tokens).toEqual({
        accessToken: ACCESS_TOKEN,
        accessTokenExpiresAt: new Date('2022-08-15T09:46:23Z'),
        refreshToken: REFRESH_TOKEN,
        refreshTokenExpiresAt: new Date(1691487031 * 1000),
        openId: '7010736057180325637',
        sellerName: 'Jjj test shop',
        sellerBaseRegion: 'ID',
        userType: 0,
        grantedScopes: ['seller.authorization.info', 'seller.order.info'],
      });
    });

    it('accepts the older granted_permissions and expiries sent as numeric strings', async () => {
      const { granted_scopes: _, ...older } = OFFICIAL_TOKEN_DATA;
      tiktok.reply(
        ok({ ...older, access_token_expire_in: '1660556783', granted_permissions: ['seller.product.basic'] }),
      );

      const tokens = await api().exchangeAuthCode(AUTH_CODE);

      expect(tokens.grantedScopes).toEqual(['seller.product.basic']);
      expect(tokens.accessTokenExpiresAt).toEqual(new Date('2022-08-15T09:46:23Z'));
    });

    it('reads a creator’s answer with a null name, no base region and null scopes, so the seller can be told', async () => {
      const { seller_base_region: _, ...creator } = OFFICIAL_TOKEN_DATA;
      tiktok.reply(ok({ ...creator, seller_name: null, user_type: 1, granted_scopes: null }));

      const tokens = await api().exchangeAuthCode(AUTH_CODE);

      expect(tokens).toMatchObject({ sellerName: '', sellerBaseRegion: '', userType: 1, grantedScopes: [] });
      expect(tiktok.requests).toHaveLength(1);
    });

    it.each([
      ['a number for a name', { seller_name: 42 }, { sellerName: '' }],
      ['no user type', { user_type: undefined }, { userType: 0 }],
      ['a user type as a string', { user_type: '1' }, { userType: 1 }],
      [
        'scopes that are not all strings',
        { granted_scopes: ['seller.order.info', null, 7] },
        { grantedScopes: ['seller.order.info'] },
      ],
      ['extra fields TikTok added', { seller_country: 'ID', open_id_v2: 'x' }, { openId: '7010736057180325637' }],
    ])('never fails on a detail it does not need: %s', async (_, variant, expected) => {
      tiktok.reply(ok({ ...OFFICIAL_TOKEN_DATA, ...variant }));

      await expect(api().exchangeAuthCode(AUTH_CODE)).resolves.toMatchObject(expected);
    });

    it.each([
      ['access_token', { access_token: null }],
      ['refresh_token', { refresh_token: '' }],
      ['open_id', { open_id: undefined }],
      ['refresh_token_expire_in', { refresh_token_expire_in: null }],
    ])('still refuses an answer without %s, which the service cannot do without', async (name, variant) => {
      tiktok.reply(ok({ ...OFFICIAL_TOKEN_DATA, ...variant }));

      await expect(api().exchangeAuthCode(AUTH_CODE)).rejects.toThrow(`malformed at ${name}`);
    });

    it('refuses an expiry that is a duration rather than a timestamp, without retrying', async () => {
      tiktok.reply(ok({ ...OFFICIAL_TOKEN_DATA, access_token_expire_in: 604800 }));

      const call = api().exchangeAuthCode(AUTH_CODE);

      await expect(call).rejects.toBeInstanceOf(TikTokRetryLaterError);
      await expect(call).rejects.toThrow('malformed at access_token_expire_in');
      expect(tiktok.requests).toHaveLength(1);
    });

    it.each([
      [36004005, 'can not find related auth record'],
      [36004001, 'rt has expired'],
      [36004004, 'invalid auth code'],
    ])('treats code %i in an HTTP 200 as "authorize again", once', async (code, message) => {
      tiktok.reply(refused(code, message));

      const call = api().exchangeAuthCode(AUTH_CODE);

      await expect(call).rejects.toBeInstanceOf(TikTokReauthorizationRequiredError);
      await expect(call).rejects.toMatchObject({ code, requestId: 'req-refused' });
      expect(tiktok.requests).toHaveLength(1);
    });

    it('calls an undocumented refusal of the code suspect, not the seller’s doing', async () => {
      tiktok.reply(refused(36004999, 'an undocumented refusal of the code'), refused(36004999, 'again'));

      const call = api().exchangeAuthCode(AUTH_CODE);

      await expect(call).rejects.toBeInstanceOf(TikTokSuspectRefusalError);
      await expect(call).rejects.toMatchObject({ code: 36004999 });
      // Once more with the secret read again: the refusal may have been about a secret just changed.
      expect(tiktok.requests).toHaveLength(2);
      expect(credentials.reloads).toBe(1);
    });
  });

  describe('refreshing', () => {
    it('sends the refresh token with the refresh_token grant type', async () => {
      tiktok.reply(ok({ ...OFFICIAL_TOKEN_DATA, refresh_token: 'rotated-refresh' }));

      const tokens = await api().refreshTokens(REFRESH_TOKEN);

      expect(tiktok.requests[0]?.path).toBe('/api/v2/token/refresh');
      expect(Object.fromEntries(tiktok.requests[0]?.query ?? [])).toEqual({
        app_key: 'app-key-1',
        app_secret: APP_SECRET,
        refresh_token: REFRESH_TOKEN,
        grant_type: 'refresh_token',
      });
      expect(tokens.refreshToken).toBe('rotated-refresh');
    });

    it.each([
      [36004001, 'rt has expired'],
      [36004005, 'can not find related auth record'],
    ])('treats refusal %i, known to be about the seller, as "authorize again"', async (code, message) => {
      tiktok.reply(refused(code, message));

      await expect(api().refreshTokens(REFRESH_TOKEN)).rejects.toBeInstanceOf(TikTokReauthorizationRequiredError);
    });

    it.each([
      [36004004, 'invalid auth code'],
      [36004002, 'something TikTok never documented'],
      [36009004, 'many request errors'],
    ])('calls refusal %i of a refresh token suspect, never "authorize again"', async (code, message) => {
      tiktok.reply(refused(code, message), refused(code, message));

      const call = api().refreshTokens(REFRESH_TOKEN);

      await expect(call).rejects.toBeInstanceOf(TikTokSuspectRefusalError);
      await expect(call).rejects.toThrow('not known to be about the seller');
      expect(tiktok.requests).toHaveLength(2);
      expect(credentials.reloads).toBe(1);
    });

    it('waits longer for a refresh, whose answer may be the only copy of new tokens, than for the Open API', async () => {
      tiktok.reply({ ...ok(OFFICIAL_TOKEN_DATA), delayMs: 400 }, { ...ok({ shops: [] }), delayMs: 400 });
      const slowAnswers = api({
        timeoutMs: 200,
        tokenTimeoutMs: 800,
        retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
      });

      await expect(slowAnswers.refreshTokens(REFRESH_TOKEN)).resolves.toMatchObject({ accessToken: ACCESS_TOKEN });
      await expect(slowAnswers.getAuthorizedShops(ACCESS_TOKEN)).rejects.toThrow('did not answer');
      expect(tiktok.requests).toHaveLength(2);
    });

    it('reads the secret again after a suspect refusal, and succeeds when it had just been fixed', async () => {
      credentials = new RotatingCredentials(
        { appKey: 'app-key-1', appSecret: 'stale-secret' },
        { appKey: 'app-key-1', appSecret: APP_SECRET },
      );
      tiktok.reply(refused(36004002, 'request refused'), ok(OFFICIAL_TOKEN_DATA));

      const tokens = await api().refreshTokens(REFRESH_TOKEN);

      expect(tokens.accessToken).toBe(ACCESS_TOKEN);
      expect(tiktok.requests.map((request) => request.query.get('app_secret'))).toEqual(['stale-secret', APP_SECRET]);
    });
  });

  describe('within the invocation’s time budget', () => {
    const budgetOf = (ms: number) => {
      const end = Date.now() + ms;
      return { remainingMs: () => end - Date.now() };
    };

    it('cuts a hanging attempt at the budget, less the reserve for storing the answer, and tries no more', async () => {
      tiktok.reply({ delayMs: 5000 }, { delayMs: 5000 }, { delayMs: 5000 });

      const call = api({ timeoutMs: 5000, budget: budgetOf(1800), reserveMs: 300 }).refreshTokens(REFRESH_TOKEN);

      await expect(call).rejects.toBeInstanceOf(TikTokRetryLaterError);
      // 1,800 ms of budget less 300 of reserve: the attempt's timeout, not the 5,000 configured.
      await expect(call).rejects.toThrow(/did not answer \/api\/v2\/token\/refresh within 1[45]\d\d ms/);
      expect(tiktok.requests).toHaveLength(1);
    });

    it('leaves, when exchanging a code, time for the whole Get Authorized Shops attempt that follows', async () => {
      tiktok.reply({ delayMs: 5000 });

      const call = api({ timeoutMs: 5000, budget: budgetOf(6500), reserveMs: 300 }).exchangeAuthCode(AUTH_CODE);

      // 6,500 ms less the 300 of reserve and the 5,000 that Get Authorized Shops may take.
      await expect(call).rejects.toThrow(/did not answer \/api\/v2\/token\/get within 1[012]\d\d ms/);
    });

    it('starts no attempt without a second left, and says "retry later"', async () => {
      const call = api({ budget: budgetOf(1200), reserveMs: 300 }).refreshTokens(REFRESH_TOKEN);

      await expect(call).rejects.toBeInstanceOf(TikTokRetryLaterError);
      await expect(call).rejects.toThrow("no time left in this invocation to call TikTok's /api/v2/token/refresh");
      expect(tiktok.requests).toHaveLength(0);
    });

    it('retries only while another attempt still fits', async () => {
      tiktok.reply({ status: 503 }, { status: 503 }, ok(OFFICIAL_TOKEN_DATA));
      // After the first 503, 5 s are left (another attempt fits after its 100 ms delay); after the second, 1 s: no more.
      const budget = { remainingMs: () => (tiktok.requests.length < 2 ? 5000 : 1000) };

      const call = api({ budget, reserveMs: 0 }).refreshTokens(REFRESH_TOKEN);

      await expect(call).rejects.toThrow('HTTP 503');
      expect(tiktok.requests).toHaveLength(2);
    });
  });

  describe('transient failures', () => {
    it('retries a 503 and succeeds', async () => {
      tiktok.reply({ status: 503, raw: 'Service Unavailable' }, ok(OFFICIAL_TOKEN_DATA));

      const tokens = await api().refreshTokens(REFRESH_TOKEN);

      expect(tokens.accessToken).toBe(ACCESS_TOKEN);
      expect(tiktok.requests).toHaveLength(2);
    });

    it.each([36009002, 36009003, 36009007])('retries code %i and succeeds', async (code) => {
      tiktok.reply(refused(code), ok(OFFICIAL_TOKEN_DATA));

      await expect(api().refreshTokens(REFRESH_TOKEN)).resolves.toMatchObject({ accessToken: ACCESS_TOKEN });
      expect(tiktok.requests).toHaveLength(2);
    });

    it('gives up after the last attempt with "retry later", backing off further each time', async () => {
      tiktok.reply({ status: 429 }, { status: 429 }, { status: 429 });

      const call = api().refreshTokens(REFRESH_TOKEN);

      await expect(call).rejects.toBeInstanceOf(TikTokRetryLaterError);
      await expect(call).rejects.toThrow('HTTP 429');
      expect(tiktok.requests).toHaveLength(3);
      expect(delays).toEqual([100, 200]);
    });

    it('times out a server that does not answer in time, and retries it', async () => {
      tiktok.reply({ ...ok(OFFICIAL_TOKEN_DATA), delayMs: 600 }, ok(OFFICIAL_TOKEN_DATA));

      const tokens = await api({ timeoutMs: 150 }).refreshTokens(REFRESH_TOKEN);

      expect(tokens.accessToken).toBe(ACCESS_TOKEN);
      expect(tiktok.requests).toHaveLength(2);
      expect(log.lines.join('\n')).toContain('did not answer /api/v2/token/refresh within 150 ms');
    });

    it('says "retry later" when every attempt times out', async () => {
      tiktok.reply({ delayMs: 400 }, { delayMs: 400 });

      const call = api({ timeoutMs: 100, retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1 } }).refreshTokens(
        REFRESH_TOKEN,
      );

      await expect(call).rejects.toBeInstanceOf(TikTokRetryLaterError);
      await expect(call).rejects.toThrow('TikTok did not answer /api/v2/token/refresh within 100 ms');
    });

    it('says "retry later" when the connection drops or nothing listens', async () => {
      tiktok.reply({ hangUp: true }, { hangUp: true }, { hangUp: true });

      await expect(api().refreshTokens(REFRESH_TOKEN)).rejects.toThrow('TikTok could not be reached');
      await expect(
        api({ authBaseUrl: 'http://127.0.0.1:9', retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 } }).refreshTokens(
          REFRESH_TOKEN,
        ),
      ).rejects.toBeInstanceOf(TikTokRetryLaterError);
    });

    it('does not retry a body that is not JSON, but says "retry later"', async () => {
      tiktok.reply({ raw: '<html>gateway error</html>' });

      const call = api().refreshTokens(REFRESH_TOKEN);

      await expect(call).rejects.toBeInstanceOf(TikTokRetryLaterError);
      await expect(call).rejects.toThrow('not JSON');
      expect(tiktok.requests).toHaveLength(1);
    });

    it('does not retry JSON that is not an API answer', async () => {
      tiktok.reply({ body: { hello: 'world' } });

      await expect(api().refreshTokens(REFRESH_TOKEN)).rejects.toThrow('is not an API response (code)');
      expect(tiktok.requests).toHaveLength(1);
    });
  });

  describe('Get Authorized Shops', () => {
    const SHOPS = {
      shops: [
        {
          id: '7494049642642441621',
          name: 'UK Shop',
          region: 'GB',
          seller_type: 'LOCAL',
          cipher: 'GCP_a',
          code: 'GBLC1',
        },
        {
          id: '7494049642642441622',
          name: 'US Shop',
          region: 'US',
          seller_type: 'CROSS_BORDER',
          cipher: 'GCP_b',
          code: 'USLC2',
        },
      ],
    };

    it('signs the request like TikTok checks it, with the token in the header only', async () => {
      tiktok.reply(ok(SHOPS));

      await api().getAuthorizedShops(ACCESS_TOKEN);

      const [request] = tiktok.requests;
      const query = Object.fromEntries(request?.query ?? []);
      const { sign, ...signed } = query;
      expect(request?.path).toBe('/authorization/202309/shops');
      expect(signed).toEqual({ app_key: 'app-key-1', timestamp: String(NOW.getTime() / 1000) });
      expect(sign).toBe(signOpenApiRequest({ path: '/authorization/202309/shops', query: signed }, APP_SECRET));
      expect(request?.headers['x-tts-access-token']).toBe(ACCESS_TOKEN);
      expect(request?.headers['content-type']).toBe('application/json');
      expect(query).not.toHaveProperty('access_token');
      expect(query).not.toHaveProperty('shop_cipher');
    });

    it('returns every shop with its cipher', async () => {
      tiktok.reply(ok(SHOPS));

      expect(await api().getAuthorizedShops(ACCESS_TOKEN)).toEqual([
        {
          id: '7494049642642441621',
          name: 'UK Shop',
          region: 'GB',
          sellerType: 'LOCAL',
          cipher: 'GCP_a',
          code: 'GBLC1',
        },
        {
          id: '7494049642642441622',
          name: 'US Shop',
          region: 'US',
          sellerType: 'CROSS_BORDER',
          cipher: 'GCP_b',
          code: 'USLC2',
        },
      ]);
    });

    it('reads shops missing their optional fields (name, region, seller type, code), or with a numeric id', async () => {
      tiktok.reply(
        ok({
          shops: [
            { id: 749404964264, cipher: 'GCP_c', name: null },
            { id: '7494', cipher: 'GCP_d' },
          ],
        }),
      );

      expect(await api().getAuthorizedShops(ACCESS_TOKEN)).toEqual([
        { id: '749404964264', name: '', region: '', sellerType: '', cipher: 'GCP_c', code: '' },
        { id: '7494', name: '', region: '', sellerType: '', cipher: 'GCP_d', code: '' },
      ]);
    });

    it('leaves out a shop without an id or a cipher, keeps the others, and says how many it left', async () => {
      tiktok.reply(
        ok({ shops: [SHOPS.shops[0], { id: '7494049642642441623', name: 'No cipher' }, { cipher: 'GCP_x' }, null] }),
      );

      const shops = await api().getAuthorizedShops(ACCESS_TOKEN);

      expect(shops.map((shop) => shop.id)).toEqual(['7494049642642441621']);
      expect(log.lines.join('\n')).toContain('"unusable":3');
      expect(log.lines.join('\n')).not.toContain('GCP_x');
    });

    it('calls a list of shops none of which it can read a changed answer, not "no shop yet": retry later', async () => {
      tiktok.reply(
        ok({
          shops: [
            { id: '7494049642642441623', cipher: null },
            { shop_id: '1', shop_cipher: 'GCP_y' },
          ],
        }),
      );

      const call = api().getAuthorizedShops(ACCESS_TOKEN);

      await expect(call).rejects.toBeInstanceOf(TikTokRetryLaterError);
      await expect(call).rejects.toThrow('lists 2 shops, none with an id and a cipher');
    });

    it.each([
      ['an empty list', { shops: [] }],
      ['a null list', { shops: null }],
      ['no list at all', {}],
      ['null data', null],
    ])('reads %s as no shop', async (_, data) => {
      tiktok.reply(ok(data));

      await expect(api().getAuthorizedShops(ACCESS_TOKEN)).resolves.toEqual([]);
    });

    it.each([
      ['an object', { shops: { id: '7494049642642441623', cipher: 'GCP_x' } }],
      ['a string', { shops: 'none' }],
    ])('does not read shops given as %s as no shop: the answer changed shape', async (_, data) => {
      tiktok.reply(ok(data));

      await expect(api().getAuthorizedShops(ACCESS_TOKEN)).rejects.toThrow(
        "TikTok's data for /authorization/202309/shops is malformed at shops",
      );
    });

    it.each([
      [105005, TikTokMissingScopeError],
      [105002, TikTokAccessTokenRejectedError],
      [101000, TikTokAccessTokenRejectedError],
      [36009004, TikTokRequestRejectedError],
    ])('tells code %i apart', async (code, kind) => {
      tiktok.reply(refused(code));

      await expect(api().getAuthorizedShops(ACCESS_TOKEN)).rejects.toBeInstanceOf(kind);
      expect(tiktok.requests).toHaveLength(1);
    });

    it('reads the app credentials again once when the sign is refused, and succeeds with the new secret', async () => {
      credentials = new RotatingCredentials(
        { appKey: 'app-key-1', appSecret: 'old-secret' },
        { appKey: 'app-key-1', appSecret: APP_SECRET },
      );
      tiktok.reply(refused(106001, 'invalid sign'), ok(SHOPS));

      await expect(api().getAuthorizedShops(ACCESS_TOKEN)).resolves.toHaveLength(2);
      expect(credentials.reloads).toBe(1);
      const second = Object.fromEntries(tiktok.requests[1]?.query ?? []);
      const { sign, ...signed } = second;
      expect(sign).toBe(signOpenApiRequest({ path: '/authorization/202309/shops', query: signed }, APP_SECRET));
    });
  });

  describe('wrong app credentials on the token endpoints', () => {
    it('reads the credentials again once, then reports them wrong', async () => {
      tiktok.reply(refused(36004002, 'app_secret is invalid'), refused(36004002, 'app_secret is invalid'));

      const call = api().exchangeAuthCode(AUTH_CODE);

      await expect(call).rejects.toBeInstanceOf(TikTokAppCredentialsError);
      expect(credentials.reloads).toBe(1);
      expect(tiktok.requests).toHaveLength(2);
    });
  });

  describe('secrets', () => {
    const everything = (error: unknown): string => {
      const parts: string[] = [];
      for (let current = error; current instanceof Error; current = current.cause) {
        parts.push(current.message, current.stack ?? '', JSON.stringify(current));
      }
      return parts.join('\n');
    };

    it.each([
      [
        'a refusal quoting the request',
        refused(36004005, `auth_code ${AUTH_CODE} with app_secret ${APP_SECRET} not found`),
      ],
      ['a timeout', { delayMs: 400 }],
      ['a dropped connection', { hangUp: true }],
      ['malformed data', ok({ ...OFFICIAL_TOKEN_DATA, open_id: 42 })],
    ])('keeps them out of the error and the logs for %s', async (_, reply) => {
      tiktok.reply(reply, reply, reply);

      const error = await api({ timeoutMs: 100 })
        .exchangeAuthCode(AUTH_CODE)
        .catch((caught: unknown) => caught);

      const seen = `${everything(error)}\n${log.lines.join('\n')}`;
      expect(error).toBeInstanceOf(Error);
      for (const secret of [APP_SECRET, AUTH_CODE, ACCESS_TOKEN, REFRESH_TOKEN]) expect(seen).not.toContain(secret);
      expect(seen).not.toContain('?app_key');
    });
  });
});
