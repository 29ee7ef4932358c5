/** The sellers the sandbox's authorize page offers: one shop, several shops, another market, and a creator. */

export interface SandboxShop {
  readonly id: string;
  readonly name: string;
  readonly region: string;
  readonly sellerType: 'LOCAL' | 'CROSS_BORDER';
  readonly cipher: string;
  readonly code: string;
}

export interface SandboxSeller {
  readonly openId: string;
  readonly sellerName: string;
  readonly baseRegion: string;
  /** 0 seller, 1 creator, 3 partner. */
  readonly userType: number;
  readonly scopes: readonly string[];
  readonly shops: readonly SandboxShop[];
  /** How long the seller authorizes the app for: the refresh token's lifetime. */
  readonly authorizationDays: number;
}

const SELLER_SCOPES = ['seller.authorization.info', 'seller.shop.info', 'seller.order.info', 'seller.product.basic'];

const shop = (
  id: string,
  name: string,
  region: string,
  sellerType: SandboxShop['sellerType'] = 'LOCAL',
): SandboxShop => ({
  id,
  name,
  region,
  sellerType,
  cipher: `GCP_sbx${id.slice(-6)}${region}`,
  code: `${region}LCSBX${id.slice(-4)}`,
});

export const SANDBOX_SELLERS: readonly SandboxSeller[] = [
  {
    openId: 'sbx-open-gb-0001',
    sellerName: 'Sandbox Seller GB',
    baseRegion: 'GB',
    userType: 0,
    scopes: SELLER_SCOPES,
    shops: [shop('7494000000000000101', 'Sandbox Shop GB', 'GB')],
    authorizationDays: 365,
  },
  {
    openId: 'sbx-open-multi-0002',
    sellerName: 'Sandbox Multi-market Seller',
    baseRegion: 'DE',
    userType: 0,
    scopes: SELLER_SCOPES,
    shops: [
      shop('7494000000000000201', 'Sandbox Shop DE', 'DE'),
      shop('7494000000000000202', 'Sandbox Shop FR', 'FR'),
      shop('7494000000000000203', 'Sandbox Shop ES', 'ES', 'CROSS_BORDER'),
    ],
    authorizationDays: 180,
  },
  {
    openId: 'sbx-open-us-0003',
    sellerName: 'Sandbox Seller US',
    baseRegion: 'US',
    userType: 0,
    scopes: SELLER_SCOPES,
    shops: [shop('7494000000000000301', 'Sandbox Shop US', 'US')],
    authorizationDays: 365,
  },
  {
    openId: 'sbx-open-creator-0004',
    sellerName: 'Sandbox Creator',
    baseRegion: 'GB',
    userType: 1,
    scopes: ['creator.affiliate.info'],
    shops: [],
    authorizationDays: 365,
  },
];
