import { type LocalService, startLocalService } from '../../../local/local-service';

describe('the local service', () => {
  let service: LocalService;

  beforeAll(async () => {
    service = await startLocalService({ port: 0 });
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
    expect(await response.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'no route for GET /nowhere' } });
  });
});
