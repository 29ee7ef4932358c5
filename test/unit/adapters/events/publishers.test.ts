import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { EventBridgePublisher } from '../../../../lambdas/adapters/events/event-bridge-publisher';
import { RecordingEventPublisher } from '../../../../lambdas/adapters/events/recording-event-publisher';
import { EventPublishError } from '../../../../lambdas/domain/errors';
import type { LifecycleEvent } from '../../../../lambdas/domain/events';

const eventBridge = mockClient(EventBridgeClient);

const disconnected = (openId: string): LifecycleEvent => ({
  type: 'Seller Disconnected',
  detail: { eventId: `e-${openId}`, openId, occurredAt: '2026-03-01T12:00:00.000Z', accountId: 'acc-1' },
});

const webhookCarrying = (data: unknown): LifecycleEvent => ({
  type: 'TikTok Shop Webhook',
  detail: { eventId: 'webhook:n-1', occurredAt: '2026-03-01T12:00:00.000Z', type: 1, timestamp: 1, data },
});

/** An event a careless change could build around the types (they have no place for a token). */
const leaking = (detail: object) => ({ type: 'Seller Disconnected', detail }) as unknown as LifecycleEvent;

describe('EventBridgePublisher', () => {
  const publisher = () =>
    new EventBridgePublisher(new EventBridgeClient({ region: 'eu-west-1' }), 'tiktok-shop-auth', undefined, {
      sleep: async () => {},
    });

  beforeEach(() => eventBridge.reset());

  it('puts each event on the bus with the service as its source', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] });

    await publisher().publish([disconnected('open-1')]);

    expect(eventBridge.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries).toEqual([
      {
        EventBusName: 'tiktok-shop-auth',
        Source: 'tiktok-shop-auth',
        DetailType: 'Seller Disconnected',
        Detail: JSON.stringify({
          eventId: 'e-open-1',
          openId: 'open-1',
          occurredAt: '2026-03-01T12:00:00.000Z',
          accountId: 'acc-1',
        }),
      },
    ]);
  });

  it('sends at most ten entries a call', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0 });

    await publisher().publish(Array.from({ length: 23 }, (_, i) => disconnected(`open-${i}`)));

    expect(eventBridge.commandCalls(PutEventsCommand).map((call) => call.args[0].input.Entries?.length)).toEqual([
      10, 10, 3,
    ]);
  });

  it('sends again only the entries the bus did not accept', async () => {
    eventBridge
      .on(PutEventsCommand)
      .resolvesOnce({ FailedEntryCount: 1, Entries: [{ EventId: 'a' }, { ErrorCode: 'ThrottlingException' }] })
      .resolves({ FailedEntryCount: 0 });

    await publisher().publish([disconnected('open-1'), disconnected('open-2')]);

    const second = eventBridge.commandCalls(PutEventsCommand)[1]?.args[0].input.Entries;
    expect(second?.map((entry) => JSON.parse(entry.Detail ?? '{}').openId)).toEqual(['open-2']);
  });

  it('fails when the bus keeps refusing entries', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure' }] });

    const call = publisher().publish([disconnected('open-1')]);

    await expect(call).rejects.toBeInstanceOf(EventPublishError);
    await expect(call).rejects.toThrow('1 of 1 events were not accepted by the bus (InternalFailure)');
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(3);
  });

  it('refuses an event whose detail names a secret, before sending anything', async () => {
    const call = publisher().publish([leaking({ openId: 'o', nested: [{ access_token: 'x' }] })]);

    await expect(call).rejects.toThrow(
      'events must not carry secrets (Seller Disconnected: detail.nested[0].access_token)',
    );
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it('forwards TikTok’s own webhook data as it is, whatever its keys are named', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0 });

    await publisher().publish([webhookCarrying({ code: 'SKU-1', state: 'PENDING' })]);

    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(1);
  });
});

describe('RecordingEventPublisher', () => {
  it('keeps events oldest first, shaped as EventBridge delivers them', async () => {
    const recorder = new RecordingEventPublisher({ now: () => new Date('2026-03-01T12:00:00.000Z') });

    await recorder.publish([disconnected('open-1')]);
    await recorder.publish([disconnected('open-2')]);

    expect(recorder.list()).toEqual([
      {
        id: expect.any(String),
        source: 'tiktok-shop-auth',
        'detail-type': 'Seller Disconnected',
        time: '2026-03-01T12:00:00.000Z',
        detail: disconnected('open-1').detail,
      },
      expect.objectContaining({ detail: disconnected('open-2').detail }),
    ]);
  });

  it('refuses an event that carries a secret, like the real bus', async () => {
    const recorder = new RecordingEventPublisher();

    await expect(recorder.publish([leaking({ openId: 'o', refreshToken: 'x' })])).rejects.toBeInstanceOf(
      EventPublishError,
    );
    expect(recorder.list()).toEqual([]);
  });
});
