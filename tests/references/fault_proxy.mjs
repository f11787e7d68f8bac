// An HTTP/1.1 reverse proxy that injects faults, for testing our S3 client's retries, and that can
// check SigV4 signatures, which s3rver does not.
//
//   node fault_proxy.mjs --target 127.0.0.1:PORT (--plan 503,pass,cut,... | --always KIND)
//                        [--stall-seconds S]
//                        [--verify-secret SECRET] [--credential AKID:SECRET[:TOKEN]]... [--region R]
//
// Listens on 127.0.0.1, on a port the OS picks, and prints "listening <port>". Request N (1, 2,
// ... in arrival order, over all connections) gets entry N of the plan, which repeats; --always K
// is the plan "K". Method, path and query, headers (Host unchanged, so signatures stay valid)
// and body are forwarded as they came; only the hop-by-hop Connection and Keep-Alive headers
// belong to each hop. Fault kinds:
//   pass   forward, answer with the target's response.
//   503    answer 503 with an S3 XML error (Code SlowDown) without forwarding.
//   reset  reset the client connection (TCP RST) without forwarding or answering.
//   cut    forward; send the status line, headers (original Content-Length) and the first half
//          of the body, then close the connection.
//   stall  forward; send the status line, headers and the first half of the body, then nothing
//          for S seconds (default 30), then close the connection.
// For cut and stall, a response without body bytes (PUT, HEAD, DELETE) is withheld whole, since
// its headers alone would be a complete answer: the target has acted, the client hears nothing.
//
// With --verify-secret or --credential, each request is first read whole and its header-based
// SigV4 signature checked as S3 checks it (our own implementation of the published algorithm;
// see sigV4Signature below); only a request that passes goes on to the plan (so under verification
// a reset comes after the request body, not during it). --credential AKID:SECRET[:TOKEN] gives
// the secret of one access key id (and, with TOKEN, the x-amz-security-token it must send);
// --verify-secret gives the secret of every other one (without it they get InvalidAccessKeyId).
// The credential scope's region must be R (default us-east-1), its service s3. A failing request
// gets S3's answer, is neither forwarded nor given a plan entry, and is logged on stderr:
//   no Authorization header                      403 AccessDenied
//   Authorization not AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/s3/aws4_request,
//     SignedHeaders=...,Signature=...; wrong region, service or scope date
//                                                400 AuthorizationHeaderMalformed
//   unknown access key id                        403 InvalidAccessKeyId
//   x-amz-date missing or not YYYYMMDDTHHMMSSZ   403 AccessDenied
//   x-amz-date more than 15 minutes off          403 RequestTimeTooSkewed
//   host or an x-amz-* header not signed         403 AccessDenied (with HeadersNotSigned)
//   x-amz-content-sha256 missing                 400 InvalidRequest
//   signature differs                            403 SignatureDoesNotMatch (with the proxy's
//                                                    CanonicalRequest and StringToSign)
//   x-amz-security-token not the credential's    403 InvalidToken
//   x-amz-content-sha256 of 64 hex digits that is not the body's SHA-256
//                                                400 XAmzContentSHA256Mismatch
// UNSIGNED-PAYLOAD and STREAMING-* payload hashes are signed as given; chunk signatures are not
// checked. Presigned URLs (query-string authentication) are not supported: AccessDenied.
//
// GET /__fault_proxy/stats (neither forwarded, verified nor counted) answers
//   {"requests": N, "faults": {"pass": n, "503": n, ...}, "verified": n, "rejected": n,
//    "encryption": {"AES256": n, "aws:kms key-id": n, "none": n}}
// (every kind of the plan, 0 if unused; requests counts the requests given a plan entry, verified
// and rejected those checked, both 0 without verification; encryption counts the PUTs and POSTs
// that create an object or upload (not parts, not completions) by their x-amz-server-side-encryption
// header, and its KMS key id if any).
// SIGTERM or SIGINT closes every connection and exits 0.
import { createHash, createHmac } from 'node:crypto';
import { realpathSync } from 'node:fs';
import http from 'node:http';
import { pathToFileURL } from 'node:url';

