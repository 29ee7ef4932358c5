/**
 * The sellers the sandbox's authorize page offers: one shop, several shops, another market, a creator, a seller
 * whose shop is not open yet, and a seller whose answers use TikTok's older field names. Each variant of TikTok's
 * answers is data on the seller, so that a test can build its own seller of any kind.
 */

export interface SandboxShop {
  readonly id: string;
  readonly name: string;
  readonly region: string;
  /** Absent: the shop's entry has no `seller_type` field, as in some real answers. */
  readonly sellerType?: 'LOCAL' | 'CROSS_BORDER';
  readonly cipher: string;
  /** Absent: the shop's entry has no `code` field, as in some real answers. */
  readonly code?: string;
}

export interface SandboxSeller {
  readonly openId: string;
  /** `null` as in real creators' answers, which carry `"seller_name": null`. */
  readonly sellerName: string | null;
  /** What the authorize page calls the account when `sellerName` is null. @default the open id */
  readonly displayName?: string;
  /** Absent: the token answer has no `seller_base_region` field at all (real creators' answers look like that). */
  readonly baseRegion?: string;
  /** 0 seller, 1 creator, 3 partner. */
  readonly userType: number;
  readonly scopes: readonly string[];
  /**
   * The field the token answers list the granted scopes in: `granted_permissions` is TikTok's older name.
   * @default 'granted_scopes'
   */
  readonly scopesField?: 'granted_scopes' | 'granted_permissions';
  /** Empty for a creator, and for a seller account whose shop is not open yet. */
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

/** What the authorize page calls a seller: TikTok's name for them can be missing. */
export const sellerLabel = (seller: SandboxSeller): string => seller.sellerName ?? seller.displayName ?? seller.openId;

export const SANDBOX_SELLERS: readonly SandboxSeller[] = [
  // The first four, in this order, are what other tests rely on.
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
    // A real creator's answer: no name, and no base region field.
    sellerName: null,
    displayName: 'Sandbox Creator',
    userType: 1,
    scopes: ['creator.affiliate.info'],
    shops: [],
    authorizationDays: 365,
  },
  {
    openId: 'sbx-open-no-shop-0005',
    sellerName: 'Sandbox Seller Without Shop',
    baseRegion: 'GB',
    userType: 0,
    scopes: SELLER_SCOPES,
    // A seller account whose shop is not open yet: Get Authorized Shops answers an empty list.
    shops: [],
    authorizationDays: 365,
  },
  {
    openId: 'sbx-open-legacy-0006',
    sellerName: 'Sandbox Legacy Seller',
    baseRegion: 'SG',
    userType: 0,
    scopes: SELLER_SCOPES,
    scopesField: 'granted_permissions',
    // Only the fields TikTok always sends: no `code`, no `seller_type`.
    shops: [
      {
        id: '7494000000000000601',
        name: 'Sandbox Legacy Shop SG',
        region: 'SG',
        cipher: 'GCP_sbx000601SG',
      },
    ],
    authorizationDays: 365,
  },
];
