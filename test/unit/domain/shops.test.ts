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

    const now = new Date('2026-03-02T00:00:00.000Z');

    const result = reconcileShops('open-1', stored, [authorized('a'), authorized('c')], now);

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
        authorizedAt: now,
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
        authorizedAt: now,
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
