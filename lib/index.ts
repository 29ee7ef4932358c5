/**
 * tiktok-shop-auth for a CDK app of your own: the `TikTokShopAuth` construct, or the ready stack around it, and the
 * lifecycle events' types for the services that subscribe to its bus.
 */

export type { EventDetails, LifecycleEvent, LifecycleEventType } from '../lambdas/domain/events';
export { EVENT_SOURCE, LIFECYCLE_EVENT_TYPES } from '../lambdas/domain/events';
export type { Market } from '../lambdas/domain/markets';
// The types of the construct's public fields, for code that reaches into them.
export type { EventOutbox } from './constructs/event-outbox';
export type { Operations } from './constructs/operations';
export type { RenewalReminders } from './constructs/renewal-reminders';
export type { SellerJourney } from './constructs/seller-journey';
export type { ServiceApi } from './constructs/service-api';
export { type ApiThrottles, DEFAULT_ROUTE_THROTTLES } from './constructs/service-api';
export type { FunctionLogProps, ServiceFunction } from './constructs/service-function';
export type { TikTokWebhooks } from './constructs/tiktok-webhooks';
export type { TokenRefresh } from './constructs/token-refresh';
export { TikTokShopAuth, type TikTokShopAuthDomain, type TikTokShopAuthProps } from './tiktok-shop-auth';
export { TikTokShopAuthStack, type TikTokShopAuthStackProps } from './tiktok-shop-auth-stack';
