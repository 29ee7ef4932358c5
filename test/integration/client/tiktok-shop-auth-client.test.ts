import {
  CodeRefusedError,
  InvalidRequestError,
  LIFECYCLE_EVENT_TYPES,
  NoShopsError,
  NotASellerError,
  parseLifecycleEvent,
  ReauthRequiredError,
  SellerNotFoundError,
  ShopNotFoundError,
  ShopRevokedError,
  TicketUnknownError,
  TicketUsedError,
  TikTokShopAuthClient,
  type TikTokShopAuthClientOptions,
} from '../../../client';
import { type LocalService, startLocalService } from '../../../local/local-service';
import { authorizeInSandbox, browse, captureOutput, location, TestClock } from '../../support/local-journey';

const GB = 'sbx-open-gb-0001';
const MULTI = 'sbx-open-multi-0002';
const US = 'sbx-open-us-0003';
const CREATOR = 'sbx-open-creator-0004';
const NO_SHOP = 'sbx-open-no-shop-0005';
const LEGACY = 'sbx-open-legacy-0006';
const GB_SHOP = '7494000000000000101';
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** Starts local mode on a test clock, with sellers connected through the app's links. */
async function localModeWith(clock: TestClock, connected: Array<[openId: string, accountId: string]>) {
  const service = await startLocalService({ port: 0, env: {}, clock, schedules: false, pageSize: 2 });
  for (const [openId, accountId] of connected) {
    const { callbackUrl } = await authorizeInSandbox(service, { openId, accountId });
    await browse(callbackUrl);
  }
  return service;
}

/** A code TikTok's page would hand a development shop: approved in the sandbox without a state. */
const codeFor = (service: LocalService, openId: string) =>
  new URL(service.sandbox.approve(openId)).searchParams.get('code') ?? '';

