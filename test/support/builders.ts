import { type Grant, type NewGrant, type Shop, sealedTokenSchema } from '../../lambdas/domain/model';

const DAY = 24 * 60 * 60 * 1000;

/** A fixed instant the tests measure from. */
export const T0 = new Date('2026-03-01T12:00:00.000Z');

export const at = (offsetMs: number, from: Date = T0) => new Date(from.getTime() + offsetMs);
export const days = (n: number) => n * DAY;
export const minutes = (n: number) => n * 60_000;

/** A value in the sealed format; these tests are about storage, not cryptography. */
export const sealed = (label: string) =>
  sealedTokenSchema.parse(`v1.${Buffer.from(label).toString('base64url')}.aXY.Ym9keQ`);

export function newGrant(overrides: Partial<NewGrant> = {}): NewGrant {
  return {
    openId: 'open-1',
    sellerName: 'Sandbox Seller',
    baseRegion: 'GB',
    userType: 0,
    scopes: ['seller.authorization.info', 'seller.order.info'],
    accountId: 'account-1',
    status: 'ACTIVE',
    accessToken: sealed('access'),
    refreshToken: sealed('refresh'),
    accessTokenExpiresAt: at(days(7)),
    authorizationExpiresAt: at(days(365)),
    authorizedAt: T0,
    refreshFailures: 0,
    remindersSent: [],
    outbox: [],
    ...overrides,
  };
}

export function shop(overrides: Partial<Shop> = {}): Shop {
  return {
    shopId: '7494049642642441621',
    openId: 'open-1',
    name: 'Sandbox Shop',
    region: 'GB',
    sellerType: 'LOCAL',
    cipher: 'GCP_cipher_1',
    code: 'GBLCSHOP01',
    status: 'ACTIVE',
    authorizedAt: T0,
    ...overrides,
  };
}

export type { Grant };
