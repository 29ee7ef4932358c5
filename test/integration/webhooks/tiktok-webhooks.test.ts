import { DynamoDbWebhookReceipts } from '../../../lambdas/adapters/dynamodb/dynamodb-webhook-receipts';
import { webhookSignature } from '../../../lambdas/adapters/tiktok/webhook-signature';
import { createTikTokWebhookHandler } from '../../../lambdas/handlers/tiktok-webhook';
import { webhookSettings } from '../../../lambdas/shared/config';
import { lambdaContext, toApiGatewayEvent } from '../../../local/gateway';
import { type LocalService, startLocalService } from '../../../local/local-service';
import { authorizeInSandbox, browse, captureOutput, rawTable, TestClock } from '../../support/local-journey';

/** The official vector's app (protocol section 7). */
const APP_KEY = 'abcdef';
const APP_SECRET = '123';
const OFFICIAL_BODY =
  '{"type":1,"tts_notification_id":"7380066284010030890","shop_id":"7495540735365777507","timestamp":1718305585,"data":{"is_on_hold_order":true,"order_id":"576653688135258178","order_status":"UNPAID","update_time":1718305585}}';
const OFFICIAL_SIGNATURE = '5dec0f11ec2f6783b8deee53c9ffbf8d024302f7c7e7fa55a35d17629031ac05';

const MULTI = 'sbx-open-multi-0002';
const [DE, FR, ES] = ['7494000000000000201', '7494000000000000202', '7494000000000000203'];
const DAY = 86_400_000;

