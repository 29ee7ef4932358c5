import { signOpenApiRequest } from '../../../lambdas/adapters/tiktok/open-api-signature';
import { type LocalService, startLocalService } from '../../../local/local-service';
import {
  authorizeInSandbox,
  browse,
  captureOutput,
  location,
  postJson,
  rawTable,
  SecretWatch,
  TestClock,
} from '../../support/local-journey';

const GB = 'sbx-open-gb-0001';
const MULTI = 'sbx-open-multi-0002';
const US = 'sbx-open-us-0003';
const CREATOR = 'sbx-open-creator-0004';
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

const eventTypes = (service: LocalService) => service.events.list().map((event) => event['detail-type']);

describe('the seller journey, over real HTTP against local mode', () => {
  const clock = new TestClock();
  const watch = new SecretWatch();
  let output: ReturnType<typeof captureOutput>;
  let service: LocalService;

  beforeAll(async () => {
    output = captureOutput();
    service = await startLocalService({ port: 0, env: {}, clock, tiktokTimeoutMs: 300 });
    watch.add(service.env.TIKTOK_APP_SECRET);
  });

  afterAll(async () => {
    await service.stop();
    output.restore();
  });

  /** Follows the authorization to the callback and records every secret it carried. */
  const authorize = async (options: Parameters<typeof authorizeInSandbox>[1]) => {
    const authorization = await authorizeInSandbox(service, options);
    watch.add(authorization.state, authorization.code);
    return authorization;
  };

  const credentialsOf = async (shopId: string) => {
    const response = await fetch(`${service.url}/shops/${shopId}/credentials`);
    const body = (await response.json()) as Record<string, unknown>;
    watch.add(typeof body.accessToken === 'string' ? body.accessToken : undefined);
    return { status: response.status, body };
  };

  /** A sandbox seller like the first one, under another open id; with no shops unless asked. */
  const addSandboxSeller = (openId: string, withShops = false) => {
    const [template] = service.sandbox.listSellers();
    if (!template) throw new Error('the sandbox should have sellers');
    service.sandbox.addSeller({ ...template, openId, shops: withShops ? template.shops : [] });
  };

  const sellerView = async (openId: string) => {
    const response = await fetch(`${service.url}/sellers/${openId}`);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  describe('with a state from the app’s link', () => {
    it('connects the seller and sends the browser to the success URL', async () => {
      const { callbackUrl } = await authorize({ openId: GB, accountId: 'acc-gb', returnTo: '/settings/tiktok' });

      const landing = await browse(callbackUrl);

      expect(landing.status).toBe(302);
      const target = location(landing);
      expect(`${target.origin}${target.pathname}`).toBe(`${service.url}/_local/landing/success`);
      expect(Object.fromEntries(target.searchParams)).toEqual({
        openId: GB,
        accountId: 'acc-gb',
        returnTo: '/settings/tiktok',
      });
      expect(service.events.list().at(-1)).toMatchObject({
        source: 'tiktok-shop-auth',
        'detail-type': 'Seller Authorized',
        detail: {
          openId: GB,
          accountId: 'acc-gb',
          sellerName: 'Sandbox Seller GB',
          shops: [{ id: '7494000000000000101', name: 'Sandbox Shop GB', region: 'GB' }],
          reauthorization: false,
        },
      });
    });

    it('shows the seller without any token', async () => {
      const { status, body } = await sellerView(GB);

      expect(status).toBe(200);
      expect(body).toEqual({
        openId: GB,
        sellerName: 'Sandbox Seller GB',
        status: 'ACTIVE',
        accountId: 'acc-gb',
        accessTokenExpiresAt: expect.stringMatching(/Z$/),
        authorizationExpiresAt: expect.stringMatching(/Z$/),
        scopes: expect.arrayContaining(['seller.authorization.info']),
        shops: [
          {
            id: '7494000000000000101',
            name: 'Sandbox Shop GB',
            region: 'GB',
            sellerType: 'LOCAL',
            code: 'GBLCSBX0101',
            status: 'ACTIVE',
          },
        ],
      });
      const authorizationEnds = Date.parse(String(body.authorizationExpiresAt));
      expect(authorizationEnds - clock.now().getTime()).toBeGreaterThan(364 * DAY);
    });

    it('hands out credentials that TikTok accepts for the shop', async () => {
      const { status, body } = await credentialsOf('7494000000000000101');

      expect(status).toBe(200);
      expect(body).toEqual({
        shopId: '7494000000000000101',
        shopCipher: 'GCP_sbx000101GB',
        openId: GB,
        accessToken: expect.stringMatching(/^ROW_/),
        accessTokenExpiresAt: expect.any(String),
      });
      const query = { app_key: 'sandbox-app-key', timestamp: String(Math.floor(clock.now().getTime() / 1000)) };
      const sign = signOpenApiRequest({ path: '/authorization/202309/shops', query }, 'sandbox-app-secret');
      const shops = await fetch(
        `${service.url}/sandbox/authorization/202309/shops?${new URLSearchParams({ ...query, sign })}`,
        {
          headers: { 'x-tts-access-token': String(body.accessToken), 'content-type': 'application/json' },
        },
      );
      expect(await shops.json()).toMatchObject({ code: 0, data: { shops: [{ id: '7494000000000000101' }] } });
    });

    it('connects a seller with three shops, each with its own cipher and the one token', async () => {
      const { callbackUrl } = await authorize({ openId: MULTI, accountId: 'acc-multi' });

      expect((await browse(callbackUrl)).status).toBe(302);

      const shops = ['7494000000000000201', '7494000000000000202', '7494000000000000203'];
      const credentials = await Promise.all(shops.map(credentialsOf));
      expect(credentials.map((c) => c.body.shopCipher)).toEqual([
        'GCP_sbx000201DE',
        'GCP_sbx000202FR',
        'GCP_sbx000203ES',
      ]);
      expect(new Set(credentials.map((c) => c.body.accessToken)).size).toBe(1);
      expect(((await sellerView(MULTI)).body.shops as unknown[]).length).toBe(3);
    });
  });

  describe('without a state (App Store installs, development shops)', () => {
    it('stores the seller and sends the browser to the claim URL with a one-time ticket', async () => {
      const { callbackUrl } = await authorize({ openId: US, withoutState: true });

      const landing = await browse(callbackUrl);

      expect(landing.status).toBe(302);
      const target = location(landing);
      expect(`${target.origin}${target.pathname}`).toBe(`${service.url}/_local/landing/claim`);
      const ticket = target.searchParams.get('ticket') ?? '';
      watch.add(ticket);
      expect(ticket).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(eventTypes(service).at(-1)).toBe('Installation Pending Claim');
      expect((await sellerView(US)).body.accountId).toBeUndefined();

      const claim = await postJson(`${service.url}/installations/claim`, { ticket, accountId: 'acc-us' });

      expect(claim.status).toBe(200);
      expect(await claim.json()).toEqual({
        openId: US,
        shops: [expect.objectContaining({ id: '7494000000000000301', status: 'ACTIVE' })],
      });
      expect((await sellerView(US)).body.accountId).toBe('acc-us');
      expect(service.events.list().at(-1)).toMatchObject({
        'detail-type': 'Installation Claimed',
        detail: { openId: US, accountId: 'acc-us' },
      });

      const again = await postJson(`${service.url}/installations/claim`, { ticket, accountId: 'acc-other' });
      expect(again.status).toBe(410);
      expect(await again.json()).toEqual({ error: { code: 'TICKET_USED', message: 'the ticket is already used' } });
      expect((await sellerView(US)).body.accountId).toBe('acc-us');
    });

    it('refuses an unknown ticket and an expired one', async () => {
      const unknown = await postJson(`${service.url}/installations/claim`, { ticket: 'never-issued', accountId: 'a' });
      expect(unknown.status).toBe(404);
      expect(await unknown.json()).toEqual({ error: { code: 'TICKET_UNKNOWN', message: 'the ticket is unknown' } });

      const { callbackUrl } = await authorize({ openId: US, withoutState: true });
      const ticket = location(await browse(callbackUrl)).searchParams.get('ticket') ?? '';
      watch.add(ticket);
      clock.advance(31 * MINUTE);
      const expired = await postJson(`${service.url}/installations/claim`, { ticket, accountId: 'a' });
      expect(expired.status).toBe(410);
      expect(((await expired.json()) as { error: { code: string } }).error.code).toBe('TICKET_EXPIRED');
    });
  });

  describe('callbacks that connect nobody', () => {
    const tokenCalls = () => service.sandbox.calls['token/get'];

    it('shows a denial, without calling TikTok or storing anything', async () => {
      const created = await postJson(`${service.url}/authorization-links`, { accountId: 'acc-deny' });
      const state = new URL(((await created.json()) as { url: string }).url).searchParams.get('state') ?? '';
      watch.add(state);
      const decision = await browse(`${service.url}/sandbox/open/authorize`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ state, seller: CREATOR, decision: 'deny' }).toString(),
      });
      const callback = location(decision);
      expect(callback.searchParams.get('error')).toBe('access_denied');
      const before = tokenCalls();

      const page = await browse(callback.toString());

      expect(page.status).toBe(400);
      expect(page.headers.get('content-type')).toContain('text/html');
      expect(await page.text()).toContain('AUTHORIZATION_DENIED');
      expect(tokenCalls()).toBe(before);
      expect((await sellerView(CREATOR)).status).toBe(404);
    });

    it.each([
      ['a missing code', '?state=whatever'],
      ['a null code', '?code=null'],
    ])('treats %s as a denial', async (_, query) => {
      const before = tokenCalls();

      const page = await browse(`${service.url}/oauth/callback${query}`);

      expect(page.status).toBe(400);
      expect(await page.text()).toContain('AUTHORIZATION_DENIED');
      expect(tokenCalls()).toBe(before);
    });

    it('refuses a state that was already used, without a second token call', async () => {
      const { callbackUrl } = await authorize({ openId: GB, accountId: 'acc-gb' });
      expect((await browse(callbackUrl)).status).toBe(302);
      const before = tokenCalls();

      const replay = await browse(callbackUrl);

      expect(replay.status).toBe(400);
      expect(await replay.text()).toContain('This authorization link was already used');
      expect(tokenCalls()).toBe(before);
    });

    it('refuses an unknown state, without a token call', async () => {
      const before = tokenCalls();

      const page = await browse(`${service.url}/oauth/callback?code=TTP_anything&state=forged-state-value`);

      expect(page.status).toBe(400);
      expect(await page.text()).toContain('STATE_UNKNOWN');
      expect(tokenCalls()).toBe(before);
    });

    it('refuses an expired state', async () => {
      const { callbackUrl } = await authorize({ openId: GB, accountId: 'acc-gb' });
      clock.advance(61 * MINUTE);

      const page = await browse(callbackUrl);

      expect(page.status).toBe(400);
      expect(await page.text()).toContain('This authorization link has expired');
    });

    it('shows a code TikTok calls used or unknown as a 400 page (the seller’s to redo) and stores nothing', async () => {
      addSandboxSeller('sbx-refused');
      const { callbackUrl } = await authorize({ openId: 'sbx-refused', accountId: 'acc-r' });
      service.sandbox.injectFault('token/get', { code: 36004005, message: 'can not find related auth record' });

      const page = await browse(callbackUrl);

      expect(page.status).toBe(400);
      expect(await page.text()).toContain('CODE_REFUSED');
      expect((await sellerView('sbx-refused')).status).toBe(404);
    });

    it('shows the same page for a reloaded callback without a state, whose code TikTok calls invalid (36004004)', async () => {
      addSandboxSeller('sbx-reloaded', true);
      const { callbackUrl } = await authorize({ openId: 'sbx-reloaded', withoutState: true });
      expect((await browse(callbackUrl)).status).toBe(302);

      const reloaded = await browse(callbackUrl);

      expect(reloaded.status).toBe(400);
      expect(await reloaded.text()).toContain('This authorization was already used or has expired');
    });

    it('shows a refusal TikTok does not document as the service’s failure: a 502 page', async () => {
      addSandboxSeller('sbx-refused-oddly');
      const { callbackUrl } = await authorize({ openId: 'sbx-refused-oddly', accountId: 'acc-ro' });
      service.sandbox.injectFault('token/get', { code: 36004999, message: 'an undocumented refusal' }, 2);

      const page = await browse(callbackUrl);

      expect(page.status).toBe(502);
      expect(await page.text()).toContain('CODE_REFUSED');
      expect((await sellerView('sbx-refused-oddly')).status).toBe(404);
    });

    it('counts each code TikTok refused, and apart those without a state, which anyone can make up', async () => {
      addSandboxSeller('sbx-refused-counted');
      const { callbackUrl } = await authorize({ openId: 'sbx-refused-counted', accountId: 'acc-rc' });
      service.sandbox.injectFault('token/get', { code: 36004005, message: 'can not find related auth record' });
      const before = output.text().length;

      const withState = await browse(callbackUrl);
      const madeUp = await browse(`${service.url}/oauth/callback?code=TTP_made_up_by_nobody`);

      expect([withState.status, madeUp.status]).toEqual([400, 400]);
      const metricLines = output
        .text()
        .slice(before)
        .split('\n')
        .filter((line) => line.includes('"CloudWatchMetrics"'))
        .map((line) => JSON.parse(line));
      const emitted = (names: string[]) =>
        expect.objectContaining({
          _aws: expect.objectContaining({
            CloudWatchMetrics: [
              expect.objectContaining({
                Namespace: 'TikTokShopAuth',
                Dimensions: [['service']],
                Metrics: names.map((name) => ({ Name: name, Unit: 'Count' })),
              }),
            ],
          }),
          service: 'tiktok-shop-auth',
          ...Object.fromEntries(names.map((name) => [name, 1])),
        });
      expect(metricLines).toEqual([
        emitted(['CallbackCodeRefused']),
        emitted(['CallbackCodeRefused', 'CallbackCodeRefusedWithoutState']),
      ]);
    });

    it('shows TikTok not answering as a 502 page and stores nothing', async () => {
      addSandboxSeller('sbx-silent');
      const { callbackUrl } = await authorize({ openId: 'sbx-silent', accountId: 'acc-s' });
      service.sandbox.injectFault('token/get', { delayMs: 1000 }, 3);

      const page = await browse(callbackUrl);

      expect(page.status).toBe(502);
      expect(await page.text()).toContain('TIKTOK_UNAVAILABLE');
      expect((await sellerView('sbx-silent')).status).toBe(404);
    });

    it('stores nothing when the shops cannot be fetched after the exchange', async () => {
      addSandboxSeller('sbx-no-shops', true);
      const { callbackUrl } = await authorize({ openId: 'sbx-no-shops', accountId: 'acc-n' });
      service.sandbox.injectFault('shops', { status: 503 }, 3);

      const page = await browse(callbackUrl);

      expect(page.status).toBe(502);
      expect((await sellerView('sbx-no-shops')).status).toBe(404);
      expect(await rawTable(service)).not.toContain('sbx-no-shops');
    });

    it('refuses an account that is not a seller', async () => {
      const { callbackUrl } = await authorize({ openId: CREATOR, accountId: 'acc-c' });

      const page = await browse(callbackUrl);

      expect(page.status).toBe(400);
      expect(await page.text()).toContain('NOT_A_SELLER');
      expect((await sellerView(CREATOR)).status).toBe(404);
    });
  });

  describe('a returning seller', () => {
    it('updates the same grant: new tokens, reminders cleared, shops reconciled, none duplicated', async () => {
      const { callbackUrl } = await authorize({ openId: MULTI, accountId: 'acc-multi' });
      await browse(callbackUrl);
      const before = await service.dependencies.store.getGrant(MULTI);
      if (!before) throw new Error('the seller should be connected');
      await service.dependencies.store.updateGrant({ ...before, remindersSent: [30, 7] });
      const [de, , es] = service.sandbox.listSellers().find((s) => s.openId === MULTI)?.shops ?? [];
      if (!de || !es) throw new Error('the sandbox seller should have shops');
      service.sandbox.setShops(MULTI, [
        de,
        es,
        { ...de, id: '7494000000000000204', name: 'Sandbox Shop IT', region: 'IT', cipher: 'GCP_it' },
      ]);

      const again = await authorize({ openId: MULTI, accountId: 'acc-multi-2' });
      expect((await browse(again.callbackUrl)).status).toBe(302);

      const after = await service.dependencies.store.getGrant(MULTI);
      // Our write of the reminders, the authorization with its event, and the event taken off once delivered.
      expect(after?.version).toBe(before.version + 3);
      expect(after?.outbox).toEqual([]);
      expect(after?.accessToken).not.toBe(before.accessToken);
      expect(after?.remindersSent).toEqual([]);
      expect(after?.accountId).toBe('acc-multi-2');
      const shops = ((await sellerView(MULTI)).body.shops as Array<{ id: string; status: string }>).sort((a, b) =>
        a.id.localeCompare(b.id),
      );
      expect(shops.map((shop) => [shop.id, shop.status])).toEqual([
        ['7494000000000000201', 'ACTIVE'],
        ['7494000000000000202', 'REVOKED'],
        ['7494000000000000203', 'ACTIVE'],
        ['7494000000000000204', 'ACTIVE'],
      ]);
      expect(service.events.list().at(-1)).toMatchObject({ detail: { openId: MULTI, reauthorization: true } });
    });
  });

  describe('credentials', () => {
    it('refreshes a token that expires within five minutes, once for many simultaneous callers', async () => {
      const { callbackUrl } = await authorize({ openId: GB, accountId: 'acc-gb' });
      await browse(callbackUrl);
      const { body: first } = await credentialsOf('7494000000000000101');
      clock.advance(7 * DAY - 4 * MINUTE);
      const refreshesBefore = service.sandbox.calls['token/refresh'];
      service.sandbox.injectFault('token/refresh', { delayMs: 150 });

      const answers = await Promise.all(Array.from({ length: 5 }, () => credentialsOf('7494000000000000101')));

      expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200]);
      expect(service.sandbox.calls['token/refresh'] - refreshesBefore).toBe(1);
      expect(new Set(answers.map((answer) => answer.body.accessToken)).size).toBe(1);
      expect(answers[0]?.body.accessToken).not.toBe(first.accessToken);
      expect(eventTypes(service)).toContain('Tokens Refreshed');
    });

    it('answers 409 once TikTok refuses the refresh token, and says why on the bus', async () => {
      const { callbackUrl } = await authorize({ openId: US, accountId: 'acc-us' });
      await browse(callbackUrl);
      clock.advance(7 * DAY);
      service.sandbox.injectFault('token/refresh', { code: 36004001, message: 'rt has expired' });

      const { status, body } = await credentialsOf('7494000000000000301');

      expect(status).toBe(409);
      expect(body).toEqual({ error: { code: 'REAUTH_REQUIRED', message: 'the seller must authorize the app again' } });
      expect((await sellerView(US)).body.status).toBe('REAUTH_REQUIRED');
      expect(service.events.list().at(-1)).toMatchObject({
        'detail-type': 'Reauthorization Required',
        detail: { openId: US, accountId: 'acc-us', reason: expect.stringContaining('36004001') },
      });
    });

    it('hands out the current token while it lasts when TikTok cannot refresh it, then refreshes it later', async () => {
      const { callbackUrl } = await authorize({ openId: MULTI, accountId: 'acc-multi' });
      await browse(callbackUrl);
      const { body: before } = await credentialsOf('7494000000000000201');
      clock.advance(7 * DAY - 4 * MINUTE);
      service.sandbox.injectFault('token/refresh', { status: 503 }, 3);

      const whileDown = await credentialsOf('7494000000000000201');
      const afterwards = await credentialsOf('7494000000000000201');

      expect(whileDown).toEqual({ status: 200, body: expect.objectContaining({ accessToken: before.accessToken }) });
      expect(afterwards.status).toBe(200);
      expect(afterwards.body.accessToken).not.toBe(before.accessToken);
      expect(eventTypes(service)).toContain('Token Refresh Failed');
    });

    it('answers 503 when TikTok cannot refresh a token that no longer works', async () => {
      const { callbackUrl } = await authorize({ openId: MULTI, accountId: 'acc-multi' });
      await browse(callbackUrl);
      clock.advance(7 * DAY - 10_000);
      service.sandbox.injectFault('token/refresh', { status: 503 }, 3);

      const { status, body } = await credentialsOf('7494000000000000203');

      expect(status).toBe(503);
      expect(body).toEqual({
        error: { code: 'TIKTOK_UNAVAILABLE', message: 'TikTok is not answering; try again shortly' },
      });
    });

    it('answers 404 for a shop it does not know', async () => {
      expect((await credentialsOf('0000')).body).toEqual({
        error: { code: 'SHOP_NOT_FOUND', message: 'no such shop' },
      });
    });
  });

  describe('disconnecting', () => {
    it('deletes the tokens, marks the seller and shops revoked, and tells the bus once', async () => {
      const { callbackUrl } = await authorize({ openId: GB, accountId: 'acc-gb' });
      await browse(callbackUrl);

      const deleted = await fetch(`${service.url}/sellers/${GB}`, { method: 'DELETE' });
      const twice = await fetch(`${service.url}/sellers/${GB}`, { method: 'DELETE' });

      expect([deleted.status, twice.status]).toEqual([204, 204]);
      expect((await sellerView(GB)).body).toMatchObject({ status: 'REVOKED', shops: [{ status: 'REVOKED' }] });
      const grant = await service.dependencies.store.getGrant(GB);
      expect([grant?.accessToken, grant?.refreshToken]).toEqual([undefined, undefined]);
      expect((await credentialsOf('7494000000000000101')).body).toEqual({
        error: { code: 'SHOP_REVOKED', message: 'the shop is no longer authorized' },
      });
      expect(eventTypes(service).filter((type) => type === 'Seller Disconnected')).toHaveLength(1);
    });

    it('answers 404 for a seller it does not know', async () => {
      expect((await fetch(`${service.url}/sellers/nobody`, { method: 'DELETE' })).status).toBe(404);
      expect((await sellerView('nobody')).body).toEqual({
        error: { code: 'SELLER_NOT_FOUND', message: 'no such seller' },
      });
    });
  });

  describe('bad requests to the internal routes', () => {
    it.each([
      [{}, 'accountId: Invalid input: expected string, received undefined'],
      [{ accountId: '' }, 'accountId: Too small: expected string to have >=1 characters'],
      [
        { accountId: 'a', returnTo: '//evil.example/phish' },
        'returnTo: must be a path of the app, starting with a single /',
      ],
      [
        { accountId: 'a', returnTo: 'https://evil.example' },
        'returnTo: must be a path of the app, starting with a single /',
      ],
      [{ accountId: 'a', extra: 1 }, 'body: Unrecognized key: "extra"'],
    ])('refuses the link body %j', async (body, message) => {
      const response = await postJson(`${service.url}/authorization-links`, body);

      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ error: { code: 'INVALID_REQUEST', message } });
    });

    it('refuses a body that is not JSON, and one too large to read', async () => {
      const notJson = await fetch(`${service.url}/authorization-links`, { method: 'POST', body: '{accountId' });
      const huge = await postJson(`${service.url}/authorization-links`, { accountId: 'x'.repeat(20_000) });

      expect(await notJson.json()).toEqual({ error: { code: 'INVALID_REQUEST', message: 'the body is not JSON' } });
      expect(huge.status).toBe(413);
    });
  });

  describe('secrets', () => {
    it('never appear in a log line, an event or the table', async () => {
      watch.add(...service.sandbox.issuedSecrets());
      expect(watch.values.size).toBeGreaterThan(30);

      const logs = output.text();
      const events = JSON.stringify(service.events.list());
      const table = await rawTable(service);

      expect(logs).toContain('seller authorized');
      expect(watch.found(logs)).toEqual([]);
      expect(watch.found(events)).toEqual([]);
      expect(watch.found(table)).toEqual([]);
    });
  });
});

describe('local mode with an ERROR_URL', () => {
  let service: LocalService;

  beforeAll(async () => {
    service = await startLocalService({ port: 0, env: { ERROR_URL: 'https://app.example/tiktok/error' } });
  });
  afterAll(() => service.stop());

  it('sends the seller to the app’s error page with the reason', async () => {
    const response = await browse(`${service.url}/oauth/callback?error=access_denied&code=null`);

    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('https://app.example/tiktok/error?error=AUTHORIZATION_DENIED');
  });
});
