import * as z from 'zod';

/**
 * The lifecycle events the service publishes on its EventBridge bus (source `tiktok-shop-auth`): a schema of each
 * detail, the types derived from them, and their JSON Schemas for consumers in other languages. A test holds these
 * types and the service's own (`lambdas/domain/events.ts`) mutually assignable, so they cannot drift apart.
 *
 * Delivery is at least once: deduplicate on `eventId`. No detail carries a token, a secret, a code or a ticket.
 */

/** The `source` of every event the service puts on its bus. */
export const EVENT_SOURCE = 'tiktok-shop-auth';

const isoTime = z.iso.datetime().describe('ISO 8601, UTC');

const base = {
  eventId: z.string().describe('The same on every delivery of the same event: deduplicate on it'),
  openId: z.string().describe("The seller's TikTok open id"),
  occurredAt: isoTime,
};

const shopSummary = z.object({ id: z.string(), name: z.string(), region: z.string() });
const shops = z.array(shopSummary).readonly();

/** Each detail-type's detail schema. */
export const EVENT_DETAIL_SCHEMAS = {
  'Seller Authorized': z
    .object({
      ...base,
      accountId: z.string().optional(),
      previousAccountId: z
        .string()
        .optional()
        .describe('Present only when this authorization moved the seller from another account'),
      sellerName: z.string(),
      shops,
      scopes: z.array(z.string()).readonly(),
      authorizationExpiresAt: isoTime,
      reauthorization: z.boolean(),
    })
    .describe('A seller authorized the app through a link (or again)'),
  'Installation Pending Claim': z
    .object({ ...base, sellerName: z.string(), shops })
    .describe('An App Store install or development shop authorized without a link; the app must claim its ticket'),
  'Authorization Rejected': z
    .object({
      ...base,
      accountId: z.string().optional().describe('The account of the link the seller followed, when there was one'),
      reason: z.enum(['NOT_A_SELLER', 'NO_SHOPS']),
      userType: z.number().int(),
    })
    .describe('The seller went through TikTok but nothing was connected: a creator, or no shop yet'),
  'Installation Claimed': z
    .object({
      ...base,
      accountId: z.string(),
      previousAccountId: z
        .string()
        .optional()
        .describe('Present only when the claim moved the seller from another account'),
    })
    .describe("An install's ticket was claimed by one of the app's accounts"),
  'Tokens Refreshed': z
    .object({ ...base, accessTokenExpiresAt: isoTime, authorizationExpiresAt: isoTime })
    .describe("A seller's tokens were refreshed"),
  'Token Refresh Failed': z
    .object({ ...base, reason: z.string(), failures: z.number().int(), retrying: z.boolean() })
    .describe('A refresh failed; `retrying` says whether it will be tried again'),
  'Reauthorization Required': z
    .object({ ...base, accountId: z.string().optional(), reason: z.string() })
    .describe('TikTok refused the refresh token, or the authorization ended: the seller must authorize again'),
  'Authorization Expiring': z
    .object({
      ...base,
      accountId: z.string().optional(),
      expiresAt: isoTime,
      daysLeft: z.number(),
      milestone: z.number(),
      shops,
      reauthorizeUrl: z.string().describe('A link for the seller, valid until the authorization ends'),
    })
    .describe("A seller's authorization ends soon (at each milestone: 30, 7 and 1 days before by default)"),
  'Seller Deauthorized': z
    .object({
      ...base,
      shopId: z.string(),
      grantRevoked: z.boolean().describe('True when the seller has no active shop left'),
    })
    .describe('The seller deauthorized a shop (TikTok webhook type 6)'),
  'Seller Disconnected': z
    .object({ ...base, accountId: z.string().optional() })
    .describe("The app's team disconnected the seller; its tokens are deleted"),
  'TikTok Shop Webhook': z
    .object({
      eventId: base.eventId,
      openId: z.string().optional().describe('When the shop is known'),
      occurredAt: isoTime,
      type: z.number().int().describe("TikTok's webhook type"),
      typeName: z.string().optional(),
      shopId: z.string().optional(),
      notificationId: z.string().optional(),
      timestamp: z.number().describe('When TikTok sent it, in Unix seconds'),
      data: z.unknown().describe("TikTok's data, as sent"),
    })
    .describe('Every verified TikTok webhook, of any type, forwarded'),
} as const;

