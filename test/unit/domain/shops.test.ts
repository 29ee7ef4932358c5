import { reconcileShops, summarizeShops } from '../../../lambdas/domain/shops';
import { shop } from '../../support/builders';

const authorized = (id: string, name = `Shop ${id}`) => ({
  id,
  name,
  region: 'GB',
  sellerType: 'LOCAL',
  cipher: `c-${id}`,
  code: `k-${id}`,
});

describe('reconcileShops', () => {
  it('keeps every listed shop active with TikTok’s latest facts, and marks the vanished ones revoked', () => {
    const stored = [
      shop({ shopId: 'a', cipher: 'old' }),
      shop({ shopId: 'b' }),
      shop({ shopId: 'gone-before', status: 'REVOKED' }),
    ];

    const result = reconcileShops('open-1', stored, [authorized('a'), authorized('c')]);

    expect(result).toEqual([
      {
        shopId: 'a',
        openId: 'open-1',
        name: 'Shop a',
        region: 'GB',
        sellerType: 'LOCAL',
        cipher: 'c-a',
        code: 'k-a',
        status: 'ACTIVE',
      },
      {
        shopId: 'c',
        openId: 'open-1',
        name: 'Shop c',
        region: 'GB',
        sellerType: 'LOCAL',
        cipher: 'c-c',
        code: 'k-c',
        status: 'ACTIVE',
      },
      { ...shop({ shopId: 'b' }), status: 'REVOKED' },
    ]);
  });

  it('summarizes only active shops for events', () => {
    expect(summarizeShops([shop({ shopId: 'a' }), shop({ shopId: 'b', status: 'REVOKED' })])).toEqual([
      { id: 'a', name: 'Sandbox Shop', region: 'GB' },
    ]);
  });
});
