import { request } from 'node:http';
import * as z from 'zod';
import { type LocalService, startLocalService } from '../../../local/local-service';
import { signOpenApi } from '../../../local/sandbox/sandbox-signing';
import { TestClock } from '../../support/local-journey';
import { DAY, MINUTE, refusal, serveSandbox, tokenAnswer } from './sandbox-harness';

const APP = { app_key: 'sandbox-app-key', app_secret: 'sandbox-app-secret' };
const SHOPS_PATH = '/authorization/202309/shops';
const GB = 'sbx-open-gb-0001';
const US = 'sbx-open-us-0003';
const CREATOR = 'sbx-open-creator-0004';
const NO_SHOP = 'sbx-open-no-shop-0005';
const LEGACY = 'sbx-open-legacy-0006';

const answerData = z.object({ code: z.literal(0), data: z.record(z.string(), z.unknown()) });
const shopsAnswer = z.object({
  code: z.literal(0),
  data: z.object({ shops: z.array(z.record(z.string(), z.unknown())) }),
});

describe('the TikTok Shop sandbox, in local mode', () => {
  const clock = new TestClock();
  let service: LocalService;

  const sandbox = (path: string, init?: RequestInit) => fetch(`${service.url}/sandbox${path}`, init);
  const tokenGet = async (query: Record<string, string>): Promise<unknown> =>
    (await sandbox(`/api/v2/token/get?${new URLSearchParams(query)}`)).json();
  const tokenRefresh = async (refreshToken: string): Promise<unknown> =>
    (
      await sandbox(
        `/api/v2/token/refresh?${new URLSearchParams({ ...APP, refresh_token: refreshToken, grant_type: 'refresh_token' })}`,
      )
    ).json();
  const nowSeconds = () => String(Math.floor(clock.now().getTime() / 1000));
  const shops = async (query: Record<string, string>, token: string): Promise<unknown> =>
    (await sandbox(`${SHOPS_PATH}?${new URLSearchParams(query)}`, { headers: { 'x-tts-access-token': token } })).json();
  const signed = (query: Record<string, string>, secret = APP.app_secret) => ({
    ...query,
    sign: signOpenApi({ path: SHOPS_PATH, query: Object.entries(query) }, secret),
  });
  const shopsOf = (token: string) => shops(signed({ app_key: APP.app_key, timestamp: nowSeconds() }), token);
  /** A GET with a body, which fetch will not send. */
  const getWithBody = (path: string, body: string, token: string) =>
    new Promise<unknown>((resolve, reject) => {
      const outgoing = request(
        `${service.url}/sandbox${path}`,
        {
          method: 'GET',
          headers: {
            'x-tts-access-token': token,
            'content-type': 'application/json',
            // Node sends a GET's body unframed unless told its length.
            'content-length': String(Buffer.byteLength(body)),
          },
        },
        (incoming) => {
          const chunks: Buffer[] = [];
          incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
          incoming.on('end', () => {
            try {
              resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
            } catch (error) {
              reject(error);
            }
          });
        },
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  const codeFor = (openId: string) => new URL(service.sandbox.approve(openId)).searchParams.get('code') ?? '';
  const exchange = async (openId: string) =>
    tokenAnswer.parse(await tokenGet({ ...APP, auth_code: codeFor(openId), grant_type: 'authorized_code' }));

  beforeAll(async () => {
    service = await startLocalService({ port: 0, env: {}, clock, schedules: false });
  });
  afterAll(() => service.stop());

  describe('the code exchange', () => {
    it('issues tokens with absolute expiries for a fresh code', async () => {
      const before = Math.floor(clock.now().getTime() / 1000);

      const answer = await exchange(US);

      expect(answer.data.open_id).toBe(US);
      expect(answer.data.access_token_expire_in - before).toBeGreaterThanOrEqual(7 * 86_400 - 1);
      expect(answer.data.access_token_expire_in - before).toBeLessThanOrEqual(7 * 86_400 + 1);
      expect(answer.data.refresh_token_expire_in - before).toBeGreaterThanOrEqual(365 * 86_400 - 1);
      expect(answer.data.refresh_token_expire_in - before).toBeLessThanOrEqual(365 * 86_400 + 1);
    });

    it.each([
      [
        'a wrong app secret',
        { ...APP, app_secret: 'wrong' },
        { code: 36004002, message: 'app_key or app_secret is invalid' },
      ],
      [
        'a wrong app key',
        { ...APP, app_key: 'wrong' },
        { code: 36004002, message: 'app_key or app_secret is invalid' },
      ],
      [
        'OAuth’s grant type instead of TikTok’s',
        { ...APP, grant_type: 'authorization_code' },
        { code: 36004003, message: 'grant_type is invalid' },
      ],
    ])('answers HTTP 200 with an error code for %s', async (_, query, expected) => {
      const response = await sandbox(
        `/api/v2/token/get?${new URLSearchParams({ grant_type: 'authorized_code', auth_code: codeFor(GB), ...query })}`,
      );

      expect(response.status).toBe(200);
      expect(refusal.parse(await response.json())).toEqual(expected);
    });

    it('refuses a code never issued, one used once already, and one past its 30 minutes as an invalid auth code', async () => {
      const used = codeFor(GB);
      await tokenGet({ ...APP, auth_code: used, grant_type: 'authorized_code' });
      const old = codeFor(GB);
      clock.advance(30 * MINUTE + 1000);
      const invalid = { code: 36004004, message: 'invalid auth code' };

      const answers = await Promise.all(
        ['TTP_never-issued', used, old].map(async (code) =>
          refusal.parse(await tokenGet({ ...APP, auth_code: code, grant_type: 'authorized_code' })),
        ),
      );

      expect(answers).toEqual([invalid, invalid, invalid]);
    });

    it('accepts a code just before its 30 minutes are up', async () => {
      const code = codeFor(GB);
      clock.advance(29 * MINUTE);

      const answer = await tokenGet({ ...APP, auth_code: code, grant_type: 'authorized_code' });

      expect(tokenAnswer.parse(answer).data.open_id).toBe(GB);
    });
  });

  describe('the sellers’ answers', () => {
    it('keeps the four original sellers first, in their order, then the zero-shop and the legacy seller', () => {
      expect(service.sandbox.listSellers().map((seller) => seller.openId)).toEqual([
        GB,
        'sbx-open-multi-0002',
        US,
        CREATOR,
        NO_SHOP,
        LEGACY,
      ]);
    });

    it('answers for a creator with a null seller name and no seller_base_region field at all', async () => {
      const { data } = answerData.parse(
        await tokenGet({ ...APP, auth_code: codeFor(CREATOR), grant_type: 'authorized_code' }),
      );

      expect(data.seller_name).toBeNull();
      expect(Object.hasOwn(data, 'seller_base_region')).toBe(false);
      expect(data.user_type).toBe(1);
      expect(data.granted_scopes).toEqual(['creator.affiliate.info']);
    });

    it('answers for a seller whose shop is not open yet with user type 0 and no shops', async () => {
      const answer = await tokenGet({ ...APP, auth_code: codeFor(NO_SHOP), grant_type: 'authorized_code' });

      const listed = shopsAnswer.parse(await shopsOf(tokenAnswer.parse(answer).data.access_token));

      expect(answerData.parse(answer).data).toMatchObject({
        user_type: 0,
        seller_name: 'Sandbox Seller Without Shop',
        seller_base_region: 'GB',
      });
      expect(listed.data.shops).toEqual([]);
    });

    it('answers for the legacy seller with granted_permissions, and shops without code or seller_type', async () => {
      const answer = await tokenGet({ ...APP, auth_code: codeFor(LEGACY), grant_type: 'authorized_code' });

      const listed = shopsAnswer.parse(await shopsOf(tokenAnswer.parse(answer).data.access_token));

      const { data } = answerData.parse(answer);
      expect(data.granted_permissions).toEqual([
        'seller.authorization.info',
        'seller.shop.info',
        'seller.order.info',
        'seller.product.basic',
      ]);
      expect(Object.hasOwn(data, 'granted_scopes')).toBe(false);
      expect(listed.data.shops).toEqual([
        { id: '7494000000000000601', name: 'Sandbox Legacy Shop SG', region: 'SG', cipher: 'GCP_sbx000601SG' },
      ]);
    });

    it('answers for a regular seller with every field, shops included', async () => {
      const answer = await exchange(GB);

      const listed = shopsAnswer.parse(await shopsOf(answer.data.access_token));

      expect(listed.data.shops).toEqual([
        {
          id: '7494000000000000101',
          name: 'Sandbox Shop GB',
          region: 'GB',
          seller_type: 'LOCAL',
          cipher: 'GCP_sbx000101GB',
          code: 'GBLCSBX0101',
        },
      ]);
    });
  });

  describe('Get Authorized Shops refuses what TikTok refuses', () => {
    let accessToken: string;
    beforeAll(async () => {
      accessToken = (await exchange(US)).data.access_token;
    });

    it.each([
      [
        'a missing sign',
        () => ({ app_key: APP.app_key, timestamp: nowSeconds() }),
        { code: 36009004, message: 'sign is missing' },
      ],
      [
        'an empty sign',
        () => ({ app_key: APP.app_key, timestamp: nowSeconds(), sign: '' }),
        { code: 36009004, message: 'sign is missing' },
      ],
      [
        'a signature made with another secret',
        () => signed({ app_key: APP.app_key, timestamp: nowSeconds() }, 'wrong'),
        { code: 106001, message: 'invalid sign' },
      ],
      [
        'an uppercase signature',
        () => {
          const query = signed({ app_key: APP.app_key, timestamp: nowSeconds() });
          return { ...query, sign: query.sign.toUpperCase() };
        },
        { code: 106001, message: 'invalid sign' },
      ],
      [
        'a signature that leaves a parameter out',
        () => ({ ...signed({ app_key: APP.app_key, timestamp: nowSeconds() }), version: '202309' }),
        { code: 106001, message: 'invalid sign' },
      ],
      [
        'a timestamp over 5 minutes old',
        () => signed({ app_key: APP.app_key, timestamp: String(Number(nowSeconds()) - 301) }),
        { code: 36009004, message: 'timestamp is invalid' },
      ],
      [
        'a timestamp over 30 seconds ahead',
        () => signed({ app_key: APP.app_key, timestamp: String(Number(nowSeconds()) + 31) }),
        { code: 36009004, message: 'timestamp is invalid' },
      ],
      [
        'a timestamp in milliseconds',
        () => signed({ app_key: APP.app_key, timestamp: String(clock.now().getTime()) }),
        { code: 36009004, message: 'timestamp is invalid' },
      ],
      [
        'a shop_cipher it does not take',
        () => signed({ app_key: APP.app_key, timestamp: nowSeconds(), shop_cipher: 'GCP_x' }),
        { code: 36009004, message: 'shop_cipher is not expected for this api' },
      ],
      [
        'another app key',
        () => signed({ app_key: 'other-app', timestamp: nowSeconds() }),
        { code: 36009004, message: 'invalid app_key' },
      ],
    ])('refuses %s', async (_, query, expected) => {
      expect(refusal.parse(await shops(query(), accessToken))).toEqual(expected);
    });

    it('takes a signature that covers access_token sent in the query too, as that parameter is never signed', async () => {
      const query = signed({ app_key: APP.app_key, timestamp: nowSeconds() });

      const answer = await shops({ ...query, access_token: accessToken }, accessToken);

      expect(shopsAnswer.parse(answer).data.shops).toHaveLength(1);
    });

    it('signs a body sent with the request: refuses a sign without it, accepts one with it', async () => {
      const query = { app_key: APP.app_key, timestamp: nowSeconds() };
      const body = '{"note":"unexpected"}';
      const withBody = signOpenApi({ path: SHOPS_PATH, query: Object.entries(query), body }, APP.app_secret);

      const unsigned = await getWithBody(`${SHOPS_PATH}?${new URLSearchParams(signed(query))}`, body, accessToken);
      const covered = await getWithBody(
        `${SHOPS_PATH}?${new URLSearchParams({ ...query, sign: withBody })}`,
        body,
        accessToken,
      );

      expect(refusal.parse(unsigned)).toEqual({ code: 106001, message: 'invalid sign' });
      expect(shopsAnswer.parse(covered).data.shops).toHaveLength(1);
    });

    it('refuses an access token it never issued, then one that has expired', async () => {
      const unknown = refusal.parse(await shopsOf('ROW_never-issued'));
      clock.advance(7 * DAY + 1000);
      const expired = refusal.parse(await shopsOf(accessToken));

      expect(unknown).toEqual({ code: 101000, message: 'invalid access token' });
      expect(expired).toEqual({ code: 105002, message: 'access token expired' });
    });
  });

  describe('refreshing', () => {
    it('rotates by default: the old refresh token and the access tokens issued before it are refused', async () => {
      const first = await exchange(GB);

      const refreshed = tokenAnswer.parse(await tokenRefresh(first.data.refresh_token));
      const oldRefresh = refusal.parse(await tokenRefresh(first.data.refresh_token));
      const oldAccess = refusal.parse(await shopsOf(first.data.access_token));
      const newAccess = shopsAnswer.parse(await shopsOf(refreshed.data.access_token));

      expect(refreshed.data.refresh_token).not.toBe(first.data.refresh_token);
      expect(refreshed.data.refresh_token_expire_in).toBe(first.data.refresh_token_expire_in);
      expect(oldRefresh).toEqual({ code: 36004005, message: 'can not find related auth record' });
      expect(oldAccess).toEqual({ code: 101000, message: 'invalid access token' });
      expect(newAccess.data.shops).toHaveLength(1);
      expect(tokenAnswer.parse(await tokenRefresh(refreshed.data.refresh_token)).data.open_id).toBe(GB);
    });

    it('refuses an unknown refresh token as an unknown record', async () => {
      expect(refusal.parse(await tokenRefresh('ROW_never-issued'))).toEqual({
        code: 36004005,
        message: 'can not find related auth record',
      });
    });

    it('refuses an expired refresh token as expired', async () => {
      const [template] = service.sandbox.listSellers();
      if (!template) throw new Error('the sandbox has no sellers');
      service.sandbox.addSeller({ ...template, openId: 'sbx-short-authorization', authorizationDays: 2 });
      const answer = await exchange('sbx-short-authorization');
      clock.advance(2 * DAY + 1000);

      expect(refusal.parse(await tokenRefresh(answer.data.refresh_token))).toEqual({
        code: 36004001,
        message: 'rt has expired',
      });
    });

    it('retires every token of the previous authorization when the seller authorizes again', async () => {
      const first = await exchange(US);
      const refreshedBefore = tokenAnswer.parse(await tokenRefresh(first.data.refresh_token));

      const second = await exchange(US);

      expect(refusal.parse(await tokenRefresh(refreshedBefore.data.refresh_token))).toMatchObject({ code: 36004005 });
      expect(refusal.parse(await shopsOf(refreshedBefore.data.access_token))).toMatchObject({ code: 101000 });
      expect(shopsAnswer.parse(await shopsOf(second.data.access_token)).data.shops).toHaveLength(1);
      expect(tokenAnswer.parse(await tokenRefresh(second.data.refresh_token)).data.open_id).toBe(US);
    });

    it('still lists every code and token it issued, retired ones included', async () => {
      const code = codeFor(GB);
      const first = tokenAnswer.parse(await tokenGet({ ...APP, auth_code: code, grant_type: 'authorized_code' }));
      const refreshed = tokenAnswer.parse(await tokenRefresh(first.data.refresh_token));

      const secrets = service.sandbox.issuedSecrets();

      expect(secrets).toEqual(
        expect.arrayContaining([
          code,
          first.data.access_token,
          first.data.refresh_token,
          refreshed.data.access_token,
          refreshed.data.refresh_token,
        ]),
      );
    });
  });

  describe('denials', () => {
    const callback = (url: string) => Object.fromEntries(new URL(url).searchParams);

    it('denies with access_denied and a null code by default, and in the other spelling without a code on request', () => {
      expect(callback(service.sandbox.deny('s-1'))).toEqual({ error: 'access_denied', code: 'null', state: 's-1' });
      expect(callback(service.sandbox.deny('s-2', { error: 'auth_denied', code: 'missing' }))).toEqual({
        error: 'auth_denied',
        state: 's-2',
      });
      expect(callback(service.sandbox.deny(undefined, { code: 'missing' }))).toEqual({ error: 'access_denied' });
    });

    it('alternates the Cancel button’s denials: access_denied with code=null, then auth_denied without code', async () => {
      const cancel = async () => {
        const response = await sandbox('/open/authorize', {
          method: 'POST',
          redirect: 'manual',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ state: 'st', seller: GB, decision: 'deny' }).toString(),
        });
        return callback(response.headers.get('location') ?? 'about:blank');
      };

      const denials = [await cancel(), await cancel(), await cancel()];

      expect(denials).toEqual([
        { error: 'access_denied', code: 'null', state: 'st' },
        { error: 'auth_denied', state: 'st' },
        { error: 'access_denied', code: 'null', state: 'st' },
      ]);
    });
  });

  describe('the authorize page', () => {
    it.each([
      ['/open/authorize', 'rest-of-world', 'services.tiktokshop.com'],
      ['/us/open/authorize', 'us', 'services.us.tiktokshop.com'],
    ])('is served at %s and says which market it stands in for', async (path, market, host) => {
      const page = await sandbox(`${path}?service_id=sandbox-service-id&state=s`);

      const html = await page.text();

      expect(page.status).toBe(200);
      expect(html).toContain(`data-market="${market}"`);
      expect(html).toContain(`<code>${host}</code>`);
      expect(html).toContain('Sandbox Creator');
      expect(html).toContain('Sandbox Legacy Seller');
    });

    it('takes the US page’s approval and redirects with a code', async () => {
      const response = await sandbox('/us/open/authorize', {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ state: 'us-state', seller: US, decision: 'approve' }).toString(),
      });

      const location = new URL(response.headers.get('location') ?? 'about:blank');

      expect(response.status).toBe(302);
      expect(`${location.origin}${location.pathname}`).toBe(`${service.url}/oauth/callback`);
      expect(location.searchParams.get('state')).toBe('us-state');
      expect(location.searchParams.get('code')).toMatch(/^TTP_/);
    });

    it('does not know an app by another service id', async () => {
      const page = await sandbox('/open/authorize?service_id=someone-else&state=s');

      expect(await page.text()).toContain('No app has the service id <code>someone-else</code>');
    });
  });
});

