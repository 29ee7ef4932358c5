/**
 * `tiktok-shop-auth/client`: what the app's services need to use the service: a client for its internal API, its
 * refusals as error classes, and its lifecycle events' types, schemas and JSON Schemas. Nothing here imports the
 * service's own code.
 */

export {
  type AuthorizationLink,
  type ClaimedInstallation,
  type ExchangedAuthorization,
  GRANT_STATUSES,
  type GrantStatus,
  MARKETS,
  type Market,
  type SellerRefresh,
  type SellerSummary,
  type SellersPage,
  type SellerView,
  SHOP_STATUSES,
  type ShopCredentials,
  type ShopStatus,
  type ShopView,
} from './api-schemas';
export * from './errors';
export {
  EVENT_DETAIL_SCHEMAS,
  EVENT_SOURCE,
  type EventDetail,
  eventDetailJsonSchemas,
  InvalidLifecycleEventError,
  type JsonSchema,
  LIFECYCLE_EVENT_TYPES,
  type LifecycleEvent,
  type LifecycleEventType,
  parseLifecycleEvent,
  schemaFileName,
} from './event-schemas';
export { DEFAULT_RETRY, type RetryOptions } from './retry';
export { type AwsCredentials, type RequestSigner, type SignableRequest, sigV4Signer, unsigned } from './sigv4';
export {
  type AuthorizationLinkRequest,
  type SellersPageQuery,
  type SellersQuery,
  TikTokShopAuthClient,
  type TikTokShopAuthClientOptions,
} from './tiktok-shop-auth-client';
