import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { type LocalService, startLocalService } from '../../local/local-service';
import { TestClock } from '../support/local-journey';

/** Debian's Chromium (installed by `npm test` when missing); another path can be given. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOTS = join(process.cwd(), 'reports', 'screenshots');

const GB = 'sbx-open-gb-0001';
const GB_SHOP = '7494000000000000101';

describe('the local console, in a real browser', () => {
  let service: LocalService;
  let browser: Browser;
  let page: Page;
  let shot = 0;
  const clock = new TestClock();

  const screenshot = async (name: string) => {
    await page.screenshot({
      path: join(SCREENSHOTS, `${String(++shot).padStart(2, '0')}-${name}.png`),
      fullPage: true,
    });
  };
  const sellerRow = (openId: string) => page.locator(`tr.seller[data-open-id="${openId}"]`);
  const shopRow = (shopId: string) => page.locator(`tr.shop[data-shop-id="${shopId}"]`);

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    service = await startLocalService({ port: 0, env: {}, schedules: false, clock });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await service?.stop();
  });

  it('starts empty, with the actions to try', async () => {
    await page.goto(service.url);

    await screenshot('console-empty');
    expect(await page.title()).toBe('tiktok-shop-auth · local console');
    expect(await page.getByText('No sellers yet').isVisible()).toBe(true);
  });

  it('authorizes a sandbox seller through the sandbox pages and lists it', async () => {
    await page.getByLabel("The app's account").fill('acc-browser');
    await page.getByRole('button', { name: 'Authorize a sandbox seller' }).click();

    await page.waitForURL(/\/sandbox\/open\/authorize\?service_id=sandbox-service-id&state=/);
    await page.getByLabel(/Sandbox Seller GB/).check();
    await screenshot('sandbox-authorize');
    await page.getByRole('button', { name: 'Authorize', exact: true }).click();

    await page.waitForURL(/\/_local\/landing\/success\?openId=sbx-open-gb-0001&accountId=acc-browser/);
    await screenshot('connected');
    await page.getByRole('link', { name: 'Back to the console' }).click();

    await page.waitForURL(`${service.url}/`);
    await screenshot('console-with-seller');
    expect(await sellerRow(GB).getAttribute('data-status')).toBe('ACTIVE');
    expect(await sellerRow(GB).textContent()).toContain('acc-browser');
    expect(await sellerRow(GB).textContent()).toMatch(/in 7 days/);
    expect(await shopRow(GB_SHOP).getAttribute('data-status')).toBe('ACTIVE');
  });

  it('never shows a token', async () => {
    const grant = await service.dependencies.store.getGrant(GB);
    const html = await page.content();

    expect(grant?.accessToken).toBeDefined();
    expect(html).not.toContain('ROW_');
    expect(html).not.toContain(grant?.accessToken ?? 'no token');
  });

  it('sends a deauthorization for the shop and shows the seller revoked', async () => {
    await shopRow(GB_SHOP).getByRole('combobox').selectOption('6');
    await shopRow(GB_SHOP).getByRole('button', { name: 'Send' }).click();

    await page.waitForURL(/notice=/);
    await screenshot('deauthorized');
    expect(await page.getByRole('status').textContent()).toBe(
      `Webhook 6 SELLER_DEAUTHORIZATION sent for shop ${GB_SHOP}: the endpoint answered HTTP 200.`,
    );
    expect(await shopRow(GB_SHOP).getAttribute('data-status')).toBe('REVOKED');
    expect(await sellerRow(GB).getAttribute('data-status')).toBe('REVOKED');
    expect(await sellerRow(GB).textContent()).toContain('tokens deleted');
    expect(await page.locator('table').last().textContent()).toContain('Seller Deauthorized');
  });

  it('runs the jobs from their buttons and says what they did', async () => {
    await page.getByRole('button', { name: 'Run the refresh job now' }).click();
    await page.waitForURL(/notice=Refresh/);
    const refresh = await page.getByRole('status').textContent();

    await page.getByRole('button', { name: 'Run the reminder job now' }).click();
    await page.waitForURL(/notice=Reminder/);
    await screenshot('jobs');

    expect(refresh).toBe('Refresh job: 0 due, 0 refreshed, 0 to retry, 0 must authorize again.');
    expect(await page.getByRole('status').textContent()).toBe('Reminder job: 0 ending within the horizon, 0 reminded.');
  });

  it('disconnects a seller from its button', async () => {
    await page.getByRole('button', { name: 'Authorize a sandbox seller' }).click();
    await page.getByLabel(/Sandbox Seller US/).check();
    await page.getByRole('button', { name: 'Authorize', exact: true }).click();
    await page.getByRole('link', { name: 'Back to the console' }).click();

    await sellerRow('sbx-open-us-0003').getByRole('button', { name: 'Disconnect' }).click();

    await page.waitForURL(/notice=Disconnected/);
    await screenshot('disconnected');
    expect(await sellerRow('sbx-open-us-0003').getAttribute('data-status')).toBe('REVOKED');
  });

  it('lists the events the bus refused as pending, and delivers them from its button', async () => {
    service.events.failNext(1);
    await page.getByRole('button', { name: 'Authorize a sandbox seller' }).click();
    await page.getByLabel(/Sandbox Seller GB/).check();
    await page.getByRole('button', { name: 'Authorize', exact: true }).click();
    await page.getByRole('link', { name: 'Back to the console' }).click();
    await page.waitForURL(`${service.url}/`);

    const pending = page.locator('section', { has: page.getByRole('heading', { name: 'Events pending delivery' }) });
    expect(await pending.textContent()).toContain('Seller Authorized');
    await screenshot('events-pending');
    clock.advance(3 * 60_000);
    await page.getByRole('button', { name: 'Deliver pending events now' }).click();

    await page.waitForURL(/notice=Outbox/);
    expect(await page.getByRole('status').textContent()).toBe(
      'Outbox job: 1 delivered, 0 still waiting (sellers with undelivered events: 1).',
    );
    expect(await pending.textContent()).toContain('Nothing waiting');
  });
});