describe('TikTok webhooks, over real HTTP against local mode', () => {
  const clock = new TestClock();
  let service: LocalService;
  let counter = 0;

  beforeAll(async () => {
    service = await startLocalService({
      port: 0,
      clock,
      env: { TIKTOK_APP_KEY: APP_KEY, TIKTOK_APP_SECRET: APP_SECRET },
    });
  });
  afterAll(() => service.stop());

  const post = (body: string | Buffer, headers: Record<string, string> = {}) =>
    fetch(`${service.url}/webhooks/tiktok`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
  const signed = (body: string | Buffer, headers: Record<string, string> = {}) =>
    post(body, { authorization: webhookSignature(APP_KEY, APP_SECRET, Buffer.from(body)), ...headers });
  const webhook = (type: number, shopId: string, data: object = {}, extra: object = {}) =>
    JSON.stringify({
      type,
      tts_notification_id: `n-${++counter}`,
      shop_id: shopId,
      timestamp: Math.floor(clock.now().getTime() / 1000),
      data,
      ...extra,
    });
  const forwarded = () => service.events.list().filter((event) => event['detail-type'] === 'TikTok Shop Webhook');
  const eventsOf = (type: string) => service.events.list().filter((event) => event['detail-type'] === type);
  const connect = async (openId: string) => {
    const { callbackUrl } = await authorizeInSandbox(service, { openId, accountId: `acc-${openId}` });
    expect((await browse(callbackUrl)).status).toBe(302);
  };
  const shopStatuses = async (openId: string) =>
    Object.fromEntries((await service.dependencies.store.listShops(openId)).map((shop) => [shop.shopId, shop.status]));

  describe('signatures', () => {
    it('accepts the official vector and forwards it to the bus', async () => {
      // At the time of the sample: a webhook older than receipts are kept is a replay, and would be ignored.
      const back = clock.now().getTime() - (1718305585 + 60) * 1000;
      clock.advance(-back);
      const response = await post(OFFICIAL_BODY, { authorization: OFFICIAL_SIGNATURE }).finally(() =>
        clock.advance(back),
      );

      expect(response.status).toBe(200);
      expect(await response.text()).toBe('');
      expect(forwarded().at(-1)?.detail).toEqual({
        eventId: 'webhook:7380066284010030890',
        occurredAt: expect.any(String),
        type: 1,
        typeName: 'ORDER_STATUS_CHANGE',
        shopId: '7495540735365777507',
        notificationId: '7380066284010030890',
        timestamp: 1718305585,
        data: {
          is_on_hold_order: true,
          order_id: '576653688135258178',
          order_status: 'UNPAID',
          update_time: 1718305585,
        },
      });
    });

    it.each([
      ['a tampered body', OFFICIAL_BODY.replace('UNPAID', 'PAID__'), { authorization: OFFICIAL_SIGNATURE }],
      [
        'a signature made with another secret',
        OFFICIAL_BODY,
        { authorization: webhookSignature(APP_KEY, '124', Buffer.from(OFFICIAL_BODY)) },
      ],
      [
        'a signature made for another app key',
        OFFICIAL_BODY,
        { authorization: webhookSignature('abcdeg', APP_SECRET, Buffer.from(OFFICIAL_BODY)) },
      ],
      ['no Authorization header', OFFICIAL_BODY, {}],
      ['an uppercase signature', OFFICIAL_BODY, { authorization: OFFICIAL_SIGNATURE.toUpperCase() }],
      ['a sha256= prefixed signature', OFFICIAL_BODY, { authorization: `sha256=${OFFICIAL_SIGNATURE}` }],
    ])('answers 401 with an empty body to %s, and changes nothing', async (_, body, headers) => {
      const before = { events: service.events.list().length, table: await rawTable(service) };

      const response = await post(body, headers);

      expect(response.status).toBe(401);
      expect(await response.text()).toBe('');
      expect(service.events.list().length).toBe(before.events);
      expect(await rawTable(service)).toBe(before.table);
    });

    it('counts a refused signature in the WebhookSignatureRejected metric', async () => {
      const output = captureOutput();
      try {
        await post(OFFICIAL_BODY, { authorization: OFFICIAL_SIGNATURE.toUpperCase() });
      } finally {
        output.restore();
      }

      const metricLines = output
        .text()
        .split('\n')
        .filter((line) => line.includes('"CloudWatchMetrics"'))
        .map((line) => JSON.parse(line));
      expect(metricLines).toContainEqual(
        expect.objectContaining({
          _aws: expect.objectContaining({
            CloudWatchMetrics: [
              expect.objectContaining({
                Namespace: 'TikTokShopAuth',
                Metrics: [{ Name: 'WebhookSignatureRejected', Unit: 'Count' }],
              }),
            ],
          }),
          service: 'tiktok-shop-auth',
          WebhookSignatureRejected: 1,
        }),
      );
    });

    it('verifies the exact bytes when the gateway hands the body over base64-encoded', async () => {
      const body = webhook(1, '7495540735365777507', { order_id: 'é-ünïcode' });

      const response = await signed(Buffer.from(body), { 'content-type': 'application/octet-stream' });

      expect(response.status).toBe(200);
      expect(forwarded().at(-1)?.detail).toMatchObject({ data: { order_id: 'é-ünïcode' } });
    });
  });

  describe('bodies that are not webhooks', () => {
    it('refuses a huge body before hashing it, even with a valid signature', async () => {
      const body = webhook(1, 's', { padding: 'x'.repeat(70 * 1024) });

      expect((await signed(body)).status).toBe(413);
    });

    it.each([
      ['malformed JSON', '{"type":1,'],
      ['JSON whose type is not a number', '{"type":"one","timestamp":"now"}'],
      ['JSON without a type', '{"shop_id":"1","timestamp":1718305585,"data":{}}'],
      ['a JSON array', '[]'],
      ['a JSON string', '"webhook"'],
    ])('answers 400 to %s with a valid signature', async (_, body) => {
      const response = await signed(body);

      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({
        error: { code: 'NOT_A_WEBHOOK', message: 'the body is not a TikTok Shop webhook' },
      });
    });
  });

  describe('envelopes as TikTok varies them', () => {
    const nowSeconds = () => Math.floor(clock.now().getTime() / 1000);
    const envelope = (fields: Record<string, unknown>) =>
      JSON.stringify({
        type: 1,
        tts_notification_id: `v-${++counter}`,
        shop_id: DE,
        timestamp: nowSeconds(),
        data: {},
        ...fields,
      });
    /** Sent at `sent` (whole seconds), forwarded with `expected`, the arrival time standing in for `arrival`. */
    type Row = [string, (sent: number) => Record<string, unknown>, (sent: number) => Record<string, unknown>];
    const ARRIVAL = 'arrival';

    it.each<Row>([
      ['a timestamp as a string', (sent) => ({ timestamp: String(sent) }), (sent) => ({ timestamp: sent })],
      ['a timestamp in milliseconds', (sent) => ({ timestamp: sent * 1000 + 999 }), (sent) => ({ timestamp: sent })],
      ['no timestamp', () => ({ timestamp: undefined }), () => ({ timestamp: ARRIVAL })],
      ['a timestamp that is not a time', () => ({ timestamp: 'soon' }), () => ({ timestamp: ARRIVAL })],
      ['a timestamp past any date', () => ({ shop_id: '1', timestamp: 1e20 }), () => ({ timestamp: ARRIVAL })],
      ['data: null', () => ({ data: null }), () => ({ data: {} })],
      ['no data', () => ({ data: undefined }), () => ({ data: {} })],
      ['data that is not an object', () => ({ data: ['a', 1] }), () => ({ data: ['a', 1] })],
      ['a type as a string', () => ({ type: '14' }), () => ({ type: 14, typeName: 'NEW_MESSAGE' })],
      ['an empty shop_id', () => ({ shop_id: '' }), () => ({ shopId: undefined })],
      ['a numeric shop_id', () => ({ shop_id: 749400000000 }), () => ({ shopId: '749400000000' })],
      ['a null notification id', () => ({ tts_notification_id: null }), () => ({ notificationId: undefined })],
    ])('answers 200 to a signed webhook with %s and forwards it', async (_, fields, expected) => {
      const sent = nowSeconds() - 60;
      const before = nowSeconds();
      const earlier = forwarded().length;

      const response = await signed(envelope({ timestamp: sent, ...fields(sent) }));

      expect(response.status).toBe(200);
      // This webhook's own event, not an earlier row's: exactly one more.
      const [event, ...more] = forwarded().slice(earlier);
      expect(more).toEqual([]);
      const detail = event?.detail;
      const { timestamp, ...rest } = expected(sent);
      expect(detail).toMatchObject(rest);
      if (timestamp === ARRIVAL) {
        const arrived = Number(Reflect.get(detail ?? {}, 'timestamp'));
        expect(arrived).toBeGreaterThanOrEqual(before);
        expect(arrived).toBeLessThanOrEqual(nowSeconds());
      } else {
        expect(detail).toMatchObject({ timestamp: timestamp ?? sent });
      }
    });

    it('acts on a deauthorization whose timestamp is a string', async () => {
      await connect(MULTI);
      clock.advance(1000);

      await signed(envelope({ type: 6, shop_id: FR, timestamp: String(nowSeconds()), data: null }));

      expect((await shopStatuses(MULTI))[FR]).toBe('REVOKED');
    });

    it.each([
      ['no timestamp', undefined],
      ['a timestamp that is not a time', '1718305585.0'],
    ])('forwards a deauthorization with %s but never lets it revoke a newer authorization', async (_, timestamp) => {
      await connect(MULTI);
      clock.advance(1000);
      const before = forwarded().length;

      const response = await signed(envelope({ type: 6, shop_id: ES, timestamp }));

      expect(response.status).toBe(200);
      expect((await shopStatuses(MULTI))[ES]).toBe('ACTIVE');
      expect((await service.dependencies.store.getGrant(MULTI))?.status).toBe('ACTIVE');
      expect(forwarded().length - before).toBe(1);
    });

    it('reads a type 7’s expiration_time given in milliseconds as the same end', async () => {
      await connect(MULTI);
      clock.advance(60_000);
      const end = Math.floor((clock.now().getTime() + 25 * DAY) / 1000);

      await signed(envelope({ type: 7, data: { expiration_time: String(end * 1000) } }));

      expect((await service.dependencies.store.getGrant(MULTI))?.authorizationExpiresAt).toEqual(new Date(end * 1000));
    });
  });

  describe('deduplication', () => {
    it('forwards a duplicate of a webhook that changes no grant again, with the same event id, and writes nothing', async () => {
      const body = webhook(1, '7495540735365777507');
      const before = forwarded().length;
      const table = await rawTable(service);

      const statuses = [(await signed(body)).status, (await signed(body)).status];

      expect(statuses).toEqual([200, 200]);
      const ids = forwarded()
        .slice(before)
        .map((event) => (event.detail as { eventId: string }).eventId);
      expect(ids).toEqual([`webhook:n-${counter}`, `webhook:n-${counter}`]);
      // No receipt: consumers of the bus tell duplicates apart by the event id, as they must for any event.
      expect(await rawTable(service)).toBe(table);
    });

    it('names a webhook without a notification id by a hash of its body, the same for each copy', async () => {
      const timestamp = Math.floor(clock.now().getTime() / 1000);
      const body = JSON.stringify({ type: 2, shop_id: 'legacy-shop', timestamp, data: { legacy: true } });
      const before = forwarded().length;

      await signed(body);
      await signed(body);

      const ids = forwarded()
        .slice(before)
        .map((event) => (event.detail as { eventId: string }).eventId);
      expect(ids).toHaveLength(2);
      expect(ids[0]).toMatch(/^webhook:sha256:[0-9a-f]{64}$/);
      expect(ids[1]).toBe(ids[0]);
    });

    it('acts once on a duplicate of a webhook that changes a grant, and answers it 200', async () => {
      await connect(MULTI);
      clock.advance(1000);
      const body = webhook(7, DE, { expiration_time: String(Math.floor((clock.now().getTime() + 20 * DAY) / 1000)) });
      const before = forwarded().length;

      const statuses = [(await signed(body)).status, (await signed(body)).status];

      expect(statuses).toEqual([200, 200]);
      expect(forwarded().length - before).toBe(1);
    });

    it('acts on TikTok’s retry after a failure half-way, and only once', async () => {
      await connect(MULTI);
      const body = webhook(6, ES);
      // The outbox's delivery, then the forwarding: the bus is down for both.
      service.events.failNext(2);

      const first = await signed(body);
      const retry = await signed(body);
      const duplicate = await signed(body);

      expect([first.status, retry.status, duplicate.status]).toEqual([500, 200, 200]);
      expect(eventsOf('Seller Deauthorized').filter((event) => JSON.stringify(event.detail).includes(ES))).toHaveLength(
        1,
      );
      expect((await shopStatuses(MULTI))[ES]).toBe('REVOKED');
    });
  });

  describe('type 6, SELLER_DEAUTHORIZATION', () => {
    it('revokes one of several shops and keeps the grant', async () => {
      await connect(MULTI);

      expect((await signed(webhook(6, DE))).status).toBe(200);

      expect(await shopStatuses(MULTI)).toEqual({ [DE]: 'REVOKED', [FR]: 'ACTIVE', [ES]: 'ACTIVE' });
      expect((await service.dependencies.store.getGrant(MULTI))?.status).toBe('ACTIVE');
      expect(eventsOf('Seller Deauthorized').at(-1)?.detail).toMatchObject({
        openId: MULTI,
        shopId: DE,
        grantRevoked: false,
      });
    });

    it('revokes the grant and deletes its tokens with the last shop', async () => {
      await connect(MULTI);

      for (const shopId of [DE, FR, ES]) await signed(webhook(6, shopId));

      const grant = await service.dependencies.store.getGrant(MULTI);
      expect(grant?.status).toBe('REVOKED');
      expect([grant?.accessToken, grant?.refreshToken]).toEqual([undefined, undefined]);
      expect(eventsOf('Seller Deauthorized').at(-1)?.detail).toMatchObject({ shopId: ES, grantRevoked: true });
      expect((await fetch(`${service.url}/shops/${FR}/credentials`)).status).toBe(410);
    });

    it('answers 200 to a deauthorization older than the latest authorization, and neither acts on it nor forwards it', async () => {
      await connect(MULTI);
      const stale = Math.floor((clock.now().getTime() - DAY) / 1000);
      const before = service.events.list().length;
      const output = captureOutput();
      try {
        expect((await signed(webhook(6, FR, {}, { timestamp: stale }))).status).toBe(200);
      } finally {
        output.restore();
      }

      expect((await shopStatuses(MULTI))[FR]).toBe('ACTIVE');
      expect(service.events.list()).toHaveLength(before);
      expect(output.text()).toContain('"WebhookStale"');
    });

    it('accepts and forwards a deauthorization of a shop it does not know', async () => {
      const response = await signed(webhook(6, '0000000000000000000'));

      expect(response.status).toBe(200);
      expect(forwarded().at(-1)?.detail).toMatchObject({
        type: 6,
        typeName: 'SELLER_DEAUTHORIZATION',
        shopId: '0000000000000000000',
      });
      expect(forwarded().at(-1)?.detail).not.toHaveProperty('openId', expect.anything());
    });
  });

  describe('type 7, UPCOMING_AUTHORIZATION_EXPIRATION', () => {
    it.each([
      ['a string', (seconds: number) => String(seconds)],
      ['a number', (seconds: number) => seconds],
    ])('records expiration_time given as %s and reminds the seller once per milestone', async (_, encode) => {
      await connect(MULTI);
      // TikTok's daily type 7 comes after the authorization; one from the same second counts as older.
      clock.advance(60_000);
      const end = Math.floor((clock.now().getTime() + 25 * DAY) / 1000);
      const remindersBefore = eventsOf('Authorization Expiring').length;

      await signed(webhook(7, DE, { message: 'expiring', expiration_time: encode(end) }));
      await signed(webhook(7, DE, { message: 'expiring', expiration_time: encode(end) }));

      expect((await service.dependencies.store.getGrant(MULTI))?.authorizationExpiresAt).toEqual(new Date(end * 1000));
      const reminders = eventsOf('Authorization Expiring').slice(remindersBefore);
      expect(reminders).toHaveLength(1);
      expect(reminders[0]?.detail).toMatchObject({
        openId: MULTI,
        accountId: `acc-${MULTI}`,
        expiresAt: new Date(end * 1000).toISOString(),
        daysLeft: 25,
        milestone: 30,
        reauthorizeUrl: expect.stringContaining('state='),
      });
    });
  });

  /** On AWS the function's own URL hands it every method and path, as `$default` (payload format 2.0). */
  describe('on the function URL', () => {
    let secretReads = 0;
    const handler = () =>
      createTikTokWebhookHandler(() => ({
        ...service.dependencies,
        credentials: {
          get: () => {
            secretReads += 1;
            return service.dependencies.credentials.get();
          },
          reload: () => {
            secretReads += 1;
            return service.dependencies.credentials.reload();
          },
        },
        receipts: new DynamoDbWebhookReceipts(service.dynamo.documentClient, 'tiktok-shop-auth'),
        settings: webhookSettings(service.env),
      }));
    const invoke = async (method: string, rawPath: string, body: string) => {
      const event = toApiGatewayEvent({
        method,
        rawPath,
        rawQueryString: '',
        headers: {
          'content-type': 'application/json',
          authorization: webhookSignature(APP_KEY, APP_SECRET, Buffer.from(body)),
        },
        body: Buffer.from(body),
        routeKey: '$default',
        pathParameters: {},
        sourceIp: '203.0.113.9',
      });
      const output = captureOutput();
      try {
        return { response: await handler()(event, lambdaContext('webhooks')), output: output.text() };
      } finally {
        output.restore();
      }
    };
    beforeEach(() => {
      secretReads = 0;
    });

    it('acts on a signed POST to /webhooks/tiktok', async () => {
      const body = webhook(1, DE, { order_id: 'via-function-url' });

      const { response } = await invoke('POST', '/webhooks/tiktok', body);

      expect(response.statusCode).toBe(200);
      expect(secretReads).toBe(1);
      expect(forwarded().at(-1)?.detail).toMatchObject({ data: { order_id: 'via-function-url' } });
    });

    it.each(['GET', 'PUT', 'DELETE', 'HEAD', 'OPTIONS'])(
      'answers %s /webhooks/tiktok 405 with allow: POST, before reading the secret',
      async (method) => {
        const before = { events: service.events.list().length, table: await rawTable(service) };

        const { response, output } = await invoke(method, '/webhooks/tiktok', webhook(1, DE));

        expect(response).toMatchObject({ statusCode: 405, body: '', headers: { allow: 'POST' } });
        expect(secretReads).toBe(0);
        expect(service.events.list().length).toBe(before.events);
        expect(await rawTable(service)).toBe(before.table);
        expect(output).toContain('"WebhookRejectedRoute":1');
      },
    );

    it.each(['/', '/webhooks/tiktok/', '/webhooks', '/oauth/callback', '/webhooks/TikTok'])(
      'answers a signed POST to %s 404, before reading the secret',
      async (path) => {
        const before = service.events.list().length;

        const { response } = await invoke('POST', path, webhook(1, DE));

        expect(response).toMatchObject({ statusCode: 404, body: '' });
        expect(response.headers).not.toHaveProperty('allow');
        expect(secretReads).toBe(0);
        expect(service.events.list().length).toBe(before);
      },
    );
  });

  it('accepts and forwards a type it does not know', async () => {
    const response = await signed(webhook(99, DE, { anything: ['goes'] }));

    expect(response.status).toBe(200);
    expect(forwarded().at(-1)?.detail).toMatchObject({ type: 99, typeName: undefined, data: { anything: ['goes'] } });
  });

  it('lets the sandbox send a signed webhook of any type to the local endpoint', async () => {
    const sandboxSent = await fetch(`${service.url}/sandbox/_webhooks`, {
      method: 'POST',
      body: JSON.stringify({ type: 14, shopId: DE, data: { conversation_id: 'c-1' } }),
    });

    expect(await sandboxSent.json()).toEqual({ delivered: 200 });
    expect(forwarded().at(-1)?.detail).toMatchObject({
      type: 14,
      typeName: 'NEW_MESSAGE',
      data: { conversation_id: 'c-1' },
    });
  });
});
