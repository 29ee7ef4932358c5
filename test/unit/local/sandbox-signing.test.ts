import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  isOpenApiSignValid,
  isWebhookSignatureValid,
  openApiStringToSign,
  sameSecret,
  signOpenApi,
  signWebhook,
} from '../../../local/sandbox/sandbox-signing';

// Protocol section 6, verbatim.
const OPEN_API_VECTOR = {
  secret: 'e59af819cc',
  request: {
    path: '/authorization/202309/shops',
    query: [
      ['app_key', '29a39d'],
      ['timestamp', '1623812664'],
    ] as const,
  },
  stringToSign: 'e59af819cc/authorization/202309/shopsapp_key29a39dtimestamp1623812664e59af819cc',
  sign: 'b596b73e0cc6de07ac26f036364178ab16b0a907af13d43f0a0cd2345f582dc8',
};

// Protocol section 7, verbatim.
const WEBHOOK_VECTOR = {
  appKey: 'abcdef',
  appSecret: '123',
  body: Buffer.from(
    '{"type":1,"tts_notification_id":"7380066284010030890","shop_id":"7495540735365777507","timestamp":1718305585,"data":{"is_on_hold_order":true,"order_id":"576653688135258178","order_status":"UNPAID","update_time":1718305585}}',
    'utf8',
  ),
  signature: '5dec0f11ec2f6783b8deee53c9ffbf8d024302f7c7e7fa55a35d17629031ac05',
};

describe('the sandbox’s own Open API signature', () => {
  it('builds the official string to sign and signs it as the official vector says', () => {
    const { request, secret } = OPEN_API_VECTOR;

    const stringToSign = openApiStringToSign(request, secret);
    const sign = signOpenApi(request, secret);

    expect(stringToSign).toBe(OPEN_API_VECTOR.stringToSign);
    expect(sign).toBe(OPEN_API_VECTOR.sign);
  });

  it('accepts the official sign and refuses it in uppercase', () => {
    const { request, secret } = OPEN_API_VECTOR;

    expect(isOpenApiSignValid(OPEN_API_VECTOR.sign, request, secret)).toBe(true);
    expect(isOpenApiSignValid(OPEN_API_VECTOR.sign.toUpperCase(), request, secret)).toBe(false);
  });

  it('leaves access_token and sign out of the signature', () => {
    const { request, secret } = OPEN_API_VECTOR;
    const withUnsigned = {
      ...request,
      query: [['access_token', 'ROW_token'], ...request.query, ['sign', 'anything']] as const,
    };

    expect(openApiStringToSign(withUnsigned, secret)).toBe(OPEN_API_VECTOR.stringToSign);
    expect(signOpenApi(withUnsigned, secret)).toBe(OPEN_API_VECTOR.sign);
  });

  it('sorts the keys in ordinal byte order, not alphabetically', () => {
    const request = {
      path: '/p',
      query: [
        ['a', '1'],
        ['_', '2'],
        ['B', '3'],
      ] as const,
    };

    expect(openApiStringToSign(request, 's')).toBe('s/pB3_2a1s');
  });

  it('appends a body unless it is multipart, and treats an empty body as none', () => {
    const base = { path: '/p', query: [['k', 'v']] as const };

    expect(openApiStringToSign({ ...base, body: '{"x":1}', contentType: 'application/json' }, 's')).toBe(
      's/pkv{"x":1}s',
    );
    expect(openApiStringToSign({ ...base, body: '--b', contentType: 'multipart/form-data; boundary=b' }, 's')).toBe(
      's/pkvs',
    );
    expect(openApiStringToSign({ ...base, body: '' }, 's')).toBe('s/pkvs');
  });

  it.each([
    ['another secret', signOpenApi(OPEN_API_VECTOR.request, 'e59af819cd')],
    ['a truncated sign', OPEN_API_VECTOR.sign.slice(0, 63)],
    ['a sign with a prefix', `sha256=${OPEN_API_VECTOR.sign}`],
    ['an empty sign', ''],
  ])('refuses %s', (_, sign) => {
    expect(isOpenApiSignValid(sign, OPEN_API_VECTOR.request, OPEN_API_VECTOR.secret)).toBe(false);
  });

  it('refuses a sign for other parameters', () => {
    const changed = {
      ...OPEN_API_VECTOR.request,
      query: [
        ['app_key', '29a39d'],
        ['timestamp', '1623812665'],
      ] as const,
    };

    expect(isOpenApiSignValid(OPEN_API_VECTOR.sign, changed, OPEN_API_VECTOR.secret)).toBe(false);
  });
});

describe('the sandbox’s own webhook signature', () => {
  const { appKey, appSecret, body, signature } = WEBHOOK_VECTOR;

  it('signs the official body as the official vector says, and accepts that signature', () => {
    expect(signWebhook(appKey, appSecret, body)).toBe(signature);
    expect(isWebhookSignatureValid(signature, appKey, appSecret, body)).toBe(true);
  });

  it.each([
    ['in uppercase', signature.toUpperCase(), body],
    ['missing', undefined, body],
    ['with a sha256= prefix', `sha256=${signature}`, body],
    ['over a body changed by one byte', signature, Buffer.from(body.toString('utf8').replace('UNPAID', 'UNPAIE'))],
    [
      'over the same JSON re-serialized',
      signature,
      Buffer.from(JSON.stringify(JSON.parse(body.toString('utf8')), null, 1)),
    ],
  ])('refuses the signature %s', (_, header, rawBody) => {
    expect(isWebhookSignatureValid(header, appKey, appSecret, rawBody)).toBe(false);
  });

  it('refuses a signature made for another app key or with another secret', () => {
    expect(isWebhookSignatureValid(signature, 'abcdeg', appSecret, body)).toBe(false);
    expect(isWebhookSignatureValid(signature, appKey, '124', body)).toBe(false);
  });
});

describe('comparing secrets', () => {
  it('tells equal from different values, of the same length or not, without throwing', () => {
    expect(sameSecret('abc', 'abc')).toBe(true);
    expect(sameSecret('abc', 'abd')).toBe(false);
    expect(sameSecret('abc', 'abcd')).toBe(false);
    expect(sameSecret('', 'a')).toBe(false);
  });
});

describe('the sandbox’s independence', () => {
  it.each(['sandbox-signing.ts', 'tiktok-sandbox.ts', 'sandbox-webhooks.ts'])(
    '%s imports nothing from the service’s TikTok adapters',
    (file) => {
      const source = readFileSync(join(__dirname, '../../../local/sandbox', file), 'utf8');

      expect(source).not.toMatch(/from '[./]*lambdas\/adapters/);
    },
  );

  it('the signing code imports nothing from the service at all', () => {
    const source = readFileSync(join(__dirname, '../../../local/sandbox/sandbox-signing.ts'), 'utf8');

    expect(source).not.toMatch(/lambdas\//);
  });
});
