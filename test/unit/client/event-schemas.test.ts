import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  EVENT_DETAIL_SCHEMAS,
  EVENT_SOURCE,
  type EventDetail,
  eventDetailJsonSchemas,
  InvalidLifecycleEventError,
  LIFECYCLE_EVENT_TYPES,
  type LifecycleEventType,
  parseLifecycleEvent,
  schemaFileName,
} from '../../../client';
import {
  type EventDetails,
  EVENT_SOURCE as SERVICE_EVENT_SOURCE,
  LIFECYCLE_EVENT_TYPES as SERVICE_EVENT_TYPES,
  type LifecycleEventType as ServiceEventType,
} from '../../../lambdas/domain/events';

/** True only when each type is assignable to the other. */
type MutuallyAssignable<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type EveryTrue<R> = R[keyof R] extends true ? true : false;

// Checked by `tsc` (npm run typecheck): these lines stop compiling when a schema and the service's type drift apart.
const sameEventTypes: MutuallyAssignable<LifecycleEventType, ServiceEventType> = true;
const detailsAgree: EveryTrue<{
  [T in ServiceEventType]: MutuallyAssignable<EventDetail<T>, EventDetails[T]>;
}> = true;
// The check itself can fail: an optional field against a required one, a mutable array against a readonly one.
// @ts-expect-error an optional field is not a required one
const optionalIsNotRequired: MutuallyAssignable<{ a?: string }, { a: string }> = true;
// @ts-expect-error a mutable array is not a readonly one
const mutableIsNotReadonly: MutuallyAssignable<{ a: string[] }, { a: readonly string[] }> = true;

const at = '2026-12-01T10:00:00.000Z';
const shops = [{ id: '7494000000000000101', name: 'Shop GB', region: 'GB' }];
/** One detail of each type, as the service types them. */
const SAMPLES: { [T in ServiceEventType]: EventDetails[T] } = {
  'Seller Authorized': {
    eventId: 'e1',
    openId: 'o1',
    occurredAt: at,
    accountId: 'acc',
    sellerName: 'Seller',
    shops,
    scopes: ['seller.authorization.info'],
    authorizationExpiresAt: at,
    reauthorization: false,
  },
  'Installation Pending Claim': { eventId: 'e2', openId: 'o1', occurredAt: at, sellerName: 'Seller', shops },
  'Authorization Rejected': { eventId: 'e3', openId: 'o1', occurredAt: at, reason: 'NOT_A_SELLER', userType: 1 },
  'Installation Claimed': { eventId: 'e4', openId: 'o1', occurredAt: at, accountId: 'b', previousAccountId: 'a' },
  'Tokens Refreshed': {
    eventId: 'e5',
    openId: 'o1',
    occurredAt: at,
    accessTokenExpiresAt: at,
    authorizationExpiresAt: at,
  },
  'Token Refresh Failed': {
    eventId: 'e6',
    openId: 'o1',
    occurredAt: at,
    reason: 'timeout',
    failures: 2,
    retrying: true,
  },
  'Reauthorization Required': { eventId: 'e7', openId: 'o1', occurredAt: at, reason: 'the authorization has ended' },
  'Authorization Expiring': {
    eventId: 'e8',
    openId: 'o1',
    occurredAt: at,
    expiresAt: at,
    daysLeft: 7,
    milestone: 7,
    shops,
    reauthorizeUrl: 'https://services.tiktokshop.com/open/authorize?service_id=1&state=s',
  },
  'Seller Deauthorized': { eventId: 'e9', openId: 'o1', occurredAt: at, shopId: '1', grantRevoked: true },
  'Seller Disconnected': { eventId: 'e10', openId: 'o1', occurredAt: at },
  'TikTok Shop Webhook': { eventId: 'e11', occurredAt: at, type: 1, timestamp: 1_764_583_200, data: { order_id: '1' } },
};