export type LifecycleEventType = keyof typeof EVENT_DETAIL_SCHEMAS;

/** The detail of one detail-type. */
export type EventDetail<T extends LifecycleEventType> = z.output<(typeof EVENT_DETAIL_SCHEMAS)[T]>;

/** Every detail-type, in the order the README lists them. */
export const LIFECYCLE_EVENT_TYPES = Object.keys(EVENT_DETAIL_SCHEMAS) as LifecycleEventType[];

/** One event, narrowed by its detail-type. */
export type LifecycleEvent = {
  [T in LifecycleEventType]: { readonly detailType: T; readonly detail: EventDetail<T> };
}[LifecycleEventType];

const isEventType = (value: unknown): value is LifecycleEventType =>
  typeof value === 'string' && Object.hasOwn(EVENT_DETAIL_SCHEMAS, value);

/** The event is not one of this service's, or its detail is not the shape its type says. */
export class InvalidLifecycleEventError extends Error {
  override readonly name = 'InvalidLifecycleEventError';
}

/**
 * Reads an event as EventBridge delivers it to a target (`source`, `detail-type`, `detail`) and returns it typed by
 * its detail-type, its detail validated. Fields the service adds later are dropped, never refused.
 */
export function parseLifecycleEvent(event: unknown): LifecycleEvent {
  const envelope = z
    .object({ source: z.literal(EVENT_SOURCE), 'detail-type': z.string(), detail: z.unknown() })
    .safeParse(event);
  if (!envelope.success) throw new InvalidLifecycleEventError(`not a ${EVENT_SOURCE} event`, { cause: envelope.error });
  const detailType = envelope.data['detail-type'];
  if (!isEventType(detailType)) throw new InvalidLifecycleEventError(`unknown detail-type ${detailType}`);
  const detail = EVENT_DETAIL_SCHEMAS[detailType].safeParse(envelope.data.detail);
  if (!detail.success) {
    const fields = detail.error.issues.map((issue) => issue.path.join('.') || 'detail');
    throw new InvalidLifecycleEventError(`${detailType}: unexpected ${fields.join(', ')}`, { cause: detail.error });
  }
  // The schema picked by the same key validated the detail: the pair is one member of the union.
  return { detailType, detail: detail.data } as LifecycleEvent;
}

/** A JSON Schema (draft 2020-12). */
export type JsonSchema = Record<string, unknown>;

/**
 * The JSON Schema of each detail (draft 2020-12), open to fields added later (`additionalProperties` unset), for
 * consumers that do not run TypeScript; also committed as `client/schemas/<detail-type>.json`.
 */
export function eventDetailJsonSchemas(): Record<LifecycleEventType, JsonSchema> {
  const entries = LIFECYCLE_EVENT_TYPES.map((type) => [type, jsonSchemaOf(type)] as const);
  return Object.fromEntries(entries) as Record<LifecycleEventType, JsonSchema>;
}

function jsonSchemaOf(type: LifecycleEventType): JsonSchema {
  const schema = z.toJSONSchema(EVENT_DETAIL_SCHEMAS[type], {
    io: 'input',
    // `readonly` arrays are a TypeScript matter; JSON Schema's readOnly means something else.
    override: (context) => {
      delete context.jsonSchema.readOnly;
    },
  });
  return { ...schema, $id: `urn:tiktok-shop-auth:events:${schemaFileName(type).replace(/\.json$/, '')}`, title: type };
}

/** `Seller Authorized` -> `seller-authorized.json`. */
export const schemaFileName = (type: LifecycleEventType) => `${type.toLowerCase().replaceAll(' ', '-')}.json`;
