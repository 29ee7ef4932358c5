import { createHmac } from 'node:crypto';
import { openApiStringToSign, signOpenApiRequest } from '../../../../lambdas/adapters/tiktok/open-api-signature';

describe('Open API request signing', () => {
  it('matches the official test vector', () => {
    const request = { path: '/authorization/202309/shops', query: { app_key: '29a39d', timestamp: '1623812664' } };

    expect(openApiStringToSign(request, 'e59af819cc')).toBe(
      'e59af819cc/authorization/202309/shopsapp_key29a39dtimestamp1623812664e59af819cc',
    );
    expect(signOpenApiRequest(request, 'e59af819cc')).toBe(
      'b596b73e0cc6de07ac26f036364178ab16b0a907af13d43f0a0cd2345f582dc8',
    );
  });

  it('sorts parameters by key in byte order, whatever order they come in', () => {
    const request = {
      path: '/product/202309/products/search',
      query: { timestamp: '1700000000', shop_cipher: 'GCP_x', app_key: 'k', page_size: '20', Zeta: 'upper-first' },
    };

    expect(openApiStringToSign(request, 's')).toBe(
      's/product/202309/products/searchZetaupper-firstapp_keykpage_size20shop_cipherGCP_xtimestamp1700000000s',
    );
  });

  it('leaves sign and access_token out of the signature', () => {
    const bare = { path: '/p', query: { app_key: 'k', timestamp: '1' } };
    const withExtras = { path: '/p', query: { ...bare.query, sign: 'old', access_token: 'token' } };

    expect(signOpenApiRequest(withExtras, 's')).toBe(signOpenApiRequest(bare, 's'));
  });

  it('appends a JSON body exactly as sent', () => {
    const body = '{"address":"https://example.test/webhooks","event_type":"SELLER_DEAUTHORIZATION"}';
    const request = { path: '/event/202309/webhooks', query: { app_key: 'k', timestamp: '1' }, body };

    expect(openApiStringToSign(request, 's')).toBe(`s/event/202309/webhooksapp_keyktimestamp1${body}s`);
    expect(signOpenApiRequest(request, 's')).toBe(
      createHmac('sha256', 's').update(`s/event/202309/webhooksapp_keyktimestamp1${body}s`).digest('hex'),
    );
  });

  it('leaves a multipart body out', () => {
    const request = {
      path: '/p',
      query: { app_key: 'k' },
      body: '--boundary',
      contentType: 'multipart/form-data; b=1',
    };

    expect(openApiStringToSign(request, 's')).toBe('s/papp_keyks');
  });

  it('is lowercase hex and changes with any parameter', () => {
    const base = { path: '/p', query: { app_key: 'k', timestamp: '1' } };

    const signature = signOpenApiRequest(base, 's');

    expect(signature).toMatch(/^[0-9a-f]{64}$/);
    expect(signOpenApiRequest({ ...base, query: { ...base.query, timestamp: '2' } }, 's')).not.toBe(signature);
    expect(signOpenApiRequest(base, 't')).not.toBe(signature);
  });
});