describe("the events' schemas", () => {
  it('agree with the service’s types, detail by detail (checked by the type-checker)', () => {
    expect([sameEventTypes, detailsAgree, optionalIsNotRequired, mutableIsNotReadonly]).toEqual([
      true,
      true,
      true,
      true,
    ]);
  });

  it('cover every event type the service publishes, in its order, from its source', () => {
    expect(LIFECYCLE_EVENT_TYPES).toEqual([...SERVICE_EVENT_TYPES]);
    expect(EVENT_SOURCE).toBe(SERVICE_EVENT_SOURCE);
  });

  it.each(SERVICE_EVENT_TYPES)('accept a %s detail as the service writes it', (type) => {
    const parsed = parseLifecycleEvent({ source: EVENT_SOURCE, 'detail-type': type, detail: SAMPLES[type] });

    expect(parsed).toEqual({ detailType: type, detail: SAMPLES[type] });
  });

  it('drop fields added later instead of refusing the event', () => {
    const detail = { ...SAMPLES['Seller Disconnected'], addedLater: 1 };

    expect(parseLifecycleEvent({ source: EVENT_SOURCE, 'detail-type': 'Seller Disconnected', detail }).detail).toEqual(
      SAMPLES['Seller Disconnected'],
    );
  });

  it('refuse another source, an unknown type and a detail of the wrong shape, naming the fields', () => {
    const event =
      (detailType: string, detail: unknown, source = EVENT_SOURCE) =>
      () =>
        parseLifecycleEvent({ source, 'detail-type': detailType, detail });

    const otherSource = event('Seller Disconnected', SAMPLES['Seller Disconnected'], 'aws.s3');

    expect(otherSource).toThrow(InvalidLifecycleEventError);
    expect(otherSource).toThrow('not a tiktok-shop-auth event');
    expect(event('Seller Renamed', {})).toThrow('unknown detail-type Seller Renamed');
    expect(event('Tokens Refreshed', { ...SAMPLES['Tokens Refreshed'], accessTokenExpiresAt: 'tomorrow' })).toThrow(
      'Tokens Refreshed: unexpected accessTokenExpiresAt',
    );
    expect(event('Authorization Rejected', { ...SAMPLES['Authorization Rejected'], reason: 'OTHER' })).toThrow(
      'Authorization Rejected: unexpected reason',
    );
  });
});

describe("the events' JSON Schemas", () => {
  const directory = join(__dirname, '..', '..', '..', 'client', 'schemas');
  const generated = eventDetailJsonSchemas();

  it('are committed as generated, one file per type (npx tsx client/write-json-schemas.ts writes them)', () => {
    const files = readdirSync(directory).filter((file) => file.endsWith('.json'));

    expect(files.sort()).toEqual(LIFECYCLE_EVENT_TYPES.map(schemaFileName).sort());
    for (const type of LIFECYCLE_EVENT_TYPES) {
      expect(JSON.parse(readFileSync(join(directory, schemaFileName(type)), 'utf8'))).toEqual(generated[type]);
    }
  });

  it('say what is required, what is optional, and leave room for fields added later', () => {
    const authorized = generated['Seller Authorized'];

    expect(authorized).toMatchObject({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      $id: 'urn:tiktok-shop-auth:events:seller-authorized',
      title: 'Seller Authorized',
      type: 'object',
      required: [
        'eventId',
        'openId',
        'occurredAt',
        'sellerName',
        'shops',
        'scopes',
        'authorizationExpiresAt',
        'reauthorization',
      ],
    });
    expect(authorized).not.toHaveProperty('additionalProperties');
    expect(JSON.stringify(generated)).not.toContain('readOnly');
  });

  it('name no secret among their fields', () => {
    const fields = Object.values(EVENT_DETAIL_SCHEMAS).flatMap((schema) => Object.keys(schema.shape));

    expect(fields.filter((field) => /token$|secret|^code$|state|ticket/i.test(field))).toEqual([]);
  });
});