const KINDS = ['pass', '503', 'reset', 'cut', 'stall'];

function parseArguments(argv) {
  const options = {
    target: undefined, plan: undefined, stallSeconds: 30,
    defaultSecret: undefined, credentials: new Map(), region: 'us-east-1',
  };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === '--target') options.target = value;
    else if (flag === '--plan') options.plan = value.split(',');
    else if (flag === '--always') options.plan = [value];
    else if (flag === '--stall-seconds') options.stallSeconds = Number(value);
    else if (flag === '--verify-secret') options.defaultSecret = value;
    else if (flag === '--credential') {
      const [accessKey, secret, token] = value.split(':');
      if (!accessKey || secret === undefined) throw new Error('--credential needs AKID:SECRET[:TOKEN]');
      options.credentials.set(accessKey, { secret, token });
    } else if (flag === '--region') options.region = value;
    else throw new Error(`unknown argument ${flag}`);
  }
  const target = /^([\d.]+):(\d+)$/.exec(options.target ?? '');
  if (!target) throw new Error('--target HOST:PORT is required');
  [options.host, options.port] = [target[1], Number(target[2])];
  if (!options.plan) throw new Error('--plan or --always is required');
  for (const kind of options.plan) {
    if (!KINDS.includes(kind)) throw new Error(`unknown fault "${kind}"; known: ${KINDS}`);
  }
  if (!(options.stallSeconds >= 0)) throw new Error('--stall-seconds needs a number >= 0');
  options.verify = options.defaultSecret !== undefined || options.credentials.size > 0;
  return options;
}

let options;  // from the command line, by main()
let stats;
const stallTimers = new Set();

// rawHeaders ([name, value, name, value, ...]) without the hop-by-hop ones.
function endToEnd(rawHeaders) {
  const kept = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (!/^(connection|keep-alive)$/i.test(rawHeaders[i])) kept.push(rawHeaders[i], rawHeaders[i + 1]);
  }
  return kept;
}

const XML_ESCAPES = { '<': '&lt;', '>': '&gt;', '&': '&amp;' };
const escapeXml = (text) => String(text).replace(/[<>&]/g, (c) => XML_ESCAPES[c]);