describe('the client against local mode: every internal route', () => {
  const clock = new TestClock();
  let service: LocalService;
  let output: ReturnType<typeof captureOutput>;
  const requests: string[] = [];

  beforeAll(async () => {
    output = captureOutput();
    service = await localModeWith(clock, [
      [GB, 'acc-gb'],
      [MULTI, 'acc-multi'],
    ]);
  });
  afterAll(async () => {
    await service.stop();
    output.restore();
  });
  beforeEach(() => {
    requests.length = 0;
  });

  const client = (options: Partial<TikTokShopAuthClientOptions> = {}) =>
    new TikTokShopAuthClient({
      baseUrl: service.url,
      signing: 'none',
      now: () => clock.now(),
      fetch: async (input, init) => {
        requests.push(`${init?.method} ${new URL(String(input)).pathname}${new URL(String(input)).search}`);
        return fetch(input, init);
      },
      ...options,
    });

  it('creates an authorization link, valid an hour, on the market asked for', async () => {
    const link = await client().createAuthorizationLink({ accountId: 'acc-new', returnTo: '/settings', market: 'US' });

    expect(link.url).toMatch(/\/sandbox\/us\/open\/authorize\?service_id=sandbox-service-id&state=[A-Za-z0-9_-]{43}$/);
    expect(Math.abs(link.expiresAt.getTime() - (clock.now().getTime() + 60 * MINUTE))).toBeLessThan(1_000);
  });

  it('refuses a link back to another site as InvalidRequestError, with the service’s reason', async () => {
    const failure = await client()
      .createAuthorizationLink({ accountId: 'acc', returnTo: '//evil.example' })
      .catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(InvalidRequestError);
    expect(failure).toMatchObject({
      code: 'INVALID_REQUEST',
      status: 400,
      message: expect.stringMatching(/^returnTo:/),
    });
  });

  it('claims an App Store install with its ticket, once', async () => {
    const { callbackUrl } = await authorizeInSandbox(service, { openId: LEGACY, withoutState: true });
    const ticket = location(await browse(callbackUrl)).searchParams.get('ticket') ?? '';

    const claimed = await client().claimInstallation({ ticket, accountId: 'acc-legacy' });
    const again = await client()
      .claimInstallation({ ticket, accountId: 'acc-legacy' })
      .catch((error: unknown) => error);
    const unknown = await client()
      .claimInstallation({ ticket: 'no-such-ticket', accountId: 'acc-legacy' })
      .catch((error: unknown) => error);

    expect(claimed).toEqual({
      openId: LEGACY,
      shops: [expect.objectContaining({ id: '7494000000000000601', status: 'ACTIVE' })],
    });
    expect(again).toBeInstanceOf(TicketUsedError);
    expect(again).toMatchObject({ code: 'TICKET_USED', status: 410 });
    expect(unknown).toBeInstanceOf(TicketUnknownError);
  });

  it('exchanges a development shop’s code by hand, and refuses it the second time', async () => {
    const code = codeFor(service, US);

    const exchanged = await client().exchangeAuthorizationCode({ code, accountId: 'acc-dev' });
    const again = await client()
      .exchangeAuthorizationCode({ code, accountId: 'acc-dev' })
      .catch((error: unknown) => error);

    expect(exchanged).toEqual({ openId: US, accountId: 'acc-dev', reauthorization: false });
    expect(again).toBeInstanceOf(CodeRefusedError);
    expect(again).toMatchObject({ status: 422 });
  });

  it('refuses a creator’s code and a seller without a shop, each with its class', async () => {
    const creator = client().exchangeAuthorizationCode({ code: codeFor(service, CREATOR), accountId: 'acc' });
    const noShop = client().exchangeAuthorizationCode({ code: codeFor(service, NO_SHOP), accountId: 'acc' });

    await expect(creator).rejects.toThrow(NotASellerError);
    await expect(noShop).rejects.toThrow(NoShopsError);
  });

  it('lists sellers a page at a time, and all of them as an async iteration', async () => {
    const first = await client().listSellersPage({ limit: 2 });
    const pageRequests = requests.length;
    const all: string[] = [];
    for await (const seller of client().listSellers()) all.push(seller.openId);
    const revoked: string[] = [];
    for await (const seller of client().listSellers({ status: 'REVOKED' })) revoked.push(seller.openId);

    expect(first.sellers).toHaveLength(2);
    expect(first.cursor).toEqual(expect.any(String));
    expect(first.sellers[0]?.accessTokenExpiresAt).toBeInstanceOf(Date);
    expect(pageRequests).toBe(1);
    expect(all.sort()).toEqual([GB, MULTI, US, LEGACY].sort());
    expect(requests.filter((request) => request.startsWith('GET /sellers?limit=100')).length).toBeGreaterThanOrEqual(2);
    expect(revoked).toEqual([]);
  });

  it('shows a seller and its shops, never a token', async () => {
    const seller = await client().getSeller(MULTI);

    expect(seller).toMatchObject({ openId: MULTI, accountId: 'acc-multi', status: 'ACTIVE' });
    expect(seller.shops.map((shop) => shop.id)).toEqual([
      '7494000000000000201',
      '7494000000000000202',
      '7494000000000000203',
    ]);
    expect(seller.authorizationExpiresAt.getTime()).toBeGreaterThan(seller.accessTokenExpiresAt.getTime());
    expect(JSON.stringify(seller)).not.toMatch(/accessToken"|refreshToken/);
  });

  it('refreshes a seller now', async () => {
    const before = await client().getSeller(GB);
    clock.advance(MINUTE);

    const refreshed = await client().refreshSeller(GB);

    expect(refreshed).toMatchObject({ openId: GB, refreshed: true });
    expect(refreshed.accessTokenExpiresAt.getTime()).toBeGreaterThan(before.accessTokenExpiresAt.getTime());
  });

  it('disconnects a seller: its shops’ credentials are refused from then on', async () => {
    await client().disconnectSeller(US);

    await expect(client().getShopCredentials('7494000000000000301')).rejects.toThrow(ShopRevokedError);
    expect((await client().getSeller(US)).status).toBe('REVOKED');
  });

  it('says which seller or shop it cannot find', async () => {
    const seller = await client()
      .getSeller('nobody')
      .catch((error: unknown) => error);
    const shop = await client()
      .getShopCredentials('0000')
      .catch((error: unknown) => error);

    expect(seller).toBeInstanceOf(SellerNotFoundError);
    expect(seller).toMatchObject({ code: 'SELLER_NOT_FOUND', status: 404, message: 'no such seller' });
    expect(shop).toBeInstanceOf(ShopNotFoundError);
  });
});

describe('shop credentials through the client, against local mode', () => {
  const clock = new TestClock();
  let service: LocalService;
  let output: ReturnType<typeof captureOutput>;
  /** The credential requests that reached the service: each looks its shop up once. */
  let reads: jest.SpyInstance;

  beforeAll(async () => {
    output = captureOutput();
    service = await localModeWith(clock, [
      [GB, 'acc-gb'],
      [MULTI, 'acc-multi'],
      [US, 'acc-us'],
    ]);
    reads = jest.spyOn(service.dependencies.store, 'findShop');
  });
  afterAll(async () => {
    await service.stop();
    output.restore();
  });
  beforeEach(() => reads.mockClear());

  const client = (options: Partial<TikTokShopAuthClientOptions> = {}) =>
    new TikTokShopAuthClient({ baseUrl: service.url, signing: 'none', now: () => clock.now(), ...options });

  it('keeps a shop’s credentials until the service is due to refresh them (TikTok may then refuse them), then five minutes at a time', async () => {
    const auth = client();
    const first = await auth.getShopCredentials(GB_SHOP);
    await auth.getShopCredentials(GB_SHOP);
    const readsWhileKept = reads.mock.calls.length;
    const refreshPoint = first.accessTokenExpiresAt.getTime() - 48 * 60 * MINUTE;
    clock.advance(refreshPoint - clock.now().getTime() - 1_000);
    await auth.getShopCredentials(GB_SHOP);
    const readsJustBeforeTheRefreshPoint = reads.mock.calls.length;
    clock.advance(2_000);

    // The service has not refreshed yet (no job ran): the same token, now kept five minutes at a time.
    const past = await auth.getShopCredentials(GB_SHOP);
    await auth.getShopCredentials(GB_SHOP);
    const readsRightAfter = reads.mock.calls.length;
    clock.advance(5 * MINUTE + 1_000);
    await auth.getShopCredentials(GB_SHOP);

    expect(first).toMatchObject({ shopId: GB_SHOP, openId: GB, shopCipher: expect.any(String) });
    expect(past.accessToken).toBe(first.accessToken);
    expect([readsWhileKept, readsJustBeforeTheRefreshPoint, readsRightAfter, reads.mock.calls.length]).toEqual([
      1, 1, 2, 3,
    ]);
  });

  it('hands out the refreshed token as soon as the service has it, once past the refresh point', async () => {
    const auth = client();
    const first = await auth.getShopCredentials(GB_SHOP);
    clock.advance(first.accessTokenExpiresAt.getTime() - clock.now().getTime() - 47 * 60 * MINUTE);
    await service.runRefreshJob();
    clock.advance(5 * MINUTE + 1_000);

    const next = await auth.getShopCredentials(GB_SHOP);

    expect(next.accessToken).not.toBe(first.accessToken);
    expect(next.accessTokenExpiresAt.getTime()).toBeGreaterThan(first.accessTokenExpiresAt.getTime());
  });

  it('sends one request for many concurrent callers of a shop, and one per shop', async () => {
    const auth = client();

    const answers = await Promise.all([
      ...Array.from({ length: 10 }, () => auth.getShopCredentials('7494000000000000201')),
      ...Array.from({ length: 10 }, () => auth.getShopCredentials('7494000000000000202')),
    ]);

    expect(reads.mock.calls.map(([shopId]) => shopId).sort()).toEqual(['7494000000000000201', '7494000000000000202']);
    expect(new Set(answers.slice(0, 10)).size).toBe(1);
    expect(new Set(answers.slice(10)).size).toBe(1);
    expect(answers[10]?.shopId).toBe('7494000000000000202');
  });

  it('keeps nothing that ends within its margin: a margin longer than the token asks every time', async () => {
    const auth = client({ credentialsMarginMs: 8 * DAY });

    await auth.getShopCredentials('7494000000000000203');
    await auth.getShopCredentials('7494000000000000203');
    await auth.getShopCredentials('7494000000000000203');

    expect(reads).toHaveBeenCalledTimes(3);
  });

  it('asks again after invalidateShopCredentials (e.g. TikTok refused the token)', async () => {
    const auth = client();
    await auth.getShopCredentials('7494000000000000203');

    auth.invalidateShopCredentials('7494000000000000203');
    await auth.getShopCredentials('7494000000000000203');

    expect(reads).toHaveBeenCalledTimes(2);
  });

  it('forgets the credentials of a seller it disconnects', async () => {
    const auth = client();
    await auth.getShopCredentials('7494000000000000202');

    await auth.disconnectSeller(MULTI);
    const after = await auth.getShopCredentials('7494000000000000202').catch((error: unknown) => error);

    expect(after).toBeInstanceOf(ShopRevokedError);
    expect(after).toMatchObject({ code: 'SHOP_REVOKED', status: 410 });
    expect(reads).toHaveBeenCalledTimes(2);
  });

  it('hands out no kept token once the service answers 409: the seller must authorize again', async () => {
    const auth = client();
    const kept = await auth.getShopCredentials('7494000000000000301');
    clock.advance(kept.accessTokenExpiresAt.getTime() - clock.now().getTime() - 4 * MINUTE);
    service.sandbox.injectFault('token/refresh', { code: 36004001, message: 'rt has expired' });

    const refused = await auth.getShopCredentials('7494000000000000301').catch((error: unknown) => error);
    const again = await auth.getShopCredentials('7494000000000000301').catch((error: unknown) => error);

    expect(refused).toBeInstanceOf(ReauthRequiredError);
    expect(refused).toMatchObject({ code: 'REAUTH_REQUIRED', status: 409 });
    expect(again).toBeInstanceOf(ReauthRequiredError);
    expect(reads).toHaveBeenCalledTimes(3);
  });
});

describe('the events local mode publishes, read with the client’s schemas', () => {
  const clock = new TestClock();
  let service: LocalService;
  let output: ReturnType<typeof captureOutput>;

  beforeAll(async () => {
    output = captureOutput();
    service = await localModeWith(clock, [
      [GB, 'acc-gb'],
      [MULTI, 'acc-multi'],
      [US, 'acc-us'],
      [CREATOR, 'acc-creator'],
    ]);
  });
  afterAll(async () => {
    await service.stop();
    output.restore();
  });

  it('are each accepted by its detail-type’s schema, for every type', async () => {
    const auth = new TikTokShopAuthClient({
      baseUrl: service.url,
      signing: 'none',
      now: () => clock.now(),
      retry: { maxAttempts: 1 },
    });
    // An App Store install, claimed; a webhook forwarded, and one that deauthorizes the shop.
    const { callbackUrl } = await authorizeInSandbox(service, { openId: LEGACY, withoutState: true });
    const ticket = location(await browse(callbackUrl)).searchParams.get('ticket') ?? '';
    await auth.claimInstallation({ ticket, accountId: 'acc-legacy' });
    await service.sandbox.sendWebhook({ type: 1, shopId: GB_SHOP });
    await service.sandbox.sendWebhook({ type: 6, shopId: '7494000000000000601' });
    await auth.refreshSeller(GB);
    // TikTok refuses US's refresh token; and cannot refresh MULTI's for now, whose token still works a while.
    service.sandbox.injectFault('token/refresh', { code: 36004001, message: 'rt has expired' });
    await expect(auth.refreshSeller(US)).rejects.toThrow(ReauthRequiredError);
    clock.advance(7 * DAY - 4 * MINUTE);
    service.sandbox.injectFault('token/refresh', { status: 503 }, 3);
    await auth.getShopCredentials('7494000000000000201');
    await auth.disconnectSeller(MULTI);
    // A month before GB's authorization ends, the reminders.
    const gb = await auth.getSeller(GB);
    clock.advance(gb.authorizationExpiresAt.getTime() - clock.now().getTime() - 29 * DAY);
    await service.runReminderJob();

    const body: unknown = await (await fetch(`${service.url}/_local/events`)).json();
    const delivered = Array.isArray(body) ? body : [];
    const parsed = delivered.map((event) => parseLifecycleEvent(event));

    expect(new Set(parsed.map((event) => event.detailType))).toEqual(new Set(LIFECYCLE_EVENT_TYPES));
    expect(parsed.length).toBe(service.events.list().length);
  });
});
