import {
  ConfigurationError,
  linkSettings,
  redirectSettings,
  required,
  tiktokEndpoints,
} from '../../../lambdas/shared/config';

describe('configuration from the environment', () => {
  it('has one authorize page per market, each a preset unless set, and a default market', () => {
    expect(linkSettings({ TIKTOK_SERVICE_ID: '7123' })).toMatchObject({
      authorizeUrls: {
        ROW: 'https://services.tiktokshop.com/open/authorize',
        US: 'https://services.us.tiktokshop.com/open/authorize',
      },
      defaultMarket: 'ROW',
    });
    expect(
      linkSettings({
        TIKTOK_SERVICE_ID: '7123',
        TIKTOK_MARKET: 'US',
        TIKTOK_AUTHORIZE_URL_US: 'https://services.tiktokshops.us/open/authorize',
      }),
    ).toMatchObject({
      authorizeUrls: {
        ROW: 'https://services.tiktokshop.com/open/authorize',
        US: 'https://services.tiktokshops.us/open/authorize',
      },
      defaultMarket: 'US',
    });
  });

  it('defaults TikTok’s hosts and takes others', () => {
    expect(tiktokEndpoints({})).toEqual({
      authBaseUrl: 'https://auth.tiktok-shops.com',
      apiBaseUrl: 'https://open-api.tiktokglobalshop.com',
    });
    expect(tiktokEndpoints({ TIKTOK_AUTH_BASE_URL: 'http://127.0.0.1:9/sandbox' }).authBaseUrl).toBe(
      'http://127.0.0.1:9/sandbox',
    );
  });

  it.each([
    [{}, 'configuration: TIKTOK_SERVICE_ID: Invalid input: expected string, received undefined'],
    [
      { TIKTOK_SERVICE_ID: '1', TIKTOK_MARKET: 'EU' },
      'configuration: TIKTOK_MARKET: Invalid option: expected one of "ROW"|"US"',
    ],
    [
      { TIKTOK_SERVICE_ID: '1', TIKTOK_AUTHORIZE_URL_ROW: 'javascript:alert(1)' },
      'configuration: TIKTOK_AUTHORIZE_URL_ROW: must be an http(s) URL',
    ],
    [
      { TIKTOK_SERVICE_ID: '1', TIKTOK_AUTHORIZE_URL: 'https://services.tiktokshops.us/open/authorize' },
      'configuration: TIKTOK_AUTHORIZE_URL: replaced by TIKTOK_AUTHORIZE_URL_ROW and TIKTOK_AUTHORIZE_URL_US (one page per market)',
    ],
  ])('names what is wrong with %j', (env, message) => {
    expect(() => linkSettings(env)).toThrow(new ConfigurationError(message.replace('configuration: ', '')));
  });

  it('needs the success and claim URLs, and takes an error URL', () => {
    expect(() => redirectSettings({ SUCCESS_URL: 'https://app.example/ok' })).toThrow('CLAIM_URL');
    expect(
      redirectSettings({
        SUCCESS_URL: 'https://app.example/ok',
        CLAIM_URL: 'https://app.example/claim',
        ERROR_URL: 'https://app.example/err',
      }),
    ).toEqual({
      successUrl: 'https://app.example/ok',
      claimUrl: 'https://app.example/claim',
      errorUrl: 'https://app.example/err',
      ticketTtlMs: 30 * 60_000,
    });
  });

  it('reads a required variable, trimmed, and refuses a blank one', () => {
    expect(required({ TABLE_NAME: ' grants ' }, 'TABLE_NAME')).toBe('grants');
    expect(() => required({ TABLE_NAME: ' ' }, 'TABLE_NAME')).toThrow('configuration: TABLE_NAME: required');
  });
});
