import { verifyWebhookSignature, webhookSignature } from '../../../../lambdas/adapters/tiktok/webhook-signature';

const OFFICIAL_BODY =
  '{"type":1,"tts_notification_id":"7380066284010030890","shop_id":"7495540735365777507","timestamp":1718305585,"data":{"is_on_hold_order":true,"order_id":"576653688135258178","order_status":"UNPAID","update_time":1718305585}}';
const OFFICIAL_SIGNATURE = '5dec0f11ec2f6783b8deee53c9ffbf8d024302f7c7e7fa55a35d17629031ac05';
const body = Buffer.from(OFFICIAL_BODY, 'utf8');

describe('webhook signature', () => {
  it('matches the official test vector', () => {
    expect(webhookSignature('abcdef', '123', body)).toBe(OFFICIAL_SIGNATURE);
    expect(verifyWebhookSignature(OFFICIAL_SIGNATURE, 'abcdef', '123', body)).toBe(true);
  });

  it('refuses a body changed by one byte', () => {
    const tampered = Buffer.from(OFFICIAL_BODY.replace('UNPAID', 'PAID__'), 'utf8');

    expect(verifyWebhookSignature(OFFICIAL_SIGNATURE, 'abcdef', '123', tampered)).toBe(false);
  });

  it('refuses the same JSON re-serialized', () => {
    const reserialized = Buffer.from(JSON.stringify(JSON.parse(OFFICIAL_BODY), null, 1), 'utf8');

    expect(verifyWebhookSignature(OFFICIAL_SIGNATURE, 'abcdef', '123', reserialized)).toBe(false);
  });

  it('refuses a signature made with another secret or for another app key', () => {
    expect(verifyWebhookSignature(OFFICIAL_SIGNATURE, 'abcdef', '124', body)).toBe(false);
    expect(verifyWebhookSignature(OFFICIAL_SIGNATURE, 'abcdeg', '123', body)).toBe(false);
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['uppercase', OFFICIAL_SIGNATURE.toUpperCase()],
    ['sha256= prefixed', `sha256=${OFFICIAL_SIGNATURE}`],
    ['one character short', OFFICIAL_SIGNATURE.slice(1)],
    ['padded with a space', ` ${OFFICIAL_SIGNATURE}`],
  ])('refuses a %s header', (_, header) => {
    expect(verifyWebhookSignature(header, 'abcdef', '123', body)).toBe(false);
  });
});
