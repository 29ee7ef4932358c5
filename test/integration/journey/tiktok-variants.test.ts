import * as z from 'zod';
import { type LocalService, startLocalService } from '../../../local/local-service';
import {
  authorizeInSandbox,
  browse,
  captureOutput,
  postJson,
  rawTable,
  SecretWatch,
  TestClock,
} from '../../support/local-journey';

const GB = 'sbx-open-gb-0001';
const US = 'sbx-open-us-0003';
const CREATOR = 'sbx-open-creator-0004';
const DAY = 86_400_000;

const linkAnswer = z.object({ url: z.string() });
const expiring = z.object({ openId: z.string(), reauthorizeUrl: z.string() });

/** What TikTok really sends, through local mode: nulls, sellers without shops, and sellers of two markets. */
describe('TikTok as it really answers, over real HTTP against local mode', () => {
  const clock = new TestClock();
  const watch = new SecretWatch();
  let output: ReturnType<typeof captureOutput>;
  let service: LocalService;

  beforeAll(async () => {
    output = captureOutput();
    service = await startLocalService({ port: 0, env: {}, clock, schedules: false });
  });
  afterAll(async () => {
    await service.stop();
    output.restore();
  });

  const authorize = async (options: Parameters<typeof authorizeInSandbox>[1]) => {
    const authorization = await authorizeInSandbox(service, options);
    watch.add(authorization.state, authorization.code);
    return authorization;
  };
  const connect = async (openId: string, accountId?: string) => {
    const { callbackUrl } = await authorize({ openId, accountId, withoutState: accountId === undefined });
    expect((await browse(callbackUrl)).status).toBe(302);
  };
  const eventsOf = (type: string) =>
    service.events
      .list()
      .filter((event) => event['detail-type'] === type)
      .map((event) => event.detail);
  const sandboxPage = (market: 'ROW' | 'US') =>
    `${service.url}/sandbox${market === 'US' ? '/us' : ''}/open/authorize?service_id=sandbox-service-id`;
  /** A sandbox seller like `template`, under another open id, with these shops. */
  const addSeller = (template: string, openId: string, shops?: []) => {
    const seller = service.sandbox.listSellers().find((each) => each.openId === template);
    if (!seller) throw new Error(`the sandbox should have ${template}`);
    // Shops of their own, so that connecting this seller moves no shop away from the template's.
    const own = seller.shops.map((shop, index) => ({
      ...shop,
      id: `${shop.id.slice(0, -3)}9${openId.length}${index}`,
    }));
    service.sandbox.addSeller({ ...seller, openId, shops: shops ?? own });
    return seller;
  };

  describe('an authorization that connects nothing', () => {
    it('tells a seller TikTok lists no shop for why, tells the app, and stores nothing', async () => {
      addSeller(GB, 'sbx-zero-shops', []);
      const { callbackUrl } = await authorize({ openId: 'sbx-zero-shops', accountId: 'acc-zero' });

      const page = await browse(callbackUrl);

      expect(page.status).toBe(400);
      const html = await page.text();
      expect(html).toContain('No shop to connect');
      expect(html).toContain('NO_SHOPS');
      expect(eventsOf('Authorization Rejected').at(-1)).toEqual({
        eventId: expect.any(String),
        openId: 'sbx-zero-shops',
        occurredAt: expect.any(String),
        accountId: 'acc-zero',
        reason: 'NO_SHOPS',
        userType: 0,
      });
      expect(await rawTable(service)).not.toContain('sbx-zero-shops');
      expect(JSON.stringify(eventsOf('Seller Authorized'))).not.toContain('sbx-zero-shops');
    });

    it('tells a creator, whose answer has a null name and no base region, that a seller account is needed', async () => {
      const { callbackUrl } = await authorize({ openId: CREATOR, accountId: 'acc-creator' });

      const page = await browse(callbackUrl);

      expect(page.status).toBe(400);
      expect(await page.text()).toContain('NOT_A_SELLER');
      expect(eventsOf('Authorization Rejected').at(-1)).toMatchObject({
        openId: CREATOR,
        accountId: 'acc-creator',
        reason: 'NOT_A_SELLER',
        userType: 1,
      });
      expect(await rawTable(service)).not.toContain(CREATOR);
      // Not a failure of the service: nothing logged as an error.
      expect(output.text()).not.toMatch(/"level":"ERROR"[^\n]*callback/);
    });
  });

  describe('links on the seller’s market’s authorize page', () => {
    const link = async (body: object) => {
      const response = await postJson(`${service.url}/authorization-links`, body);
      expect(response.status).toBe(201);
      const { url } = linkAnswer.parse(await response.json());
      watch.add(new URL(url).searchParams.get('state'));
      return url;
    };

    it('makes a new link on the default market’s page, or on the market the app asks for', async () => {
      expect(await link({ accountId: 'acc-new' })).toMatch(`${sandboxPage('ROW')}&state=`);
      expect(await link({ accountId: 'acc-new', market: 'US' })).toMatch(`${sandboxPage('US')}&state=`);
    });

    it('makes a renewal link on the seller’s own market’s page', async () => {
      await connect(US, 'acc-us');
      await connect(GB, 'acc-gb');

      expect(await link({ accountId: 'acc-us', openId: US })).toMatch(`${sandboxPage('US')}&state=`);
      expect(await link({ accountId: 'acc-gb', openId: GB })).toMatch(`${sandboxPage('ROW')}&state=`);
    });

    it('keeps what it knew of a seller when TikTok leaves their name and base region out of a new authorization', async () => {
      const { baseRegion: _, ...template } = addSeller(US, 'sbx-us-quiet');
      await connect('sbx-us-quiet', 'acc-quiet');
      const shops = service.sandbox.listSellers().find((each) => each.openId === 'sbx-us-quiet')?.shops ?? [];
      service.sandbox.addSeller({ ...template, openId: 'sbx-us-quiet', sellerName: null, shops });

      await connect('sbx-us-quiet', 'acc-quiet');

      expect(await service.dependencies.store.getGrant('sbx-us-quiet')).toMatchObject({
        sellerName: 'Sandbox Seller US',
        baseRegion: 'US',
      });
      expect(eventsOf('Seller Authorized').at(-1)).toMatchObject({
        openId: 'sbx-us-quiet',
        sellerName: 'Sandbox Seller US',
      });
    });

    it('refuses a market it does not know', async () => {
      const response = await postJson(`${service.url}/authorization-links`, { accountId: 'acc-new', market: 'EU' });

      expect(response.status).toBe(400);
    });

    it('reminds a US seller with the US page, and a seller of the rest of the world with theirs', async () => {
      addSeller(US, 'sbx-us-unclaimed');
      await connect('sbx-us-unclaimed');
      for (const openId of [US, GB, 'sbx-us-unclaimed']) {
        const grant = await service.dependencies.store.getGrant(openId);
        if (!grant) throw new Error(`${openId} should be connected`);
        await service.dependencies.store.updateGrant({
          ...grant,
          authorizationExpiresAt: new Date(clock.now().getTime() + 20 * DAY),
          remindersSent: [],
        });
      }

      await service.runReminderJob();

      const links = Object.fromEntries(
        eventsOf('Authorization Expiring').map((detail) => {
          const { openId, reauthorizeUrl } = expiring.parse(detail);
          return [openId, reauthorizeUrl];
        }),
      );
      expect(links[US]).toMatch(`${sandboxPage('US')}&state=`);
      expect(links[GB]).toMatch(`${sandboxPage('ROW')}&state=`);
      // A seller no account has claimed renews through the App Store path: their market's page, without a state.
      expect(links['sbx-us-unclaimed']).toBe(sandboxPage('US'));
      const forPeople = service.notifications.list().map((notification) => notification.message);
      expect(forPeople.find((message) => message.includes(`open id ${US}`))).toContain(links[US]);
    });
  });

  it('never lets a code or state of these journeys reach a log line', () => {
    expect(watch.found(output.text())).toEqual([]);
  });
});
