import type { ShopSummary } from './events';
import type { AuthorizedShop, Shop } from './model';

/**
 * The shops to store after an authorization: every shop TikTok lists, active and up to date; every shop stored
 * before and no longer listed, marked revoked. Never a duplicate: shops are keyed by their id. The listed ones carry
 * `authorizedAt`, the time of the authorization that listed them.
 */
export function reconcileShops(
  openId: string,
  stored: readonly Shop[],
  authorized: readonly AuthorizedShop[],
  authorizedAt: Date,
): Shop[] {
  const listed = new Set(authorized.map((shop) => shop.id));
  const current = authorized.map(
    (shop): Shop => ({
      shopId: shop.id,
      openId,
      name: shop.name,
      region: shop.region,
      sellerType: shop.sellerType,
      cipher: shop.cipher,
      code: shop.code,
      status: 'ACTIVE',
      authorizedAt,
    }),
  );
  const vanished = stored
    .filter((shop) => !listed.has(shop.shopId) && shop.status !== 'REVOKED')
    .map((shop): Shop => ({ ...shop, status: 'REVOKED' }));
  return [...current, ...vanished];
}

export const summarizeShops = (shops: readonly Shop[]): ShopSummary[] =>
  shops
    .filter((shop) => shop.status === 'ACTIVE')
    .map((shop) => ({ id: shop.shopId, name: shop.name, region: shop.region }));
