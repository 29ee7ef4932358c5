/**
 * tiktok-shop-auth for a CDK app of your own: the `TikTokShopAuth` construct, or the ready stack around it, and the
 * lifecycle events' types for the services that subscribe to its bus.
 */

export type { EventDetails, LifecycleEvent, LifecycleEventType } from '../lambdas/domain/events';
export { EVENT_SOURCE, LIFECYCLE_EVENT_TYPES } from '../lambdas/domain/events';
export type { Market } from '../lambdas/domain/markets';
export { type ApiThrottles, DEFAULT_ROUTE_THROTTLES } from './constructs/service-api';
export { TikTokShopAuth, type TikTokShopAuthDomain, type TikTokShopAuthProps } from './tiktok-shop-auth';
export { TikTokShopAuthStack, type TikTokShopAuthStackProps } from './tiktok-shop-auth-stack';
