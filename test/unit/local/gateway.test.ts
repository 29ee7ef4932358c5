import { toApiGatewayEvent } from '../../../local/gateway';

const request = {
  method: 'POST',
  rawPath: '/webhooks/tiktok',
  rawQueryString: 'a=1&b=2&a=3',
  headers: { 'content-type': 'application/json', authorization: 'sig', cookie: 'x=1; y=2', 'x-multi': ['p', 'q'] },
  body: Buffer.from('{"type":1}'),
  routeKey: 'POST /webhooks/tiktok',
  pathParameters: {},
  sourceIp: '127.0.0.1',
};

describe('toApiGatewayEvent', () => {
  it('shapes a request as the HTTP API (payload 2.0) would', () => {
    const event = toApiGatewayEvent(request);

    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'POST /webhooks/tiktok',
      rawPath: '/webhooks/tiktok',
      rawQueryString: 'a=1&b=2&a=3',
      queryStringParameters: { a: '1,3', b: '2' },
      cookies: ['x=1', 'y=2'],
      headers: { 'content-type': 'application/json', authorization: 'sig', 'x-multi': 'p,q' },
      body: '{"type":1}',
      isBase64Encoded: false,
      requestContext: { http: { method: 'POST', path: '/webhooks/tiktok', sourceIp: '127.0.0.1' }, stage: '$default' },
    });
    expect(event.pathParameters).toBeUndefined();
    expect(event.headers.cookie).toBeUndefined();
  });

  it('base64-encodes a body that is not text, exactly as received', () => {
    const bytes = Buffer.from([0, 255, 10, 13]);

    const event = toApiGatewayEvent({
      ...request,
      headers: { 'content-type': 'application/octet-stream' },
      body: bytes,
    });

    expect(event.isBase64Encoded).toBe(true);
    expect(Buffer.from(event.body ?? '', 'base64')).toEqual(bytes);
  });

  it('base64-encodes a body of a text type that is not valid UTF-8, so no byte is lost', () => {
    const bytes = Buffer.from([0x7b, 0x80, 0x7d]);

    const event = toApiGatewayEvent({ ...request, body: bytes });

    expect(event.isBase64Encoded).toBe(true);
    expect(Buffer.from(event.body ?? '', 'base64')).toEqual(bytes);
  });

  it('leaves out an empty body and an empty query', () => {
    const event = toApiGatewayEvent({ ...request, rawQueryString: '', body: Buffer.alloc(0) });

    expect(event.body).toBeUndefined();
    expect(event.queryStringParameters).toBeUndefined();
  });
});