describe('the TikTok Shop sandbox, with its lenient options', () => {
  it('keeps the refresh token and the earlier access tokens working when rotation is off', async () => {
    const clock = new TestClock();
    const service = await startLocalService({ port: 0, env: {}, clock, schedules: false, rotateRefreshTokens: false });
    try {
      const code = new URL(service.sandbox.approve(GB)).searchParams.get('code') ?? '';
      const get = async (path: string, query: Record<string, string>, headers: Record<string, string> = {}) =>
        (await fetch(`${service.url}/sandbox${path}?${new URLSearchParams(query)}`, { headers })).json();
      const first = tokenAnswer.parse(
        await get('/api/v2/token/get', { ...APP, auth_code: code, grant_type: 'authorized_code' }),
      );

      const refreshed = tokenAnswer.parse(
        await get('/api/v2/token/refresh', {
          ...APP,
          refresh_token: first.data.refresh_token,
          grant_type: 'refresh_token',
        }),
      );
      const query = { app_key: APP.app_key, timestamp: String(Math.floor(clock.now().getTime() / 1000)) };
      const sign = signOpenApi({ path: SHOPS_PATH, query: Object.entries(query) }, APP.app_secret);
      const oldAccess = await get(SHOPS_PATH, { ...query, sign }, { 'x-tts-access-token': first.data.access_token });

      expect(refreshed.data.refresh_token).toBe(first.data.refresh_token);
      expect(shopsAnswer.parse(oldAccess).data.shops).toHaveLength(1);
    } finally {
      await service.stop();
    }
  });

  it('keeps the previous authorization’s tokens working on re-authorization when told to', async () => {
    const served = await serveSandbox({
      clock: new TestClock(),
      webhookUrl: 'http://127.0.0.1:9/unused',
      retireOnReauthorization: false,
    });
    try {
      const first = tokenAnswer.parse(await served.exchange(GB));

      await served.exchange(GB);

      expect(shopsAnswer.parse(await served.shops(first.data.access_token)).data.shops).toHaveLength(1);
      expect(tokenAnswer.parse(await served.refresh(first.data.refresh_token)).data.open_id).toBe(GB);
    } finally {
      await served.stop();
    }
  });
});
