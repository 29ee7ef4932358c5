import * as z from 'zod';
import { signOpenApiRequest } from '../../../lambdas/adapters/tiktok/open-api-signature';
import { type LocalService, startLocalService } from '../../../local/local-service';
import { TestClock } from '../../support/local-journey';

const APP = { app_key: 'sandbox-app-key', app_secret: 'sandbox-app-secret' };
const tokenAnswer = z.object({
  code: z.literal(0),
  data: z.object({
    access_token: z.string(),
    refresh_token: z.string(),
    access_token_expire_in: z.number(),
    refresh_token_expire_in: z.number(),
    open_id: z.string(),
  }),
});
const SHOPS_PATH = '/authorization/202309/shops';

describe('the TikTok Shop sandbox refuses what TikTok refuses', () => {
  const clock = new TestClock();
  let service: LocalService;
  let accessToken: string;
  let refreshToken: string;

  const sandbox = (path: string, init?: RequestInit) => fetch(`${service.url}/sandbox${path}`, init);
  const tokenGet = (query: Record<string, string>) =>
    sandbox(`/api/v2/token/get?${new URLSearchParams(query)}`).then((r) => r.json());
  const tokenRefresh = (query: Record<string, string>) =>
    sandbox(`/api/v2/token/refresh?${new URLSearchParams(query)}`).then((r) => r.json());
  const nowSeconds = () => String(Math.floor(clock.now().getTime() / 1000));
  const shops = (query: Record<string, string>, token = accessToken) =>
    sandbox(`${SHOPS_PATH}?${new URLSearchParams(query)}`, { headers: { 'x-tts-access-token': token } }).then((r) =>
      r.json(),
    );
  const signed = (query: Record<string, string>, secret = APP.app_secret) => ({
    ...query,
    sign: signOpenApiRequest({ path: SHOPS_PATH, query }, secret),
  });
  const codeFor = (openId: string) => new URL(service.sandbox.approve(openId)).searchParams.get('code') ?? '';

  beforeAll(async () => {
    service = await startLocalService({ port: 0, env: {}, clock, schedules: false });
    const answer = tokenAnswer.parse(
      await tokenGet({ ...APP, auth_code: codeFor('sbx-open-gb-0001'), grant_type: 'authorized_code' }),
    );
    accessToken = answer.data.access_token;
    refreshToken = answer.data.refresh_token;
  });
  afterAll(() => service.stop());

  describe('token endpoints', () => {
    it('issues tokens with absolute expiries for a fresh code', async () => {
      const before = Math.floor(clock.now().getTime() / 1000);

      const answer = tokenAnswer.parse(
        await tokenGet({ ...APP, auth_code: codeFor('sbx-open-us-0003'), grant_type: 'authorized_code' }),
      );

      expect(answer.data.open_id).toBe('sbx-open-us-0003');
      expect(answer.data.access_token_expire_in - before).toBeGreaterThanOrEqual(7 * 86_400 - 1);
      expect(answer.data.refresh_token_expire_in - before).toBeGreaterThanOrEqual(365 * 86_400 - 1);
    });

    it.each([
      [
        'a wrong app secret',
        { ...APP, app_secret: 'wrong' },
        { code: 36004002, message: 'app_key or app_secret is invalid' },
      ],
      [
        'a wrong grant type',
        { ...APP, grant_type: 'authorization_code' },
        { code: 36004003, message: 'grant_type is invalid' },
      ],
    ])('answers HTTP 200 with an error code for %s', async (_, query, expected) => {
      const response = await sandbox(
        `/api/v2/token/get?${new URLSearchParams({ grant_type: 'authorized_code', auth_code: codeFor('sbx-open-gb-0001'), ...query })}`,
      );

      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject(expected);
    });

    it('refuses a code used once already, and one that lived past its 30 minutes', async () => {
      const used = codeFor('sbx-open-gb-0001');
      await tokenGet({ ...APP, auth_code: used, grant_type: 'authorized_code' });
      const old = codeFor('sbx-open-gb-0001');
      clock.advance(31 * 60_000);

      expect(await tokenGet({ ...APP, auth_code: used, grant_type: 'authorized_code' })).toMatchObject({
        code: 36004005,
      });
      expect(await tokenGet({ ...APP, auth_code: old, grant_type: 'authorized_code' })).toMatchObject({
        code: 36004005,
      });
    });

    it('refreshes with a known refresh token, and refuses an unknown one', async () => {
      expect(await tokenRefresh({ ...APP, refresh_token: refreshToken, grant_type: 'refresh_token' })).toMatchObject({
        code: 0,
      });
      expect(
        await tokenRefresh({ ...APP, refresh_token: 'ROW_never-issued', grant_type: 'refresh_token' }),
      ).toMatchObject({
        code: 36004005,
      });
    });
  });

  describe('Get Authorized Shops', () => {
    it('answers a correctly signed request with the seller’s shops', async () => {
      expect(await shops(signed({ app_key: APP.app_key, timestamp: nowSeconds() }))).toMatchObject({
        code: 0,
        data: { shops: [{ id: '7494000000000000101', cipher: 'GCP_sbx000101GB' }] },
      });
    });

    it.each([
      [
        'a signature made with another secret',
        () => signed({ app_key: APP.app_key, timestamp: nowSeconds() }, 'wrong'),
        106001,
      ],
      [
        'an uppercase signature',
        () => {
          const query = signed({ app_key: APP.app_key, timestamp: nowSeconds() });
          return { ...query, sign: query.sign.toUpperCase() };
        },
        106001,
      ],
      [
        'a timestamp over 5 minutes old',
        () => signed({ app_key: APP.app_key, timestamp: String(Number(nowSeconds()) - 301) }),
        36009004,
      ],
      [
        'a timestamp over 30 seconds ahead',
        () => signed({ app_key: APP.app_key, timestamp: String(Number(nowSeconds()) + 31) }),
        36009004,
      ],
      [
        'a shop_cipher it does not take',
        () => signed({ app_key: APP.app_key, timestamp: nowSeconds(), shop_cipher: 'GCP_x' }),
        36009004,
      ],
      ['another app key', () => signed({ app_key: 'other-app', timestamp: nowSeconds() }), 36009004],
    ])('refuses %s', async (_, query, code) => {
      expect(await shops(query())).toMatchObject({ code });
    });

    it('refuses an access token it never issued, and one that has expired', async () => {
      expect(await shops(signed({ app_key: APP.app_key, timestamp: nowSeconds() }), 'ROW_never-issued')).toMatchObject({
        code: 101000,
      });

      clock.advance(8 * 86_400_000);

      expect(await shops(signed({ app_key: APP.app_key, timestamp: nowSeconds() }))).toMatchObject({ code: 105002 });
    });
  });

  describe('the authorize page', () => {
    it('does not know an app by another service id', async () => {
      const page = await sandbox('/open/authorize?service_id=someone-else&state=s');

      expect(await page.text()).toContain('No app has the service id <code>someone-else</code>');
    });
  });
});
