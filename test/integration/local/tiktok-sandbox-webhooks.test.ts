import * as z from 'zod';
import { type LocalService, startLocalService } from '../../../local/local-service';
import type { SandboxSeller } from '../../../local/sandbox/sandbox-sellers';
import { isWebhookSignatureValid } from '../../../local/sandbox/sandbox-signing';
import { TestClock } from '../../support/local-journey';
import { ScriptedServer } from '../../support/scripted-server';
import {
  APP,
  DAY,
  HOUR,
  MINUTE,
  moveToHourAfterMidnight,
  refusal,
  type ServedSandbox,
  serveSandbox,
  tokenAnswer,
} from './sandbox-harness';

const GB_SHOP = '7494000000000000101';
const envelope = z
  .object({
    type: z.number(),
    tts_notification_id: z.string().regex(/^\d{19}$/),
    shop_id: z.string().optional(),
    timestamp: z.number(),
    data: z.record(z.string(), z.unknown()),
  })
  .strict();

describe('the sandbox’s webhooks, as TikTok delivers them', () => {
  let clock: TestClock;
  let receiver: ScriptedServer;
  let served: ServedSandbox;

  const start = async (options: { webhookTimeoutMs?: number; webhookUrl?: string } = {}) => {
    served = await serveSandbox({
      clock,
      webhookUrl: options.webhookUrl ?? `${receiver.url}/webhooks/tiktok`,
      webhookTimeoutMs: options.webhookTimeoutMs ?? 300,
    });
  };
  const received = () => receiver.requests.map((request) => envelope.parse(JSON.parse(request.body)));
  const notices = () => received().filter((body) => body.type === 7);
  const offsetsFrom = (first: Date, tries: ReadonlyArray<{ at: Date }>) =>
    tries.map((attempt) => attempt.at.getTime() - first.getTime());

  beforeEach(async () => {
    clock = new TestClock();
    receiver = new ScriptedServer({ status: 200, raw: '' });
    await receiver.start();
  });
  afterEach(async () => {
    await served.stop();
    await receiver.stop();
  });

  describe('the envelope', () => {
    it('has no shop_id field at all when the webhook is about no shop', async () => {
      await start();

      const sent = await served.sandbox.sendWebhook({ type: 13, data: { conversation_id: 'c-1' } });

      const [request] = receiver.requests;
      expect(sent.status).toBe(200);
      expect(Object.keys(JSON.parse(request?.body ?? '{}'))).toEqual([
        'type',
        'tts_notification_id',
        'timestamp',
        'data',
      ]);
      expect(received()).toEqual([
        {
          type: 13,
          tts_notification_id: sent.notificationId,
          timestamp: Math.floor((served.sandbox.deliveries[0]?.at.getTime() ?? 0) / 1000),
          data: { conversation_id: 'c-1' },
        },
      ]);
    });

    it('signs the exact bytes sent with HMAC-SHA256(app_secret, app_key + body) in lowercase hex', async () => {
      await start();

      await served.sandbox.sendWebhook({ type: 6, shopId: GB_SHOP });

      const [request] = receiver.requests;
      const header = request?.headers.authorization;
      expect(header).toMatch(/^[0-9a-f]{64}$/);
      expect(isWebhookSignatureValid(header, APP.app_key, APP.app_secret, Buffer.from(request?.body ?? ''))).toBe(true);
      expect(received()[0]).toMatchObject({
        type: 6,
        shop_id: GB_SHOP,
        data: { message: `Shop_id ${GB_SHOP} is deauthorized from your APP by merchant.` },
      });
    });
  });

  describe('TikTok’s retry schedule, on the sandbox’s clock', () => {
    it('tries again 2 min, then 30 min, 3 h and 12 h after each failure, then gives up', async () => {
      await start();
      receiver.reply({ status: 500 }, { status: 500 }, { status: 500 }, { status: 500 }, { status: 500 });
      const first = await served.sandbox.sendWebhook({ type: 1, shopId: GB_SHOP, data: { order_id: 'o-1' } });
      const madeAt = served.sandbox.deliveries[0]?.at ?? new Date(0);

      clock.advance(2 * MINUTE - 1000);
      const tooEarly = await served.sandbox.deliverDue();
      clock.advance(1000);
      const second = await served.sandbox.deliverDue();
      clock.advance(30 * MINUTE);
      const third = await served.sandbox.deliverDue();
      clock.advance(3 * HOUR);
      const fourth = await served.sandbox.deliverDue();
      clock.advance(12 * HOUR);
      const fifth = await served.sandbox.deliverDue();
      clock.advance(7 * DAY);
      const afterGivingUp = await served.sandbox.deliverDue();

      expect(first.status).toBe(500);
      expect(tooEarly).toEqual([]);
      expect([second, third, fourth, fifth].map((tries) => tries.length)).toEqual([1, 1, 1, 1]);
      expect(afterGivingUp).toEqual([]);
      expect(offsetsFrom(madeAt, served.sandbox.deliveries)).toEqual([
        0,
        2 * MINUTE,
        32 * MINUTE,
        3 * HOUR + 32 * MINUTE,
        15 * HOUR + 32 * MINUTE,
      ]);
      expect(served.sandbox.deliveries.map((attempt) => [attempt.attempt, attempt.status])).toEqual([
        [1, 500],
        [2, 500],
        [3, 500],
        [4, 500],
        [5, 500],
      ]);
      expect(served.sandbox.deliveries.at(-1)?.nextTryAt).toBeUndefined();
      expect(served.sandbox.pendingDeliveries()).toEqual([]);
      expect(new Set(receiver.requests.map((request) => request.body)).size).toBe(1);
      expect(receiver.requests).toHaveLength(5);
    });

    it('makes every overdue try, each at its own time, when the clock jumps past them', async () => {
      await start();
      receiver.reply({ status: 503 }, { status: 503 }, { status: 503 }, { status: 503 }, { status: 503 });
      await served.sandbox.sendWebhook({ type: 1, shopId: GB_SHOP });
      const madeAt = served.sandbox.deliveries[0]?.at ?? new Date(0);
      clock.advance(DAY);

      const caughtUp = await served.sandbox.deliverDue();

      expect(offsetsFrom(madeAt, caughtUp)).toEqual([
        2 * MINUTE,
        32 * MINUTE,
        3 * HOUR + 32 * MINUTE,
        15 * HOUR + 32 * MINUTE,
      ]);
      expect(receiver.requests).toHaveLength(5);
    });

    it('stops after the try the endpoint answers 200', async () => {
      await start();
      receiver.reply({ status: 500 });
      const first = await served.sandbox.sendWebhook({ type: 1, shopId: GB_SHOP });
      clock.advance(2 * MINUTE);

      const retried = await served.sandbox.deliverDue();
      clock.advance(2 * DAY);
      const later = await served.sandbox.deliverDue();

      expect(first.status).toBe(500);
      expect(retried.map((attempt) => [attempt.attempt, attempt.status, attempt.nextTryAt])).toEqual([
        [2, 200, undefined],
      ]);
      expect(later).toEqual([]);
      expect(receiver.requests).toHaveLength(2);
    });

    it('never tries again after a first 200, and records that one try exactly', async () => {
      await start();

      const sent = await served.sandbox.sendWebhook({ type: 1, shopId: GB_SHOP });
      clock.advance(2 * DAY);
      const later = await served.sandbox.deliverDue();

      expect(sent.status).toBe(200);
      expect(later).toEqual([]);
      expect(served.sandbox.deliveries).toEqual([
        {
          notificationId: sent.notificationId,
          type: 1,
          shopId: GB_SHOP,
          at: expect.any(Date),
          attempt: 1,
          copy: 0,
          status: 200,
        },
      ]);
      expect(receiver.requests).toHaveLength(1);
    });

    it('counts a 2xx other than 200 as a failure, as TikTok wants exactly 200', async () => {
      await start();
      receiver.reply({ status: 204 });

      const sent = await served.sandbox.sendWebhook({ type: 1, shopId: GB_SHOP });

      expect(sent.status).toBe(204);
      expect(served.sandbox.pendingDeliveries()).toEqual([
        {
          notificationId: sent.notificationId,
          copy: 0,
          attempt: 2,
          dueAt: new Date((served.sandbox.deliveries[0]?.at.getTime() ?? 0) + 2 * MINUTE),
        },
      ]);
    });

    it('counts no answer at all (nothing listening) as a failure and tries again', async () => {
      const closed = new ScriptedServer();
      await closed.start();
      await closed.stop();
      await start({ webhookUrl: `${closed.url}/webhooks/tiktok` });

      const sent = await served.sandbox.sendWebhook({ type: 1, shopId: GB_SHOP });

      expect(sent.status).toBe(0);
      expect(sent.error).toEqual(expect.any(String));
      expect(served.sandbox.deliveries[0]).toMatchObject({ status: 0, attempt: 1, nextTryAt: expect.any(Date) });
    });

    it('counts an answer slower than TikTok waits as a failure, and tries again', async () => {
      await start({ webhookTimeoutMs: 200 });
      receiver.reply({ status: 200, delayMs: 600 });

      const sent = await served.sandbox.sendWebhook({ type: 1, shopId: GB_SHOP });
      clock.advance(2 * MINUTE);
      const retried = await served.sandbox.deliverDue();

      expect(sent.status).toBe(0);
      expect(retried.map((attempt) => attempt.status)).toEqual([200]);
    });
  });

  describe('late and duplicate deliveries', () => {
    it('delivers a late webhook only when its delay is up, stamped with when it was made', async () => {
      await start();

      const sent = await served.sandbox.sendWebhook({ type: 1, shopId: GB_SHOP, delayMs: 10 * MINUTE });
      clock.advance(10 * MINUTE - 1000);
      const early = await served.sandbox.deliverDue();
      const requestsBefore = receiver.requests.length;
      clock.advance(1000);
      const due = await served.sandbox.deliverDue();

      if ('status' in sent) throw new Error('a late webhook should not be tried at once');
      const madeAtSeconds = Math.floor((sent.firstTryAt.getTime() - 10 * MINUTE) / 1000);
      expect(early).toEqual([]);
      expect(requestsBefore).toBe(0);
      expect(due.map((attempt) => [attempt.at, attempt.status])).toEqual([[sent.firstTryAt, 200]]);
      expect(received()).toEqual([
        {
          type: 1,
          tts_notification_id: sent.notificationId,
          shop_id: GB_SHOP,
          timestamp: madeAtSeconds,
          data: {},
        },
      ]);
    });

    it('sends duplicates right after the first: the same bytes, the same tts_notification_id, each signed', async () => {
      await start();

      const sent = await served.sandbox.sendWebhook({ type: 1, shopId: GB_SHOP, duplicates: 2 });

      expect(receiver.requests).toHaveLength(3);
      expect(new Set(receiver.requests.map((request) => request.body)).size).toBe(1);
      expect(received().map((body) => body.tts_notification_id)).toEqual([
        sent.notificationId,
        sent.notificationId,
        sent.notificationId,
      ]);
      expect(
        receiver.requests.every((request) =>
          isWebhookSignatureValid(
            request.headers.authorization,
            APP.app_key,
            APP.app_secret,
            Buffer.from(request.body),
          ),
        ),
      ).toBe(true);
      expect(served.sandbox.deliveries.map((attempt) => [attempt.copy, attempt.status])).toEqual([
        [0, 200],
        [1, 200],
        [2, 200],
      ]);
    });

    it('sends a duplicate later on request', async () => {
      await start();

      const sent = await served.sandbox.sendWebhook({
        type: 1,
        shopId: GB_SHOP,
        duplicates: 1,
        duplicateAfterMs: HOUR,
      });
      const atOnce = receiver.requests.length;
      clock.advance(HOUR);
      const later = await served.sandbox.deliverDue();

      expect(sent.status).toBe(200);
      expect(atOnce).toBe(1);
      expect(later.map((attempt) => [attempt.notificationId, attempt.copy, attempt.status])).toEqual([
        [sent.notificationId, 1, 200],
      ]);
      expect(receiver.requests[1]?.body).toBe(receiver.requests[0]?.body);
    });
  });

  describe('type 7, UPCOMING_AUTHORIZATION_EXPIRATION, daily', () => {
    const expiring = (overrides: Partial<SandboxSeller> = {}): string => {
      const [template] = served.sandbox.listSellers();
      if (!template) throw new Error('the sandbox has no sellers');
      const openId = overrides.openId ?? 'sbx-expiring';
      served.sandbox.addSeller({ ...template, openId, authorizationDays: 40, ...overrides });
      return openId;
    };
    const daysIn = (message: unknown) => Number(/is expiring in (\d+) days/.exec(String(message))?.[1]);

    it('is sent at each 0:00 UTC of the last 30 days before the authorization ends, and not before or after', async () => {
      await start();
      const openId = expiring();
      const day0 = moveToHourAfterMidnight(clock, 1);
      const answer = tokenAnswer.parse(await served.exchange(openId));
      const endsAt = answer.data.refresh_token_expire_in;

      clock.advance(10 * DAY + HOUR);
      const beforeWindow = await served.sandbox.deliverDue();
      clock.advance(DAY);
      const firstDay = await served.sandbox.deliverDue();
      clock.advance(30 * DAY);
      const rest = await served.sandbox.deliverDue();
      clock.advance(3 * DAY);
      const afterEnd = await served.sandbox.deliverDue();

      expect(beforeWindow).toEqual([]);
      expect(firstDay).toHaveLength(1);
      expect(notices()[0]).toEqual({
        type: 7,
        tts_notification_id: expect.any(String),
        shop_id: GB_SHOP,
        timestamp: (day0.getTime() + 11 * DAY) / 1000,
        data: {
          message: `Authorization of shop_id ${GB_SHOP} is expiring in 30 days. Please direct the merchant to re-authorize.`,
          expiration_time: String(endsAt),
        },
      });
      expect(rest).toHaveLength(29);
      expect(afterEnd).toEqual([]);
      expect(notices().map((body) => daysIn(body.data.message))).toEqual(Array.from({ length: 30 }, (_, i) => 30 - i));
      expect(notices().map((body) => body.timestamp)).toEqual(
        Array.from({ length: 30 }, (_, i) => (day0.getTime() + (11 + i) * DAY) / 1000),
      );
      expect(new Set(notices().map((body) => body.tts_notification_id)).size).toBe(30);
      expect(notices().every((body) => body.data.expiration_time === String(endsAt))).toBe(true);
    });

    it('stops once the seller authorizes again, and starts afresh 30 days before the new end', async () => {
      await start();
      const openId = expiring();
      moveToHourAfterMidnight(clock, 1);
      await served.exchange(openId);
      clock.advance(12 * DAY + HOUR);
      const beforeRenewal = await served.sandbox.deliverDue();

      const renewed = tokenAnswer.parse(await served.exchange(openId));
      clock.advance(10 * DAY);
      const afterRenewal = await served.sandbox.deliverDue();
      clock.advance(DAY);
      const nearNewEnd = await served.sandbox.deliverDue();

      expect(beforeRenewal.map((attempt) => attempt.type)).toEqual([7, 7]);
      expect(afterRenewal).toEqual([]);
      expect(nearNewEnd).toHaveLength(1);
      expect(notices().at(-1)?.data).toEqual({
        message: `Authorization of shop_id ${GB_SHOP} is expiring in 30 days. Please direct the merchant to re-authorize.`,
        expiration_time: String(renewed.data.refresh_token_expire_in),
      });
    });

    it('names every shop of a multi-shop authorization, and none of a seller without shops', async () => {
      await start();
      const multi = served.sandbox.listSellers().find((seller) => seller.openId === 'sbx-open-multi-0002');
      expiring({ openId: 'sbx-expiring-multi', shops: multi?.shops ?? [], authorizationDays: 10 });
      expiring({ openId: 'sbx-expiring-no-shop', shops: [], authorizationDays: 10 });
      moveToHourAfterMidnight(clock, 1);
      await served.exchange('sbx-expiring-multi');
      await served.exchange('sbx-expiring-no-shop');
      clock.advance(DAY);

      const tries = await served.sandbox.deliverDue();

      expect(tries.map((attempt) => attempt.shopId)).toEqual([
        '7494000000000000201',
        '7494000000000000202',
        '7494000000000000203',
      ]);
      expect(notices().map((body) => daysIn(body.data.message))).toEqual([10, 10, 10]);
    });
  });

  describe('deauthorization', () => {
    it('sends type 6 for each shop, refuses the seller’s tokens, and sends no more expiry notices', async () => {
      await start();
      const [template] = served.sandbox.listSellers();
      const multi = served.sandbox.listSellers().find((seller) => seller.openId === 'sbx-open-multi-0002');
      if (!template || !multi) throw new Error('the sandbox lacks its sellers');
      served.sandbox.addSeller({ ...multi, openId: 'sbx-leaving', authorizationDays: 20 });
      moveToHourAfterMidnight(clock, 1);
      const answer = tokenAnswer.parse(await served.exchange('sbx-leaving'));
      clock.advance(DAY);
      await served.sandbox.deliverDue();
      const noticesBefore = notices().length;

      const tries = await served.sandbox.deauthorize('sbx-leaving');
      clock.advance(2 * DAY);
      const later = await served.sandbox.deliverDue();

      expect(noticesBefore).toBe(3);
      expect(tries.map((attempt) => attempt.status)).toEqual([200, 200, 200]);
      expect(
        received()
          .filter((body) => body.type === 6)
          .map((body) => [body.shop_id, body.data]),
      ).toEqual(
        multi.shops.map((shop) => [
          shop.id,
          { message: `Shop_id ${shop.id} is deauthorized from your APP by merchant.` },
        ]),
      );
      expect(later).toEqual([]);
      expect(refusal.parse(await served.refresh(answer.data.refresh_token))).toEqual({
        code: 36004005,
        message: 'can not find related auth record',
      });
      expect(refusal.parse(await served.shops(answer.data.access_token))).toEqual({
        code: 101000,
        message: 'invalid access token',
      });
    });

    it('refuses to deauthorize a seller who never authorized', async () => {
      await start();

      await expect(served.sandbox.deauthorize('sbx-open-gb-0001')).rejects.toThrow(
        'sandbox seller sbx-open-gb-0001 has no authorization to cancel',
      );
      expect(receiver.requests).toEqual([]);
    });
  });
});

