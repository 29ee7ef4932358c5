import { marketOf } from '../../../lambdas/domain/authorization-links';

describe('a seller’s market, for the authorize page of their links', () => {
  const settings = { defaultMarket: 'ROW' as const };
  const shops = (...regions: string[]) => regions.map((region) => ({ region }));

  it.each([
    ['a US seller with US shops', 'US', shops('US'), 'US'],
    ['a seller based elsewhere whose shops are all in the US (cross-border)', 'CN', shops('US', 'us'), 'US'],
    ['a US-based seller whose shops are all elsewhere', 'US', shops('GB'), 'ROW'],
    ['a seller with shops in the US and elsewhere, based in the US', 'US', shops('US', 'GB'), 'US'],
    ['a seller with shops in the US and elsewhere, based elsewhere', 'DE', shops('US', 'GB'), 'ROW'],
    ['a seller without shops, based in the US', 'US', [], 'US'],
    ['a seller without shops, based elsewhere', 'GB', [], 'ROW'],
    ['shops without a region: the base region decides', 'US', shops('', ' '), 'US'],
  ])('%s: %s', (_, baseRegion, listed, market) => {
    expect(marketOf({ baseRegion }, listed, settings)).toBe(market);
  });

  it('falls back to the default market when TikTok told neither the base region nor a shop’s region', () => {
    expect(marketOf({ baseRegion: '' }, shops(''), { defaultMarket: 'US' })).toBe('US');
    expect(marketOf({ baseRegion: ' ' }, [], { defaultMarket: 'ROW' })).toBe('ROW');
  });
});
