import { createHash, createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * An AWS Signature Version 4 check written from AWS's description of the algorithm, sharing nothing with the
 * SDK's signer, as API Gateway's IAM authorizer would run it. Returns why a request fails, or undefined when the
 * signature is good.
 */
export function sigV4Problem(
  request: { method: string; rawUrl: string; headers: IncomingHttpHeaders; body: string },
  credentials: { accessKeyId: string; secretAccessKey: string },
  expected: { region: string; service: string },
): string | undefined {
  const authorization = header(request.headers, 'authorization');
  const match =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/.exec(
      authorization,
    );
  if (!match) return `unreadable authorization header: ${authorization}`;
  const [, keyId, day, region, service, signedHeaders = '', signature] = match;
  if (keyId !== credentials.accessKeyId) return `signed by ${keyId}`;
  if (region !== expected.region || service !== expected.service) return `scope ${region}/${service}`;
  const amzDate = header(request.headers, 'x-amz-date');
  if (!amzDate.startsWith(day ?? '-')) return 'x-amz-date is not the day of the scope';
  const names = signedHeaders.split(';');
  if (!names.includes('host')) return 'host is not signed';

  const payloadHash = sha256(request.body);
  const claimed = header(request.headers, 'x-amz-content-sha256');
  if (claimed && claimed !== payloadHash) return 'x-amz-content-sha256 is not the hash of the body';
  const url = new URL(request.rawUrl, 'http://placeholder');
  const canonicalRequest = [
    request.method,
    url.pathname
      .split('/')
      .map((segment) => uriEncode(segment))
      .join('/'),
    [...url.searchParams]
      .map(([key, value]) => [uriEncode(key), uriEncode(value)] as const)
      .sort(([a, x], [b, y]) => (a === b ? compare(x, y) : compare(a, b)))
      .map(([key, value]) => `${key}=${value}`)
      .join('&'),
    ...names.map((name) => `${name}:${header(request.headers, name).trim().replace(/\s+/g, ' ')}`),
    '',
    signedHeaders,
    claimed || payloadHash,
  ].join('\n');
  const scope = `${day}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  const key = [day, region, service, 'aws4_request'].reduce<Buffer>(
    (previous, part) => hmac(previous, part ?? ''),
    Buffer.from(`AWS4${credentials.secretAccessKey}`),
  );
  const computed = hmac(key, stringToSign).toString('hex');
  return computed === signature ? undefined : 'the signature does not match';
}

const header = (headers: IncomingHttpHeaders, name: string) => {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : (value ?? '');
};
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const hmac = (key: Buffer, text: string) => createHmac('sha256', key).update(text, 'utf8').digest();
const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
/** RFC 3986: everything but the unreserved characters percent-encoded, in upper case. */
const uriEncode = (text: string) =>
  encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