// `details`: more elements of the <Error>, {Name: text}.
function sendXmlError(res, status, code, message, details = {}) {
  const more = Object.entries(details).map(([name, text]) => `<${name}>${escapeXml(text)}</${name}>`);
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code>` +
    `<Message>${escapeXml(message)}</Message>${more.join('')}` +
    `<RequestId>fault-proxy-${stats.requests}</RequestId></Error>`;
  res.writeHead(status, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

// --- SigV4 (AWS Signature Version 4, header-based, as S3 checks it) ---

const sha256Hex = (data) => createHash('sha256').update(data).digest('hex');
const hmac = (key, data) => createHmac('sha256', key).update(data).digest();

// The bytes a raw (percent-encoded) URL component stands for, encoded again the RFC 3986 way:
// A-Z a-z 0-9 - _ . ~ kept, every other byte as %XX (upper-case hex).
function uriEncode(raw) {
  const parts = raw.match(/%[0-9a-fA-F]{2}|[^%]+|%/g) ?? [];
  const bytes = Buffer.concat(parts.map((part) => (part.length === 3 && part[0] === '%'
    ? Buffer.from([parseInt(part.slice(1), 16)]) : Buffer.from(part))));
  let encoded = '';
  for (const byte of bytes) {
    const char = String.fromCharCode(byte);
    const hex = byte.toString(16).toUpperCase().padStart(2, '0');
    encoded += /[A-Za-z0-9\-_.~]/.test(char) ? char : `%${hex}`;
  }
  return encoded;
}

// "b=2&a&c=x%2fy" -> "a=&b=2&c=x%2Fy": each name and value re-encoded, sorted by name, then value.
function canonicalQuery(query) {
  const pairs = query.split('&').filter((pair) => pair !== '').map((pair) => {
    const equals = pair.indexOf('=');
    if (equals < 0) return [uriEncode(pair), ''];
    return [uriEncode(pair.slice(0, equals)), uriEncode(pair.slice(equals + 1))];
  });
  const compare = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
  pairs.sort(([name1, value1], [name2, value2]) => compare(name1, name2) || compare(value1, value2));
  return pairs.map(([name, value]) => `${name}=${value}`).join('&');
}

// rawHeaders as lower-case name -> [value, ...] in arrival order.
function headerLists(rawHeaders) {
  const lists = new Map();
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toLowerCase();
    lists.set(name, [...(lists.get(name) ?? []), rawHeaders[i + 1]]);
  }
  return lists;
}

// The signature S3 expects, with the canonical request and string to sign it comes from; no
// checks, no clock. method: "GET"; target: path and query exactly as received
// ("/bucket/a%20b?list-type=2"); headers: headerLists(); signedHeaders: ["host", ...] as listed;
// payloadHash: the x-amz-content-sha256 value; amzDate: "20130524T000000Z"; scope:
// "20130524/us-east-1/s3/aws4_request".
export function sigV4Signature({
  method, target, headers, signedHeaders, payloadHash, amzDate, scope, secret,
}) {
  const queryStart = target.indexOf('?');
  const path = queryStart < 0 ? target : target.slice(0, queryStart);
  const query = queryStart < 0 ? '' : target.slice(queryStart + 1);
  const canonicalHeaders = signedHeaders.map((name) => {
    const values = (headers.get(name) ?? []).map((value) => value.trim().replace(/\s+/g, ' '));
    return `${name}:${values.join(',')}\n`;
  }).join('');
  const canonicalRequest = [method, path, canonicalQuery(query), canonicalHeaders,
    signedHeaders.join(';'), payloadHash].join('\n');
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const key = scope.split('/').reduce((parentKey, part) => hmac(parentKey, part), `AWS4${secret}`);
  return { canonicalRequest, stringToSign, signature: hmac(key, stringToSign).toString('hex') };
}

// {Credential, SignedHeaders, Signature} of an "AWS4-HMAC-SHA256 ..." Authorization value, or null.
function parseAuthorization(value) {
  const match = /^AWS4-HMAC-SHA256\s+(.*)$/s.exec(value);
  if (!match) return null;
  const fields = Object.fromEntries(match[1].split(',').map((field) => {
    const equals = field.indexOf('=');
    return [field.slice(0, equals).trim(), field.slice(equals + 1).trim()];
  }));
  return fields.Credential && fields.SignedHeaders && fields.Signature ? fields : null;
}

const MAX_SKEW_MS = 15 * 60 * 1000;
const MESSAGES = {
  SignatureDoesNotMatch: 'The request signature we calculated does not match the signature you ' +
    'provided. Check your key and signing method.',
  InvalidAccessKeyId: 'The AWS Access Key Id you provided does not exist in our records.',
  RequestTimeTooSkewed: 'The difference between the request time and the current time is too large.',
  XAmzContentSHA256Mismatch: "The provided 'x-amz-content-sha256' header does not match what was computed.",
};

// Why S3 would refuse the request, as [status, code, message, details?], or null if it is signed
// right.
function verificationFailure(req, body) {
  const headers = headerLists(req.rawHeaders);
  const header = (name) => headers.get(name)?.join(',');
  const malformed = (why) => [400, 'AuthorizationHeaderMalformed', `The authorization header is malformed; ${why}`];
  if (header('authorization') === undefined) return [403, 'AccessDenied', 'Access Denied'];
  const authorization = parseAuthorization(header('authorization'));
  if (!authorization) return malformed('expecting AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...');
  const scopeParts = authorization.Credential.split('/');
  if (scopeParts.length !== 5) return malformed('expecting Credential=AKID/YYYYMMDD/REGION/SERVICE/aws4_request');
  const [accessKey, date, region, service, terminator] = scopeParts;
  const credential = options.credentials.get(accessKey) ??
    (options.defaultSecret !== undefined ? { secret: options.defaultSecret } : undefined);
  if (!credential) return [403, 'InvalidAccessKeyId', MESSAGES.InvalidAccessKeyId, { AWSAccessKeyId: accessKey }];

  const amzDate = header('x-amz-date') ?? '';
  const time = /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/.exec(amzDate);
  if (!time) return [403, 'AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header'];
  const requestTime = Date.UTC(time[1], time[2] - 1, time[3], time[4], time[5], time[6]);
  if (Math.abs(Date.now() - requestTime) > MAX_SKEW_MS) {
    return [403, 'RequestTimeTooSkewed', MESSAGES.RequestTimeTooSkewed,
      { RequestTime: amzDate, ServerTime: new Date().toISOString(), MaxAllowedSkewMilliseconds: MAX_SKEW_MS }];
  }
  if (date !== amzDate.slice(0, 8)) return malformed('Invalid credential date. Date is not the same as X-Amz-Date.');
  if (region !== options.region) return malformed(`the region '${region}' is wrong; expecting '${options.region}'`);
  if (service !== 's3' || terminator !== 'aws4_request') return malformed('incorrect service or terminal');

  const signedHeaders = authorization.SignedHeaders.split(';');
  const mustBeSigned = ['host', ...[...headers.keys()].filter((name) => name.startsWith('x-amz-'))];
  const notSigned = mustBeSigned.filter((name) => !signedHeaders.includes(name));
  if (notSigned.length > 0) {
    return [403, 'AccessDenied', 'There were headers present in the request which were not signed',
      { HeadersNotSigned: notSigned.join(', ') }];
  }
  const payloadHash = header('x-amz-content-sha256');
  if (payloadHash === undefined) {
    return [400, 'InvalidRequest', 'Missing required header for this request: x-amz-content-sha256'];
  }

  const expected = sigV4Signature({
    method: req.method, target: req.url, headers, signedHeaders, payloadHash, amzDate,
    scope: scopeParts.slice(1).join('/'), secret: credential.secret,
  });
  if (authorization.Signature !== expected.signature) {
    return [403, 'SignatureDoesNotMatch', MESSAGES.SignatureDoesNotMatch, {
      AWSAccessKeyId: accessKey, SignatureProvided: authorization.Signature,
      StringToSign: expected.stringToSign, CanonicalRequest: expected.canonicalRequest,
    }];
  }
  if (credential.token !== undefined && header('x-amz-security-token') !== credential.token) {
    return [403, 'InvalidToken', 'The provided token is malformed or otherwise invalid.'];
  }
  const bodyHash = sha256Hex(body);
  if (/^[0-9a-fA-F]{64}$/.test(payloadHash) && payloadHash !== bodyHash) {
    return [400, 'XAmzContentSHA256Mismatch', MESSAGES.XAmzContentSHA256Mismatch,
      { ClientComputedContentSHA256: payloadHash, S3ComputedContentSHA256: bodyHash }];
  }
  return null;
}

// --- Faults ---

// Forwards the request, with `body` (a Buffer) or else the request's own body as it comes; calls
// onResponse(upstreamResponse) or answers 502 if the target fails.
function forward(req, res, body, onResponse) {
  const upstream = http.request({
    host: options.host, port: options.port, method: req.method, path: req.url,
    headers: endToEnd(req.rawHeaders), agent: false,  // a fresh connection: no stale keep-alive
  }, onResponse);
  upstream.on('error', (error) => {
    if (!res.headersSent) sendXmlError(res, 502, 'BadGateway', `fault proxy: ${error.message}`);
    else res.destroy();
  });
  if (body) upstream.end(body);
  else req.pipe(upstream);
}

// Sends the headers and the first half of the body, then hands the socket to `then`.
function sendHalf(req, res, upstreamRes, then) {
  const chunks = [];
  upstreamRes.on('data', (chunk) => chunks.push(chunk));
  upstreamRes.on('end', () => {
    const body = Buffer.concat(chunks);
    if (body.length === 0) return then();  // headers alone would be a whole answer
    res.writeHead(upstreamRes.statusCode, upstreamRes.statusMessage, endToEnd(upstreamRes.rawHeaders));
    res.write(body.subarray(0, Math.floor(body.length / 2)), then);
  });
}

// Counts the server-side encryption asked for by a request that creates an object or upload.
function countEncryption(req) {
  const query = new URL(req.url, 'http://proxy').searchParams;
  const creates = (req.method === 'PUT' && !query.has('partNumber')) ||
    (req.method === 'POST' && query.has('uploads'));
  if (!creates) return;
  const sse = req.headers['x-amz-server-side-encryption'] ?? 'none';
  const key = req.headers['x-amz-server-side-encryption-aws-kms-key-id'];
  const name = key ? `${sse} ${key}` : sse;
  stats.encryption[name] = (stats.encryption[name] ?? 0) + 1;
}

// Gives the request its plan entry. `body`: the request body if already read (to verify it).
function applyPlan(req, res, body) {
  const kind = options.plan[stats.requests % options.plan.length];
  stats.requests += 1;
  countEncryption(req);
  stats.faults[kind] += 1;
  switch (kind) {
    case '503': {
      const answer = () => sendXmlError(res, 503, 'SlowDown', 'Please reduce your request rate.');
      if (body) answer();
      else req.resume().on('end', answer);
      return;
    }
    case 'reset':
      req.socket.resetAndDestroy();
      return;
    case 'pass':
      forward(req, res, body, (upstreamRes) => {
        res.writeHead(upstreamRes.statusCode, upstreamRes.statusMessage, endToEnd(upstreamRes.rawHeaders));
        upstreamRes.pipe(res);
      });
      return;
    case 'cut':
      forward(req, res, body, (upstreamRes) => sendHalf(req, res, upstreamRes, () => req.socket.destroy()));
      return;
    case 'stall':
      forward(req, res, body, (upstreamRes) => sendHalf(req, res, upstreamRes, () => {
        const timer = setTimeout(() => {
          stallTimers.delete(timer);
          req.socket.destroy();
        }, options.stallSeconds * 1000);
        stallTimers.add(timer);
        req.socket.on('close', () => {
          clearTimeout(timer);
          stallTimers.delete(timer);
        });
      }));
      return;
  }
}

function handle(req, res) {
  if (req.method === 'GET' && req.url === '/__fault_proxy/stats') {
    req.resume();
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(stats));
    return;
  }
  if (!options.verify) return applyPlan(req, res, undefined);
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const failure = verificationFailure(req, body);
    if (!failure) {
      stats.verified += 1;
      return applyPlan(req, res, body);
    }
    stats.rejected += 1;
    const [status, code, message, details] = failure;
    console.error(`fault proxy: refused ${req.method} ${req.url}: ${status} ${code}: ${message}`);
    sendXmlError(res, status, code, message, details);
  });
}

function main() {
  options = parseArguments(process.argv.slice(2));
  const faults = Object.fromEntries(options.plan.map((kind) => [kind, 0]));
  stats = { requests: 0, faults, verified: 0, rejected: 0, encryption: {} };
  const server = http.createServer(handle);
  server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${server.address().port}\n`));

  function shutDown() {
    for (const timer of stallTimers) clearTimeout(timer);
    server.close(() => process.exit(0));
    server.closeAllConnections();
  }
  process.on('SIGTERM', shutDown);
  process.on('SIGINT', shutDown);
}

// Only when run, not when imported (say, to check sigV4Signature against AWS's examples).
if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) main();
