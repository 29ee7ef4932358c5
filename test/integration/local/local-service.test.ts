import { type LocalService, startLocalService } from '../../../local/local-service';
import { browse, location } from '../../support/local-journey';

const form = (fields: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});

describe('the local service', () => {
  let service: LocalService;

  beforeAll(async () => {
    service = await startLocalService({ port: 0, env: {} });
  });
  afterAll(() => service.stop());

  it('serves the events published so far, oldest first, as EventBridge delivers them', async () => {
    await service.events.publish([
      { type: 'Seller Disconnected', detail: { openId: 'open-1', occurredAt: '2026-03-01T12:00:00.000Z' } },
    ]);

    const response = await fetch(`${service.url}/_local/events`);

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual([
      expect.objectContaining({
        source: 'tiktok-shop-auth',
        'detail-type': 'Seller Disconnected',
        detail: { openId: 'open-1', occurredAt: '2026-03-01T12:00:00.000Z' },
      }),
    ]);
  });

  it('answers an unknown route with a JSON 404', async () => {
    const response = await fetch(`${service.url}/nowhere`);

    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: { code: 'ROUTE_NOT_FOUND', message: 'no route GET /nowhere' } });
  });

  it('starts a sandbox authorization from its start page', async () => {
    const start = await browse(`${service.url}/`);
    expect(await start.text()).toContain('Authorize a sandbox seller');

    const link = await browse(`${service.url}/_local/start`, form({ accountId: 'acc-start' }));

    expect(link.status).toBe(303);
    const authorize = location(link);
    expect(authorize.pathname).toBe('/sandbox/open/authorize');
    expect(authorize.searchParams.get('service_id')).toBe('sandbox-service-id');
    expect(authorize.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('walks an App Store install through its claim page', async () => {
    const decision = await browse(
      `${service.url}/sandbox/open/authorize`,
      form({ seller: 'sbx-open-gb-0001', decision: 'approve' }),
    );
    const claimUrl = location(await browse(location(decision).toString()));
    const claimPage = await browse(claimUrl.toString());
    expect(await claimPage.text()).toContain('Log in and claim');

    const claimed = await browse(
      `${service.url}/_local/landing/claim`,
      form({ ticket: claimUrl.searchParams.get('ticket') ?? '', accountId: 'acc-claim' }),
    );

    expect(claimed.status).toBe(200);
    expect(await claimed.text()).toContain('&quot;openId&quot;:&quot;sbx-open-gb-0001&quot;');
  });

  it('queues sandbox faults over HTTP and refuses a malformed one', async () => {
    const queued = await fetch(`${service.url}/sandbox/_faults`, {
      method: 'POST',
      body: JSON.stringify({ endpoint: 'token/refresh', fault: { status: 503 }, times: 2 }),
    });
    const malformed = await fetch(`${service.url}/sandbox/_faults`, { method: 'POST', body: '{"endpoint":"nope"}' });

    expect([queued.status, malformed.status]).toEqual([201, 400]);
  });

  it('refuses a body over a megabyte before any handler reads it', async () => {
    const response = await fetch(`${service.url}/authorization-links`, {
      method: 'POST',
      body: 'x'.repeat(1024 * 1024 + 1),
    });

    expect(response.status).toBe(413);
  });
});