describe('the sandbox’s webhook route, in local mode', () => {
  const clock = new TestClock();
  let service: LocalService;
  const post = (body: unknown) =>
    fetch(`${service.url}/sandbox/_webhooks`, { method: 'POST', body: JSON.stringify(body) });

  beforeAll(async () => {
    service = await startLocalService({ port: 0, env: {}, clock, schedules: false });
  });
  afterAll(() => service.stop());

  it('queues a late webhook and names its first try; the service gets it when it is due', async () => {
    const response = await post({ type: 99, shopId: '7496000000000000000', delayMs: 60_000 });
    const answer = z
      .object({ delivered: z.null(), notificationId: z.string(), firstTryAt: z.iso.datetime() })
      .strict()
      .parse(await response.json());
    const before = await service.sandbox.deliverDue();
    clock.advance(60_000);

    const due = await service.sandbox.deliverDue();

    expect(before).toEqual([]);
    expect(due.map((attempt) => [attempt.notificationId, attempt.at.toISOString(), attempt.status])).toEqual([
      [answer.notificationId, answer.firstTryAt, 200],
    ]);
  });

  it('sends duplicates on request and answers with the first try’s status', async () => {
    const before = service.sandbox.deliveries.length;

    const response = await post({ type: 99, shopId: '7496000000000000000', duplicates: 1 });

    expect(await response.json()).toEqual({ delivered: 200 });
    const tries = service.sandbox.deliveries.slice(before);
    expect(tries.map((attempt) => [attempt.copy, attempt.status])).toEqual([
      [0, 200],
      [1, 200],
    ]);
    expect(tries[1]?.notificationId).toBe(tries[0]?.notificationId);
  });

  it.each([
    ['more than 10 duplicates', { type: 1, duplicates: 11 }],
    ['a negative delay', { type: 1, delayMs: -1 }],
    ['a delay that is not whole milliseconds', { type: 1, delayMs: 1.5 }],
    ['an empty shop id', { type: 1, shopId: '' }],
    ['an option it does not know', { type: 1, retries: 3 }],
  ])('refuses %s', async (_, body) => {
    const response = await post(body);

    expect(response.status).toBe(400);
  });
});
